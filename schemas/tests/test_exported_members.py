"""The public surface of ``smartregion_schemas.catalogue``: the CKAN extension, the CLI and the
harvesters import these names, so removing or renaming one must be a deliberate change here."""

from __future__ import annotations

from smartregion_schemas import catalogue

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


def test_all_lists_exactly_the_public_members() -> None:
    public = {name for name in dir(catalogue) if not name.startswith("_")}
    # Submodules are private (leading underscore); `annotations` comes from __future__.
    assert set(catalogue.__all__) == public - {"annotations"}
    assert set(catalogue.__all__) >= PUBLIC_FUNCTIONS
    for name in PUBLIC_FUNCTIONS:
        assert callable(getattr(catalogue, name))
    assert "DEFAULT_CONTRIBUTOR_ID" in catalogue.__all__


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


def test_live_all_lists_exactly_the_public_members() -> None:
    """The same contract for ``smartregion_schemas.live`` (adapters and the broker use it)."""
    from smartregion_schemas import live

    public = {name for name in dir(live) if not name.startswith("_")}
    assert set(live.__all__) == public - {"annotations"}
    assert set(live.__all__) >= LIVE_FUNCTIONS
    for name in LIVE_FUNCTIONS:
        assert callable(getattr(live, name))
    assert {"CONTEXT_URL", "ENTITY_TYPES", "EntityValidationError"} <= set(live.__all__)
