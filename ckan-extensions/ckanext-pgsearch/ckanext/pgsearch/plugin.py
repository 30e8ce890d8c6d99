"""CKAN plugin ``pgsearch``: wiring only; the work is in :mod:`backend`."""

from __future__ import annotations

from typing import Any

import ckan.plugins as plugins
import ckan.plugins.toolkit as toolkit

from . import backend
from .connection import BackendSettings


@toolkit.blanket.config_declarations
class PgSearchPlugin(plugins.SingletonPlugin):
    """Replaces Solr with PostgreSQL full-text search; list it first in ``ckan.plugins``."""

    plugins.implements(plugins.IConfigurer)

    # IConfigurer: runs before CKAN's start-up Solr schema check.
    def update_config(self, config: Any) -> None:
        backend.install(
            BackendSettings(
                text_search_config=config.get("ckanext.pgsearch.text_search_config") or "german",
                spatial_field=config.get("ckanext.spatial.solr_geom_field_name") or "spatial_geom",
            )
        )
