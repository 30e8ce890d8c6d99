"""CKAN loaded in-process, for what only CKAN's plugins can do: parsing DCAT with the
catalogue's own ``dcatap_de`` profile (ckanext-dcat's RDFParser, with ckanext-scheming's
schema active), exactly as the catalogue serialises it — one mapping in both directions.

The configuration is the instance's ``ckan.ini``, named by ``CKAN_INI`` as for CKAN's own
``ckan`` command (``smartregion harvest`` sets it). Loaded once per process.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any


class CkanRuntimeError(Exception):
    pass


@cache
def _app_context() -> Any:
    ini = os.environ.get("CKAN_INI")
    if not ini or not os.path.exists(ini):
        raise CkanRuntimeError(
            "DCAT parsing needs the catalogue's CKAN configuration: set CKAN_INI to its "
            f"ckan.ini (now {ini!r})")
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app

    app = make_app(CKANConfigLoader(ini).get_config())
    context = app._wsgi_app.test_request_context()
    context.push()  # kept for the life of the process: parsing happens page by page
    return context


def rdf_parser(profiles: list[str]) -> Any:
    """A fresh ``RDFParser`` of ckanext-dcat with ``profiles``, inside CKAN's app context."""
    _app_context()
    from ckanext.dcat.processors import RDFParser

    return RDFParser(profiles=profiles)


def parser_error() -> type[Exception]:
    _app_context()
    from ckanext.dcat.processors import RDFParserException

    return RDFParserException
