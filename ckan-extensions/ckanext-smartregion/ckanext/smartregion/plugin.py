"""CKAN plugin ``smartregion``: wiring only; the work is in small modules beside it."""

from __future__ import annotations

from typing import Any

import ckan.plugins as plugins
import ckan.plugins.toolkit as toolkit

from . import helpers, indexing, validators


@toolkit.blanket.config_declarations
class SmartRegionPlugin(plugins.SingletonPlugin):
    """German catalogue of the Smart Region Ostfriesland on DCAT-AP.de."""

    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.ITemplateHelpers)
    plugins.implements(plugins.IValidators)
    plugins.implements(plugins.IPackageController, inherit=True)

    def update_config(self, config: Any) -> None:
        toolkit.add_template_directory(config, "templates")
        toolkit.add_public_directory(config, "public")

    def get_helpers(self) -> dict[str, Any]:
        return helpers.get_helpers()

    def get_validators(self) -> dict[str, Any]:
        return validators.get_validators()

    # IPackageController: facets and filters on the formats the schema stores (EU codes),
    # not on CKAN's default-schema spelling of them.
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return indexing.formats_as_stored(pkg_dict)
