"""Partner registry and DCAT-AP.de code lists of the catalogue (the YAML files beside this module).

Every loader validates its file on first use and caches the result (immutable pydantic models
in tuples); every item exposes its full ``uri``. Public surface, guarded by a test: the names
in ``__all__``. The CKAN extension, the CLI and the harvesters import from here::

    from smartregion_schemas.catalogue import partners, file_type_for, choices
"""

from __future__ import annotations

from smartregion_schemas.catalogue._bases import (
    ADMS_PUBLISHER_TYPE_BASE,
    DCATAP_DE_LICENSE_BASE,
    DEFAULT_CONTRIBUTOR_ID,
    DISTRICT_KEY_BASE,
    EU_ACCESS_RIGHT_BASE,
    EU_DATA_THEME_BASE,
    EU_FILE_TYPE_BASE,
    EU_FREQUENCY_BASE,
    EU_LANGUAGE_BASE,
    EU_PLANNED_AVAILABILITY_BASE,
    GEOCODING_LEVEL_BASE,
    IANA_MEDIA_TYPE_BASE,
    MUNICIPALITY_KEY_BASE,
    POLITICAL_GEOCODING_BASE,
)
from smartregion_schemas.catalogue._loader import (
    CHOICE_NAMES,
    CatalogueDataError,
    access_rights,
    availabilities,
    choices,
    ckan_license_register,
    eu_themes,
    file_type_for,
    file_types,
    frequencies,
    geocoding_levels,
    languages,
    license_for,
    licenses,
    partner,
    partners,
    publisher_types,
    themes,
)
from smartregion_schemas.catalogue._models import FileType, License, Partner, Term, Theme

__all__ = [
    "ADMS_PUBLISHER_TYPE_BASE",
    "CHOICE_NAMES",
    "DCATAP_DE_LICENSE_BASE",
    "DEFAULT_CONTRIBUTOR_ID",
    "DISTRICT_KEY_BASE",
    "EU_ACCESS_RIGHT_BASE",
    "EU_DATA_THEME_BASE",
    "EU_FILE_TYPE_BASE",
    "EU_FREQUENCY_BASE",
    "EU_LANGUAGE_BASE",
    "EU_PLANNED_AVAILABILITY_BASE",
    "GEOCODING_LEVEL_BASE",
    "IANA_MEDIA_TYPE_BASE",
    "MUNICIPALITY_KEY_BASE",
    "POLITICAL_GEOCODING_BASE",
    "CatalogueDataError",
    "FileType",
    "License",
    "Partner",
    "Term",
    "Theme",
    "access_rights",
    "availabilities",
    "choices",
    "ckan_license_register",
    "eu_themes",
    "file_type_for",
    "file_types",
    "frequencies",
    "geocoding_levels",
    "languages",
    "license_for",
    "licenses",
    "partner",
    "partners",
    "publisher_types",
    "themes",
]
