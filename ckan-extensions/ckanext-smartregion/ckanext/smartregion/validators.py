"""Validators of the dataset form: GeoJSON extents (with EPSG:25832 input), durations, formats."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import ckan.plugins.toolkit as toolkit
import smartregion_schemas.catalogue as codes

Invalid = toolkit.Invalid

_DURATION_RE = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
_GEOMETRY_TYPES = {
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    "GeometryCollection",
}


def geojson_wgs84(value: Any) -> Any:
    """A GeoJSON geometry in WGS84; coordinates in EPSG:25832 (UTM 32N) are transformed.

    GIS staff in Lower Saxony work in ETRS89/UTM 32N: numbers such as 390000/5900000
    cannot be longitude/latitude, so they are taken as EPSG:25832 and reprojected.
    """
    if value in (None, ""):
        return value
    try:
        geometry = json.loads(value) if isinstance(value, str) else value
    except ValueError as error:
        raise Invalid(f"Kein gültiges GeoJSON: {error}") from error
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRY_TYPES:
        raise Invalid("Erwartet wird eine GeoJSON-Geometrie (Point, Polygon, …)")
    coordinates = list(_positions(geometry))
    if not coordinates:
        raise Invalid("Die Geometrie enthält keine Koordinaten")
    if all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in coordinates):
        return json.dumps(geometry)
    if all(100_000 <= x <= 900_000 and 5_000_000 <= y <= 6_200_000 for x, y in coordinates):
        return json.dumps(_to_wgs84(geometry))
    raise Invalid(
        "Koordinaten weder in WGS84 (Längen-/Breitengrad) noch in EPSG:25832 (UTM 32N)"
    )


def iso_duration(value: Any) -> Any:
    """An ISO 8601 duration such as PT10M (dcat:temporalResolution is xsd:duration)."""
    if value in (None, ""):
        return value
    if not _DURATION_RE.match(str(value).strip()):
        raise Invalid("Bitte als ISO-8601-Dauer angeben, z. B. PT10M, PT1H oder P1D")
    return str(value).strip()


def file_type(value: Any) -> Any:
    """Normalise a format (``csv``, ``Shapefile``, ``text/csv``) to its EU file-type code."""
    if value in (None, ""):
        return value
    found = codes.file_type_for(str(value))
    return found.code if found else value


def _positions(geometry: dict[str, Any]) -> Iterator[tuple[float, float]]:
    if geometry["type"] == "GeometryCollection":
        for part in geometry.get("geometries", []):
            yield from _positions(part)
        return
    stack = [geometry.get("coordinates")]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and item and isinstance(item[0], (int, float)):
            yield float(item[0]), float(item[1])
        elif isinstance(item, list):
            stack.extend(item)


def _to_wgs84(geometry: dict[str, Any]) -> dict[str, Any]:
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)

    def convert(item: Any) -> Any:
        if isinstance(item, list) and item and isinstance(item[0], (int, float)):
            lon, lat = transformer.transform(item[0], item[1])
            return [round(lon, 7), round(lat, 7), *item[2:]]
        if isinstance(item, list):
            return [convert(part) for part in item]
        return item

    if geometry["type"] == "GeometryCollection":
        return {**geometry, "geometries": [_to_wgs84(g) for g in geometry["geometries"]]}
    return {**geometry, "coordinates": convert(geometry["coordinates"])}


def uri_list(prefix: str) -> Any:
    """A list of URIs from one vocabulary, e.g. all political geocodings of Germany.

    Forms offer the partners' entries, but harvested records may name any district or
    theme of the vocabulary; those must be kept, not rejected. Stored as a JSON list,
    like ckanext-scheming's multiple-choice fields.
    """

    def validator(value: Any) -> Any:
        if value in (None, "", []):
            return value
        items = _as_items(value)
        wrong = [item for item in items if not item.startswith(prefix)]
        if wrong:
            raise Invalid(f"Kein Eintrag aus {prefix}…: {', '.join(wrong)}")
        return json.dumps(list(dict.fromkeys(items)))

    return validator


def _as_items(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return _as_items(json.loads(text))
        except ValueError as error:
            raise Invalid("Liste nicht lesbar") from error
    return [part.strip() for part in text.split(",") if part.strip()]


def keywords_required(key: tuple, data: dict, errors: dict, context: dict) -> None:
    """At least one keyword, typed in the form (``tag_string``) or sent as ``tags`` list.

    GovData's quality dashboard rejects datasets without dcat:keyword.
    """
    typed = data.get(key)
    listed = any(k[0] == "tags" and k[-1] == "name" and v for k, v in data.items())
    if not (typed and str(typed).strip()) and not listed:
        errors[key].append("Bitte mindestens ein Schlagwort angeben")


def get_validators() -> dict[str, Any]:
    return {
        "smartregion_geojson_wgs84": geojson_wgs84,
        "smartregion_duration": iso_duration,
        "smartregion_file_type": file_type,
        "smartregion_uri_list": uri_list,
        "smartregion_keywords_required": keywords_required,
    }
