"""The public surfaces of ``smartregion_schemas.catalogue`` (the CKAN extension, the CLI and the
harvesters) and ``smartregion_schemas.live`` (adapters and the broker) import these names, so
removing or renaming one must be a deliberate change here."""

from __future__ import annotations

from types import ModuleType

import pytest
from smartregion_schemas import catalogue, live

PUBLIC_FUNCTIONS = {
    "partners",
    "partner",
    "themes",
    "eu_themes",
    "licenses",
    "ckan_license_register",
    "file_types",
    "file_type_for",
    "frequencies",
    "availabilities",
    "access_rights",
    "geocoding_levels",
    "languages",
    "publisher_types",
    "choices",
}


LIVE_FUNCTIONS = {
    "context_path",
    "context_document",
    "context_terms",
    "contexts_dir",
    "entity_schema",
    "example",
    "unit_code",
    "unit_codes",
    "units",
    "entity_id",
    "parse_entity_id",
    "partner_for",
    "attribute_kinds",
    "to_keyvalues",
    "validate_entity",
}


@pytest.mark.parametrize(("module", "functions", "other_names"), [
    (catalogue, PUBLIC_FUNCTIONS, {"DEFAULT_CONTRIBUTOR_ID"}),
    (live, LIVE_FUNCTIONS, {"CONTEXT_URL", "ENTITY_TYPES", "EntityValidationError"}),
], ids=["catalogue", "live"])
def test_all_lists_exactly_the_public_members(
    module: ModuleType, functions: set[str], other_names: set[str]
) -> None:
    public = {name for name in dir(module) if not name.startswith("_")}
    # Submodules are private (leading underscore); `annotations` comes from __future__.
    assert set(module.__all__) == public - {"annotations"}
    assert set(module.__all__) >= functions | other_names
    for name in functions:
        assert callable(getattr(module, name))
