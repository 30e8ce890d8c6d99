"""WSGI entry point for CKAN under gunicorn.

Mirrors CKAN's own ``wsgi.py``: read the ini named by ``CKAN_INI``, let
:class:`ckan.cli.CKANConfigLoader` apply its logging sections (and ``use = config:`` chains),
then build the app with :func:`ckan.config.middleware.make_app`. It is a factory
(``smartregion.ckan_wsgi:create_app()``) rather than a module-level ``application`` so that
importing this module loads nothing; each gunicorn worker calls it once at boot.

CKAN configures logging with :func:`logging.config.fileConfig`, which disables every logger
the ini does not name, among them gunicorn's own ``gunicorn.access`` and ``gunicorn.error`` in
the worker: the access log would stay empty. We switch those two back on afterwards.
"""

from __future__ import annotations

import logging
import os
from typing import Any

GUNICORN_LOGGERS = ("gunicorn.access", "gunicorn.error")


def create_app(ini: str | None = None) -> Any:
    """Build CKAN's WSGI app from ``ini`` or ``$CKAN_INI``."""
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app

    path = ini or os.environ.get("CKAN_INI")
    if not path:
        raise RuntimeError("CKAN_INI is not set: point it at <data>/ckan/ckan.ini")
    config = CKANConfigLoader(os.path.abspath(path)).get_config()
    app = make_app(config)
    for name in GUNICORN_LOGGERS:
        logging.getLogger(name).disabled = False
    return app
