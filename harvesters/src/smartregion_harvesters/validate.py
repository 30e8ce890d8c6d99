"""Checks a completed dataset before CKAN sees it, with messages a GIS officer understands.

CKAN validates again on import (and its errors reach the report too); checking here first
keeps a bad record from costing a request and names the DCAT-AP.de field, not CKAN's key.
"""

from __future__ import annotations

import json
from typing import Any

from smartregion_schemas import catalogue as codes

_GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                   "MultiPolygon", "GeometryCollection"}


def problems(dataset: dict[str, Any]) -> list[str]:
    """Everything wrong with ``dataset``; empty when it can be imported."""
    found: list[str] = []
    for key, label in (("title", "dct:title"), ("notes", "dct:description"),
                       ("owner_org", "dct:publisher (organisation)")):
        if not dataset.get(key):
            found.append(f"{label} fehlt / missing")
    if codes.license_for(dataset.get("license_id")) is None:
        found.append(f"dct:license {dataset.get('license_id')!r} ist keine dcat-ap.de-Lizenz")
    if not dataset.get("tags"):
        found.append("dcat:keyword fehlt / missing")
    for theme in dataset.get("theme") or []:
        if not str(theme).startswith(codes.EU_DATA_THEME_BASE):
            found.append(f"dcat:theme {theme!r} ist kein EU-Datenthema")
    for number, resource in enumerate(dataset.get("resources") or [], start=1):
        url = str(resource.get("url") or "")
        if not url.startswith(("http://", "https://")):
            found.append(f"Distribution {number}: dcat:accessURL {url!r} ist keine http(s)-URL")
        if codes.file_type_for(resource.get("format")) is None:
            found.append(f"Distribution {number}: dct:format {resource.get('format')!r} "
                         "ist kein EU-Dateityp")
    spatial = dataset.get("spatial")
    if spatial:
        found.extend(_geometry_problems(spatial))
    return found


def _geometry_problems(spatial: Any) -> list[str]:
    try:
        geometry = json.loads(spatial) if isinstance(spatial, str) else spatial
    except ValueError:
        return ["dct:spatial ist kein GeoJSON"]
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRY_TYPES:
        return ["dct:spatial ist keine GeoJSON-Geometrie"]
    return []
