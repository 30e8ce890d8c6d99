"""Fill in, before serialising, what DCAT-AP.de and GovData require but staff should not type.

A dataset created with only the form's required fields must still come out as valid
DCAT-AP.de: publisher and contact from the organisation, political geocoding of the
partner, themes of its theme groups, a stable identifier, German as language, EU
file-type and IANA media-type URIs for formats, the dataset licence on every
distribution. This module does that on a *copy* of the dataset dict; the stored
dataset is never changed. Lookups (organisation, group themes, file types) are
passed in, so the rules are testable without CKAN.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .namespaces import FILE_TYPE_BASE, IANA_MEDIA_TYPES, LANGUAGE_BASE

GERMAN = LANGUAGE_BASE + "DEU"

#: File types that are services (no file to download): only dcat:accessURL (K39).
SERVICE_FILE_TYPES = frozenset({"WMS_SRVC", "WFS_SRVC", "WCS_SRVC", "WMTS_SRVC", "REST", "SPARQLQ"})


@dataclass(frozen=True)
class FileTypeInfo:
    """What the enricher needs to know of an EU file type."""

    code: str
    media_type: str | None


@dataclass(frozen=True)
class Lookups:
    """Access to what lives outside the dataset dict."""

    organization: Callable[[str], Mapping[str, Any] | None]
    group_themes: Callable[[str], list[str]]
    file_type: Callable[[str], FileTypeInfo | None]
    organization_uri: Callable[[Mapping[str, Any]], str]
    license_uri: Callable[[str], str | None] = lambda text: None
    dataset_page: Callable[[Mapping[str, Any]], str] | None = None


def enrich_for_output(dataset: Mapping[str, Any], dataset_uri: str, lookups: Lookups) -> dict:
    """A copy of ``dataset`` with DCAT-AP.de defaults filled in."""
    out = copy.deepcopy(dict(dataset))
    org = _organization(out, lookups)
    out.setdefault("identifier", None)
    if not out["identifier"]:
        out["identifier"] = dataset_uri
    if not out.get("url") and lookups.dataset_page:
        out["url"] = lookups.dataset_page(out)  # dcat:landingPage: its page in this portal
    if not out.get("language"):
        out["language"] = [GERMAN]
    out["theme"] = _themes(out, lookups)
    # Licence ids of other registers (CKAN's "cc-by", old GovData ids) → dcat-ap.de URIs (K31).
    out["license_id"] = lookups.license_uri(out.get("license_id") or "") or out.get("license_id")
    if org:
        _defaults_from_organization(out, org, lookups)
    for resource in out.get("resources", []):
        _enrich_resource(resource, out, lookups)
    return out


def _organization(dataset: Mapping[str, Any], lookups: Lookups) -> Mapping[str, Any] | None:
    owner = dataset.get("owner_org") or (dataset.get("organization") or {}).get("id")
    return lookups.organization(owner) if owner else None


def _themes(dataset: Mapping[str, Any], lookups: Lookups) -> list[str]:
    themes = list(_as_list(dataset.get("theme")))
    for group in dataset.get("groups") or []:
        themes.extend(lookups.group_themes(group["name"]))
    return list(dict.fromkeys(themes))


def _defaults_from_organization(
    dataset: dict[str, Any], org: Mapping[str, Any], lookups: Lookups
) -> None:
    """Publisher (K36), contact point (K01) and political geocoding (K08) of the partner."""
    if not _has_agent(dataset.get("publisher")):
        dataset["publisher"] = [
            {
                "uri": lookups.organization_uri(org),
                "name": org.get("title") or org.get("name"),
                "email": org.get("contact_email"),
                "url": org.get("homepage"),
                "type": org.get("publisher_type"),
            }
        ]
    if not _has_agent(dataset.get("contact")) and (
        org.get("contact_email") or org.get("homepage")
    ):
        dataset["contact"] = [
                {
                    "name": org.get("title") or org.get("name"),
                    "email": org.get("contact_email"),
                    "url": org.get("homepage"),
                }
            ]
    if not _as_list(dataset.get("political_geocoding_uri")):
        dataset["political_geocoding_uri"] = _as_list(org.get("political_geocoding_uri"))
        if not dataset.get("political_geocoding_level_uri"):
            dataset["political_geocoding_level_uri"] = org.get("political_geocoding_level_uri")


def _enrich_resource(
    resource: dict[str, Any], dataset: Mapping[str, Any], lookups: Lookups
) -> None:
    file_type = lookups.file_type(resource.get("format") or "")
    if file_type:
        resource["format"] = FILE_TYPE_BASE + file_type.code
        if not resource.get("mimetype") and file_type.media_type:
            resource["mimetype"] = file_type.media_type
    if resource.get("mimetype") and "://" not in resource["mimetype"]:
        resource["mimetype"] = IANA_MEDIA_TYPES + resource["mimetype"]
    resource["license"] = lookups.license_uri(resource.get("license") or "") or resource.get(
        "license"
    )
    if not resource.get("license") and dataset.get("license_id"):
        resource["license"] = dataset["license_id"]
    if not resource.get("availability") and dataset.get("availability"):
        resource["availability"] = dataset["availability"]
    if not resource.get("license_attribution_by_text"):
        resource["license_attribution_by_text"] = dataset.get("license_attribution_by_text")
    url = resource.get("url")
    if url and not resource.get("access_url"):
        resource["access_url"] = url
    is_service = file_type is not None and file_type.code in SERVICE_FILE_TYPES
    if url and not is_service and not resource.get("download_url"):
        resource["download_url"] = url  # K39: a direct download is access and download URL


def _has_agent(value: Any) -> bool:
    return any(isinstance(item, Mapping) and item.get("name") for item in _as_list(value))


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]
