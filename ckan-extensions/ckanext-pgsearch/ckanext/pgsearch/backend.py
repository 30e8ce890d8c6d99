"""Put the PostgreSQL connection where CKAN looks for its Solr connection.

CKAN 2.12 has no search-backend interface: ``ckan.lib.search`` and its
submodules call ``make_connection()`` (imported by name into each module) and
check the Solr schema version at start-up. Rebinding those names, from a hook
that runs before the check, lets CKAN keep building its index documents and
query parameters – including those of ckanext-dcat, -spatial and -scheming –
without a single patched file.
"""

from __future__ import annotations

import logging
from typing import Any

from .connection import BackendSettings, PostgresSearchConnection

log = logging.getLogger(__name__)

#: Every module that binds ``make_connection`` at import time.
_CONNECTION_MODULES = (
    "ckan.lib.search",
    "ckan.lib.search.common",
    "ckan.lib.search.index",
    "ckan.lib.search.query",
)

_settings = BackendSettings()


def install(settings: BackendSettings) -> None:
    """Route CKAN's search connection and schema check to this backend."""
    import importlib

    global _settings
    _settings = settings
    for module_name in _CONNECTION_MODULES:
        module = importlib.import_module(module_name)
        module.make_connection = make_connection  # type: ignore[attr-defined]
    search = importlib.import_module("ckan.lib.search")
    search.check_solr_schema_version = check_schema  # type: ignore[attr-defined]
    log.info(
        "pgsearch: CKAN search uses PostgreSQL (text search config %s)", settings.text_search_config
    )


def make_connection(decode_dates: bool = True) -> PostgresSearchConnection:
    """Replacement for ``ckan.lib.search.common.make_connection``."""
    from ckan import model

    return PostgresSearchConnection(model.ensure_engine(), _settings, decode_dates=decode_dates)


def check_schema(schema_file: Any = None) -> bool:
    """Replacement for CKAN's Solr schema check: the table is created on first use."""
    return True
