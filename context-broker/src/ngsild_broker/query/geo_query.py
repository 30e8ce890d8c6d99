"""NGSI-LD geo-queries (ETSI GS CIM 009 v1.8, clause 4.10) translated to PostGIS conditions.

``GET /entities?georel=…&geometry=…&coordinates=…&geoproperty=…`` is parsed and validated
strictly by :func:`parse_geo_query`; :func:`geo_to_sql` turns the result into a boolean SQL
condition on the ``entity_geo`` table (one PostGIS geometry per GeoProperty instance).

Semantics: an entity matches when at least one instance (``datasetId``) of the queried
GeoProperty satisfies the relation; entities without that GeoProperty never match (not even
``disjoint`` or ``near;minDistance``). The relation reads "entity geometry <georel> query
geometry", e.g. ``within`` = the entity's geometry lies within the query polygon and
``contains`` = the entity's geometry contains the query geometry. Distances are metres on
the WGS 84 spheroid (PostGIS ``geography``).

User text never reaches the SQL: the query geometry (as GeoJSON), the attribute IRI and the
distances are handed to ``bind`` and appear only as placeholders.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequestData

GEORELS = ("near", "within", "contains", "intersects", "disjoint", "equals", "overlaps")
#: Geometry type -> number of list levels above the positions.
GEOMETRY_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}
DEFAULT_GEOPROPERTY = "location"
MAX_POSITIONS = 10_000
#: Upper bound for the coordinates text; 10,000 long 3D positions fit comfortably.
MAX_COORDINATES_CHARS = 1_000_000
MAX_GEOPROPERTY_CHARS = 1_000

CORE_IRI = "https://uri.etsi.org/ngsi-ld/"
_CORE_GEOPROPERTIES = frozenset({"location", "observationSpace", "operationSpace"})

_PREDICATES = {
    "within": "ST_Within",
    "contains": "ST_Contains",
    "intersects": "ST_Intersects",
    "disjoint": "ST_Disjoint",
    "equals": "ST_Equals",
    "overlaps": "ST_Overlaps",
}
_DISTANCE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_MODIFIER = re.compile(r"(maxDistance|minDistance)==(.*)", re.DOTALL)
# Attribute names must not contain these (clause 4.6.2 forbids them in names).
_FORBIDDEN_IN_NAME = re.compile(r"[\s<>\"'=;()\\\x00-\x1f\x7f]")
_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class GeoQuery:
    """A validated geo-query. ``coordinates`` holds floats only (ints are converted)."""

    georel: str  # one of GEORELS
    geometry: str  # one of GEOMETRY_DEPTH
    coordinates: Any  # nested lists of float, as in GeoJSON
    geoproperty: str = DEFAULT_GEOPROPERTY  # as the client wrote it (not expanded)
    max_distance: float | None = None  # metres, only with "near"
    min_distance: float | None = None  # metres, only with "near"

    @property
    def geojson(self) -> str:
        """The query geometry as GeoJSON text, for ``ST_GeomFromGeoJSON``."""
        return json.dumps(
            {"type": self.geometry, "coordinates": self.coordinates},
            separators=(",", ":"), allow_nan=False,
        )


def parse_geo_query(
    georel: str | None,
    geometry: str | None,
    coordinates: str | None,
    geoproperty: str | None = None,
) -> GeoQuery | None:
    """Validate the geo-query URL parameters; ``None`` when there is no geo-query.

    Raises :class:`BadRequestData` for every problem, including a ``geoproperty`` without
    the other three parameters.
    """
    given = {"georel": georel, "geometry": geometry, "coordinates": coordinates}
    if all(value is None for value in given.values()):
        if geoproperty is not None:
            raise BadRequestData(
                "geoproperty needs a geo-query: georel, geometry and coordinates"
            )
        return None
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise BadRequestData(
            "A geo-query needs georel, geometry and coordinates together; missing: "
            + ", ".join(missing)
        )
    for name, value in given.items():
        if not isinstance(value, str):
            raise BadRequestData(f"{name} must be a string")
    assert georel is not None and geometry is not None and coordinates is not None

    relation, max_distance, min_distance = _parse_georel(georel)
    kind = _parse_geometry(geometry)
    if relation == "near" and kind != "Point":
        raise BadRequestData(f"georel near needs geometry Point, not {kind}")
    parsed = _parse_coordinates(coordinates, kind)
    return GeoQuery(
        georel=relation,
        geometry=kind,
        coordinates=parsed,
        geoproperty=_parse_geoproperty(geoproperty),
        max_distance=max_distance,
        min_distance=min_distance,
    )


def geo_to_sql(
    query: GeoQuery,
    expand: Callable[[str], str],
    bind: Callable[[object], str],
    entity_alias: str = "entities",
) -> str:
    """A boolean SQL condition for ``SELECT … FROM entities [AS <entity_alias>] WHERE …``.

    ``expand`` maps the (compacted) geoproperty to its IRI under the request's @context;
    ``bind`` appends a parameter and returns its placeholder (``$n``).
    """
    alias = _check_alias(entity_alias)
    attr = bind(expand(query.geoproperty))
    target = f"ST_SetSRID(ST_GeomFromGeoJSON({bind(query.geojson)}::text), 4326)"
    if query.georel == "near":
        parts = []
        if query.max_distance is not None:
            parts.append(
                f"ST_DWithin(g.geom::geography, {target}::geography, "
                f"{bind(query.max_distance)}::float8)"
            )
        if query.min_distance is not None:
            parts.append(
                f"NOT ST_DWithin(g.geom::geography, {target}::geography, "
                f"{bind(query.min_distance)}::float8)"
            )
        predicate = " AND ".join(parts)
    else:
        predicate = f"{_PREDICATES[query.georel]}(g.geom, {target})"
    return (
        "EXISTS (SELECT 1 FROM entity_geo g "
        f"WHERE g.tenant = {alias}.tenant AND g.entity_id = {alias}.id "
        f"AND g.attr = {attr} AND {predicate})"
    )


def distance_order_sql(
    query: GeoQuery,
    bind: Callable[[object], str],
    expand: Callable[[str], str] | None = None,
    entity_alias: str = "entities",
) -> str | None:
    """An ``ORDER BY`` expression for near queries: metres to the nearest instance of the
    geoproperty (``ST_Distance`` on geography); ``None`` for the other georels.

    Pass the request's ``expand``; without it only core GeoProperty names and full IRIs
    can be resolved.
    """
    if query.georel != "near":
        return None
    alias = _check_alias(entity_alias)
    attr = bind((expand or _core_expand)(query.geoproperty))
    target = f"ST_SetSRID(ST_GeomFromGeoJSON({bind(query.geojson)}::text), 4326)"
    return (
        f"(SELECT min(ST_Distance(g.geom::geography, {target}::geography)) "
        "FROM entity_geo g "
        f"WHERE g.tenant = {alias}.tenant AND g.entity_id = {alias}.id AND g.attr = {attr})"
    )


# --- parsing helpers -----------------------------------------------------------------------


def _parse_georel(text: str) -> tuple[str, float | None, float | None]:
    if not text.strip():
        raise BadRequestData("georel is empty")
    relation, *modifiers = (part.strip() for part in text.split(";"))
    if relation not in GEORELS:
        raise BadRequestData(
            f"Unknown georel {_show(relation)}; expected one of: " + ", ".join(GEORELS)
        )
    if relation != "near":
        if modifiers:
            raise BadRequestData(f"georel {relation} takes no modifiers")
        return relation, None, None
    distances: dict[str, float] = {}
    for modifier in modifiers:
        match = _MODIFIER.fullmatch(modifier)
        if not match:
            raise BadRequestData(
                f"Invalid near modifier {_show(modifier)}; expected maxDistance==<metres> "
                "or minDistance==<metres>"
            )
        name, value = match.groups()
        if name in distances:
            raise BadRequestData(f"georel near gives {name} more than once")
        distances[name] = _parse_distance(name, value.strip())
    if not distances:
        raise BadRequestData(
            "georel near needs maxDistance==<metres> or minDistance==<metres>"
        )
    high, low = distances.get("maxDistance"), distances.get("minDistance")
    if high is not None and low is not None and low > high:
        raise BadRequestData("minDistance is greater than maxDistance")
    return relation, high, low


def _parse_distance(name: str, value: str) -> float:
    if not _DISTANCE.fullmatch(value):
        raise BadRequestData(
            f"{name} must be a non-negative number of metres, not {_show(value)}"
        )
    distance = float(value)
    if not math.isfinite(distance):
        raise BadRequestData(f"{name} is out of range: {_show(value)}")
    return distance


def _parse_geometry(text: str) -> str:
    if text not in GEOMETRY_DEPTH:
        raise BadRequestData(
            f"Unsupported geometry {_show(text)}; expected one of: " + ", ".join(GEOMETRY_DEPTH)
        )
    return text


def _parse_geoproperty(text: str | None) -> str:
    if text is None:
        return DEFAULT_GEOPROPERTY
    if not isinstance(text, str) or not text:
        raise BadRequestData("geoproperty is empty")
    if len(text) > MAX_GEOPROPERTY_CHARS or _FORBIDDEN_IN_NAME.search(text):
        raise BadRequestData(f"geoproperty is not a valid attribute name: {_show(text)}")
    return text


def _parse_coordinates(text: str, kind: str) -> Any:
    if len(text) > MAX_COORDINATES_CHARS:
        raise BadRequestData(
            f"coordinates are too long (more than {MAX_COORDINATES_CHARS} characters)"
        )
    depth = GEOMETRY_DEPTH[kind]
    # Bound the nesting before json.loads, which would recurse on "[[[[…".
    if _max_nesting(text) > depth + 1:
        raise BadRequestData(f"coordinates are nested too deeply for a {kind}")
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_number,
            parse_int=_finite_number,
        )
    except BadRequestData:
        raise
    except (ValueError, RecursionError) as error:
        raise BadRequestData(f"coordinates are not a JSON array: {error}") from None
    counter = [0]
    _check_level(value, depth, kind, counter)
    return value


def _max_nesting(text: str) -> int:
    deepest = level = 0
    for char in text:
        if char in "[{":
            level += 1
            if level > deepest:
                deepest = level
        elif char in "]}":
            level -= 1
    return deepest


def _reject_constant(name: str) -> float:
    raise BadRequestData(f"coordinates must be finite numbers, not {name}")


def _finite_number(text: str) -> float:
    try:
        number = float(text)
    except (ValueError, OverflowError):
        number = math.inf
    if not math.isfinite(number):
        raise BadRequestData(f"coordinate out of range: {_show(text)}")
    return number


def _check_level(value: Any, depth: int, kind: str, counter: list[int]) -> None:
    """Check one level of a GeoJSON coordinates array (``depth`` levels above positions)."""
    if depth == 0:
        _check_position(value, counter)
        return
    if not isinstance(value, list) or not value:
        raise BadRequestData(f"coordinates of a {kind} must be a non-empty array of arrays")
    for item in value:
        _check_level(item, depth - 1, kind, counter)
    # Structural rules on the level right above the positions.
    if depth == 1 and kind in ("LineString", "MultiLineString") and len(value) < 2:
        raise BadRequestData(f"each line of a {kind} needs at least 2 positions")
    if depth == 1 and kind in ("Polygon", "MultiPolygon"):
        if len(value) < 4:
            raise BadRequestData(f"each ring of a {kind} needs at least 4 positions")
        if value[0] != value[-1]:
            raise BadRequestData(
                f"each ring of a {kind} must be closed (first position = last position)"
            )


def _check_position(value: Any, counter: list[int]) -> None:
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise BadRequestData(
            f"a position must be an array of 2 or 3 numbers, not {_show(json.dumps(value))}"
        )
    if not all(type(number) is float for number in value):
        raise BadRequestData("a position may contain numbers only")
    lon, lat = value[0], value[1]
    if not -180 <= lon <= 180:
        raise BadRequestData(f"longitude {lon} is outside -180..180")
    if not -90 <= lat <= 90:
        raise BadRequestData(f"latitude {lat} is outside -90..90")
    counter[0] += 1
    if counter[0] > MAX_POSITIONS:
        raise BadRequestData(f"coordinates have more than {MAX_POSITIONS} positions")


def _core_expand(term: str) -> str:
    if term in _CORE_GEOPROPERTIES:
        return CORE_IRI + term
    if ":" in term:
        return term
    raise ValueError(f"Cannot expand geoproperty {term!r} without the request's expand")


def _check_alias(alias: str) -> str:
    if not _ALIAS.fullmatch(alias):
        raise ValueError(f"entity_alias must be an SQL identifier, not {alias!r}")
    return alias


def _show(text: str, limit: int = 60) -> str:
    """Quote user text for a message, shortened so that error bodies stay small."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
