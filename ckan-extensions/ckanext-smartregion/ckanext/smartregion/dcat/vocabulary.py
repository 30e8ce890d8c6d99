"""Where the profile gets what is not in the dataset dict: CKAN objects and code lists.

Code lists come from the shared ``smartregion_schemas`` package (one source of truth
for forms, harvesters and the profile); organisations and theme groups from CKAN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ckan.plugins.toolkit as toolkit
import smartregion_schemas.catalogue as codes

from .enrich import FileTypeInfo, Lookups

CONTRIBUTOR_ID_OPTION = "ckanext.smartregion.contributor_id"
REGION_ORGANIZATION_OPTION = "ckanext.smartregion.region_organization"


def contributor_id() -> str:
    """The catalogue's GovData contributor ID (configuration, K12)."""
    return toolkit.config.get(CONTRIBUTOR_ID_OPTION) or codes.DEFAULT_CONTRIBUTOR_ID


def region_organization() -> str:
    """Name of the organisation that publishes the catalogue as a whole."""
    return toolkit.config.get(REGION_ORGANIZATION_OPTION) or "smart-region-ostfriesland"


def file_type(text: str) -> FileTypeInfo | None:
    found = codes.file_type_for(text) if text else None
    if found is None:
        return None
    return FileTypeInfo(code=found.code, media_type=found.media_type)


def license_uri(text: str) -> str | None:
    found = codes.license_for(text) if text else None
    return found.uri if found else None


def lookups(
    org_cache: dict[str, Any], organization_uri: Callable[[Mapping[str, Any]], str]
) -> Lookups:
    """Lookups backed by CKAN actions, cached for one serialisation run."""
    group_cache: dict[str, list[str]] = {}

    def organization(id_or_name: str) -> Mapping[str, Any] | None:
        if id_or_name not in org_cache:
            try:
                org_cache[id_or_name] = toolkit.get_action("organization_show")(
                    {"ignore_auth": True}, {"id": id_or_name, "include_datasets": False}
                )
            except toolkit.ObjectNotFound:
                org_cache[id_or_name] = None
        return org_cache[id_or_name]

    def group_themes(name: str) -> list[str]:
        if name not in group_cache:
            try:
                group = toolkit.get_action("group_show")(
                    {"ignore_auth": True}, {"id": name, "include_datasets": False}
                )
                group_cache[name] = list(_as_list(group.get("eu_themes")))
            except toolkit.ObjectNotFound:
                group_cache[name] = []
        return group_cache[name]

    def org_uri(org: Mapping[str, Any]) -> str:
        return organization_uri({"organization": org, "owner_org": org.get("id")})

    def dataset_page(dataset: Mapping[str, Any]) -> str:
        site = toolkit.config.get("ckan.site_url", "").rstrip("/")
        return f"{site}/dataset/{dataset.get('name') or dataset.get('id')}"

    return Lookups(
        organization=organization,
        group_themes=group_themes,
        file_type=file_type,
        organization_uri=org_uri,
        license_uri=license_uri,
        dataset_page=dataset_page,
    )


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]
