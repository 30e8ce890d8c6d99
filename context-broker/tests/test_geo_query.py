"""NGSI-LD geo-queries: strict parsing, and the PostGIS conditions on a real database.

The database tests run against the test instance's broker database, but only on TEMPORARY
tables ``entities`` and ``entity_geo`` (they shadow the real ones within the session), so
no real data is read or written.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time

import asyncpg
import pytest
from ngsild_broker.errors import BadRequestData
from ngsild_broker.query.geo_query import (
    MAX_POSITIONS,
    GeoQuery,
    distance_order_sql,
    geo_to_sql,
    parse_geo_query,
)

from smartregion import credentials
from smartregion.settings import PlatformSettings

CORE = "https://uri.etsi.org/ngsi-ld/"
DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
CORE_TERMS = {"location", "observationSpace", "operationSpace"}


def expand(term: str) -> str:
    if term in CORE_TERMS:
        return CORE + term
    return term if ":" in term else DEFAULT + term


class Params:
    """Collects bound values the way the repository does (``$n`` placeholders)."""

    def __init__(self, *initial: object) -> None:
        self.values: list[object] = list(initial)

    def __call__(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


# --- parser --------------------------------------------------------------------------------

SQUARE = [[[7.0, 53.0], [7.5, 53.0], [7.5, 53.5], [7.0, 53.5], [7.0, 53.0]]]
VALID_COORDINATES = {
    "Point": [7.19, 53.34],
    "MultiPoint": [[7.19, 53.34], [7.44, 53.22]],
    "LineString": [[7.19, 53.34], [7.44, 53.22, 2.5]],
    "MultiLineString": [[[7.19, 53.34], [7.44, 53.22]], [[7.0, 53.0], [7.1, 53.1]]],
    "Polygon": SQUARE,
    "MultiPolygon": [SQUARE, [[[8, 52], [8.1, 52], [8.1, 52.1], [8, 52]]]],
}


def test_no_geo_query_gives_none():
    assert parse_geo_query(None, None, None) is None
    assert parse_geo_query(None, None, None, None) is None


@pytest.mark.parametrize("geometry", sorted(VALID_COORDINATES))
@pytest.mark.parametrize(
    "georel", ["within", "contains", "intersects", "disjoint", "equals", "overlaps"]
)
def test_every_georel_with_every_geometry(georel, geometry):
    coordinates = VALID_COORDINATES[geometry]
    query = parse_geo_query(georel, geometry, json.dumps(coordinates))
    assert isinstance(query, GeoQuery)
    assert (query.georel, query.geometry, query.geoproperty) == (georel, geometry, "location")
    assert query.max_distance is None and query.min_distance is None
    assert json.loads(query.geojson) == {"type": geometry, "coordinates": coordinates}


def test_near_with_max_and_min_distance():
    query = parse_geo_query("near;maxDistance==2000", "Point", "[7.19,53.34]", "observationSpace")
    assert query == GeoQuery("near", "Point", [7.19, 53.34], "observationSpace", 2000.0, None)
    query = parse_geo_query("near;minDistance==0.5", "Point", " [ 7 , 53 ] ")
    assert (query.max_distance, query.min_distance) == (None, 0.5)
    assert query.coordinates == [7.0, 53.0]
    query = parse_geo_query("near;minDistance==10;maxDistance==1e4", "Point", "[7,53]")
    assert (query.max_distance, query.min_distance) == (10000.0, 10.0)


def test_boundaries_are_accepted():
    query = parse_geo_query("intersects", "MultiPoint", "[[-180,-90],[180,90,-11000.5]]")
    assert query.coordinates == [[-180.0, -90.0], [180.0, 90.0, -11000.5]]
    positions = [[i / 1000, 0] for i in range(MAX_POSITIONS)]
    assert parse_geo_query("intersects", "MultiPoint", json.dumps(positions))


def test_geoproperty_may_be_an_iri():
    query = parse_geo_query("within", "Polygon", json.dumps(SQUARE), "https://example.org/area")
    assert query.geoproperty == "https://example.org/area"


BAD = [
    # (georel, geometry, coordinates, geoproperty, fragment of the message)
    ("within", None, None, None, "missing: geometry, coordinates"),
    (None, "Point", "[7,53]", None, "missing: georel"),
    ("within", "Polygon", None, None, "missing: coordinates"),
    (None, None, None, "location", "geoproperty needs a geo-query"),
    ("", "Point", "[7,53]", None, "georel is empty"),
    ("nearby", "Point", "[7,53]", None, "Unknown georel"),
    ("Within", "Polygon", json.dumps(SQUARE), None, "Unknown georel"),
    ("within;maxDistance==5", "Polygon", json.dumps(SQUARE), None, "takes no modifiers"),
    ("near", "Point", "[7,53]", None, "needs maxDistance"),
    ("near;", "Point", "[7,53]", None, "Invalid near modifier"),
    ("near;maxDistance=5", "Point", "[7,53]", None, "Invalid near modifier"),
    ("near;distance==5", "Point", "[7,53]", None, "Invalid near modifier"),
    ("near;maxDistance==-5", "Point", "[7,53]", None, "non-negative number"),
    ("near;maxDistance==", "Point", "[7,53]", None, "non-negative number"),
    ("near;maxDistance==abc", "Point", "[7,53]", None, "non-negative number"),
    ("near;maxDistance==NaN", "Point", "[7,53]", None, "non-negative number"),
    ("near;maxDistance==inf", "Point", "[7,53]", None, "non-negative number"),
    ("near;maxDistance==0x10", "Point", "[7,53]", None, "non-negative number"),
    ("near;maxDistance==9" * 1 + "9" * 400, "Point", "[7,53]", None, "out of range"),
    ("near;maxDistance==1;maxDistance==2", "Point", "[7,53]", None, "more than once"),
    ("near;maxDistance==1;minDistance==2", "Point", "[7,53]", None, "greater than"),
    ("near;maxDistance==100", "Polygon", json.dumps(SQUARE), None, "needs geometry Point"),
    ("within", "Circle", "[7,53]", None, "Unsupported geometry"),
    ("within", "point", "[7,53]", None, "Unsupported geometry"),
    ("within", "GeometryCollection", "[]", None, "Unsupported geometry"),
    ("equals", "Point", "", None, "not a JSON array"),
    ("equals", "Point", "7,53", None, "not a JSON array"),
    ("equals", "Point", "[7,53", None, "not a JSON array"),
    ("equals", "Point", "[7;53]", None, "not a JSON array"),
    ("equals", "Point", "[7,53]]", None, "not a JSON array"),
    ("equals", "Point", "[NaN,53]", None, "finite numbers"),
    ("equals", "Point", "[Infinity,53]", None, "finite numbers"),
    ("equals", "Point", "[-Infinity,53]", None, "finite numbers"),
    ("equals", "Point", "[1e999,53]", None, "out of range"),
    ("equals", "Point", "[" + "9" * 5000 + ",53]", None, "out of range"),
    ("equals", "Point", "[7]", None, "2 or 3 numbers"),
    ("equals", "Point", "[7,53,1,2]", None, "2 or 3 numbers"),
    ("equals", "Point", "[]", None, "2 or 3 numbers"),
    ("equals", "Point", '{"lon":7}', None, "2 or 3 numbers"),
    ("equals", "Point", '["7",53]', None, "numbers only"),
    ("equals", "Point", "[true,53]", None, "numbers only"),
    ("equals", "Point", "[null,53]", None, "numbers only"),
    ("equals", "Point", "[180.0001,53]", None, "longitude"),
    ("equals", "Point", "[-181,53]", None, "longitude"),
    ("equals", "Point", "[7,90.5]", None, "latitude"),
    ("equals", "Point", "[7,-91]", None, "latitude"),
    ("equals", "Point", "[[7,53]]", None, "nested too deeply"),
    ("equals", "MultiPoint", "[7,53]", None, "2 or 3 numbers"),
    ("equals", "MultiPoint", "[]", None, "non-empty array"),
    ("equals", "LineString", "[[7,53]]", None, "at least 2 positions"),
    ("equals", "LineString", "[7,53]", None, "2 or 3 numbers"),
    ("equals", "MultiLineString", "[[[7,53],[8,53]],[[7,53]]]", None, "at least 2 positions"),
    ("equals", "MultiLineString", "[[]]", None, "non-empty array"),
    ("equals", "Polygon", "[[[7,53],[8,53],[7,53]]]", None, "at least 4 positions"),
    ("equals", "Polygon", "[[[7,53],[8,53],[8,54],[7,54]]]", None, "must be closed"),
    ("equals", "Polygon", "[[7,53],[8,53],[8,54],[7,53]]", None, "2 or 3 numbers"),
    ("equals", "Polygon", "[]", None, "non-empty array"),
    ("equals", "Polygon", "[[[[7,53],[8,53],[8,54],[7,53]]]]", None, "nested too deeply"),
    ("equals", "MultiPolygon", json.dumps(SQUARE), None, "2 or 3 numbers"),
    ("equals", "MultiPolygon", "[[[[7,53],[8,53],[8,54],[7,54]]]]", None, "must be closed"),
    ("within", "Polygon", json.dumps(SQUARE), "", "geoproperty is empty"),
    ("within", "Polygon", json.dumps(SQUARE), "loc ation", "not a valid attribute name"),
    ("within", "Polygon", json.dumps(SQUARE), "x');DROP TABLE entities;--", "not a valid"),
    ("within", "Polygon", json.dumps(SQUARE), "a" * 1001, "not a valid attribute name"),
]


@pytest.mark.parametrize(("georel", "geometry", "coordinates", "geoproperty", "message"), BAD)
def test_bad_geo_queries_are_bad_request_data(georel, geometry, coordinates, geoproperty, message):
    with pytest.raises(BadRequestData) as caught:
        parse_geo_query(georel, geometry, coordinates, geoproperty)
    assert message in caught.value.detail
    assert len(caught.value.detail) < 300


ABSURD = [
    "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,
    "]" * 50_000 + "[" * 50_000,
    "{" * 100_000,
    "[" + "1," * 400_000 + "1]",
    json.dumps([[0.0, 0.0]] * (MAX_POSITIONS + 1)),
    "[" + "[0,0]," * 150_000 + "[0,0]]",
    " " * 2_000_000,
    '["' + "x" * 500_000 + '"]',
    "[7,53]\x00",
    "\ud800",
]


@pytest.mark.parametrize("geometry", ["Point", "MultiPoint", "MultiPolygon"])
@pytest.mark.parametrize("index", range(len(ABSURD)))
def test_absurd_coordinates_fail_fast_and_cleanly(geometry, index):
    started = time.monotonic()
    with pytest.raises(BadRequestData):
        parse_geo_query("intersects", geometry, ABSURD[index])
    assert time.monotonic() - started < 2


def test_too_many_positions_message():
    with pytest.raises(BadRequestData, match="more than 10000 positions"):
        parse_geo_query("intersects", "MultiPoint", json.dumps([[0, 0]] * (MAX_POSITIONS + 1)))


def test_non_string_parameters_are_rejected():
    with pytest.raises(BadRequestData):
        parse_geo_query("within", "Polygon", SQUARE)  # type: ignore[arg-type]
    with pytest.raises(BadRequestData):
        parse_geo_query("within", "Polygon", json.dumps(SQUARE), 5)  # type: ignore[arg-type]


# --- SQL text ------------------------------------------------------------------------------


def test_sql_has_placeholders_only():
    query = parse_geo_query("near;maxDistance==1500", "Point", "[7.19,53.34]", "gauge:spot")
    params = Params("tenant")
    sql = geo_to_sql(query, expand, params, entity_alias="e")
    assert sql.startswith("EXISTS (SELECT 1 FROM entity_geo g WHERE g.tenant = e.tenant ")
    assert "g.entity_id = e.id AND g.attr = $2 AND " in sql
    assert "ST_DWithin(g.geom::geography, ST_SetSRID(ST_GeomFromGeoJSON($3::text), 4326)" in sql
    assert "gauge" not in sql and "7.19" not in sql and "1500" not in sql
    assert params.values == ["tenant", "gauge:spot", query.geojson, 1500.0]


@pytest.mark.parametrize(
    ("georel", "function"),
    [("within", "ST_Within"), ("contains", "ST_Contains"), ("intersects", "ST_Intersects"),
     ("disjoint", "ST_Disjoint"), ("equals", "ST_Equals"), ("overlaps", "ST_Overlaps")],
)
def test_sql_predicates(georel, function):
    query = parse_geo_query(georel, "Polygon", json.dumps(SQUARE))
    params = Params()
    sql = geo_to_sql(query, expand, params)
    assert f"{function}(g.geom, ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326))" in sql
    assert params.values[0] == CORE + "location"
    assert distance_order_sql(query, Params()) is None


def test_min_distance_is_negated_and_alias_checked():
    query = parse_geo_query("near;minDistance==10", "Point", "[7,53]")
    sql = geo_to_sql(query, expand, Params())
    assert "NOT ST_DWithin(g.geom::geography" in sql
    with pytest.raises(ValueError):
        geo_to_sql(query, expand, Params(), entity_alias="e; DROP TABLE x")


# --- PostGIS -------------------------------------------------------------------------------

EARTH_RADIUS = 6_371_008.8  # mean radius, metres

GAUGES = {  # id suffix -> (lon, lat)
    "emden-neue-seeschleuse": (7.19, 53.34),
    "leerort": (7.44, 53.22),
    "knock": (7.03, 53.34),
    "norderney-riffgat": (7.15, 53.70),
    "pogum": (7.25, 53.32),
    "papenburg": (7.39, 53.09),
}
EMDEN = GAUGES["emden-neue-seeschleuse"]
#: Second GeoProperty (observationSpace) for two gauges: far away from their location.
OBSERVATION_SPACE = {
    "papenburg": (7.20, 53.35),  # next to Emden
    "norderney-riffgat": (7.10, 53.72),
}
#: An entity whose location is a polygon (the Dollart bay, roughly).
DOLLART_ID = "urn:ngsi-ld:Area:dollart"
DOLLART = [[[7.05, 53.28], [7.22, 53.28], [7.22, 53.33], [7.05, 53.33], [7.05, 53.28]]]
#: Around the Ems mouth: Emden, Knock, Pogum; not Leerort, Norderney, Papenburg.
EMS_MOUTH = [[[6.95, 53.28], [7.30, 53.26], [7.32, 53.38], [7.10, 53.45], [6.95, 53.40],
              [6.95, 53.28]]]


def gauge_id(name: str) -> str:
    return f"urn:ngsi-ld:WaterLevelGauge:{name}"


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS * math.asin(math.sqrt(h))


def inside_ring(point: tuple[float, float], ring: list[list[float]]) -> bool:
    """Even-odd rule; test points are never on an edge."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def inside_polygon(point: tuple[float, float], rings: list[list[list[float]]]) -> bool:
    return inside_ring(point, rings[0]) and not any(inside_ring(point, r) for r in rings[1:])


def on_line(point: tuple[float, float], line: list[list[float]]) -> bool:
    """Exactly on a vertex; the test lines pass through gauges at their vertices only."""
    return any(tuple(vertex[:2]) == point for vertex in line)


def dsn() -> str:
    settings = PlatformSettings(instance="test")
    password = credentials.broker_db_password(settings.secrets_file)
    return credentials.broker_db_dsn(password, "127.0.0.1", settings.port("pg_port"))


async def _setup(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "CREATE TEMP TABLE entities (LIKE public.entities INCLUDING DEFAULTS);"
        "CREATE TEMP TABLE entity_geo (LIKE public.entity_geo INCLUDING DEFAULTS)"
    )
    for table in ("entities", "entity_geo"):  # the temporary tables shadow the real ones
        schema = await connection.fetchval(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass($1)", table,
        )
        assert schema.startswith("pg_temp"), schema

    async def add(tenant: str, entity_id: str, geo: dict[str, dict]) -> None:
        await connection.execute(
            "INSERT INTO entities (tenant, id, types, attrs) VALUES ($1, $2, $3, '{}'::jsonb)",
            tenant, entity_id, [DEFAULT + "WaterLevelGauge"],
        )
        for attr, geometry in geo.items():
            await connection.execute(
                "INSERT INTO entity_geo (tenant, entity_id, attr, geom) "
                "VALUES ($1, $2, $3, ST_SetSRID(ST_GeomFromGeoJSON($4::text), 4326))",
                tenant, entity_id, expand(attr), json.dumps(geometry),
            )

    for name, position in GAUGES.items():
        geo = {"location": {"type": "Point", "coordinates": list(position)}}
        if name in OBSERVATION_SPACE:
            geo["observationSpace"] = {
                "type": "Point", "coordinates": list(OBSERVATION_SPACE[name])
            }
        await add("", gauge_id(name), geo)
    await add("", DOLLART_ID, {"location": {"type": "Polygon", "coordinates": DOLLART}})
    # An entity without any GeoProperty, and one in another tenant right at Emden.
    await add("", "urn:ngsi-ld:WaterLevelGauge:nowhere", {})
    await add("other", gauge_id("emden-neue-seeschleuse"),
              {"location": {"type": "Point", "coordinates": list(EMDEN)}})


def run_queries(*queries: tuple[GeoQuery, bool]) -> list[list[str]]:
    """Run each (query, order by distance?) for the default tenant; ids per query."""

    async def main() -> list[list[str]]:
        try:
            connection = await asyncpg.connect(dsn(), timeout=10)
        except (OSError, asyncpg.PostgresError) as error:  # pragma: no cover
            pytest.fail(
                f"test instance database not reachable (make test starts it): {error}",
                pytrace=False,
            )
        try:
            await _setup(connection)
            results = []
            for query, by_distance in queries:
                params = Params("")
                condition = geo_to_sql(query, expand, params)
                order = "id"
                if by_distance:
                    order = distance_order_sql(query, params, expand) + ", id"
                rows = await connection.fetch(
                    f"SELECT id FROM entities WHERE tenant = $1 AND {condition} "
                    f"ORDER BY {order}",
                    *params.values,
                )
                results.append([row["id"] for row in rows])
            return results
        finally:
            await connection.close()

    return asyncio.run(main())


def one(georel: str, geometry: str, coordinates: object, geoproperty: str | None = None,
        by_distance: bool = False) -> list[str]:
    query = parse_geo_query(georel, geometry, json.dumps(coordinates), geoproperty)
    return run_queries((query, by_distance))[0]


def ids(names) -> set[str]:
    return {gauge_id(name) for name in names}


def point_locations() -> dict[str, tuple[float, float]]:
    return {gauge_id(name): position for name, position in GAUGES.items()}


def test_near_max_and_min_distance_match_haversine():
    radius = 10_000
    distances = {i: haversine(EMDEN, p) for i, p in point_locations().items()}
    # Guard against a gauge so close to the radius that sphere vs. spheroid would matter.
    assert all(abs(d - radius) > radius * 0.01 for d in distances.values())
    expected_near = {i for i, d in distances.items() if d <= radius}
    assert gauge_id("pogum") in expected_near and gauge_id("knock") not in expected_near

    near, far, ordered = run_queries(
        (parse_geo_query(f"near;maxDistance=={radius}", "Point", json.dumps(EMDEN)), False),
        (parse_geo_query(f"near;minDistance=={radius}", "Point", json.dumps(EMDEN)), False),
        (parse_geo_query("near;maxDistance==100000", "Point", json.dumps(EMDEN)), True),
    )
    # The Dollart polygon is within 10 km as well (its edge is ~1 km from Emden).
    assert set(near) == expected_near | {DOLLART_ID}
    assert set(far) == set(distances) - expected_near
    assert not set(near) & set(far)
    by_haversine = sorted(distances, key=distances.get)
    assert [i for i in ordered if i != DOLLART_ID] == by_haversine
    assert "urn:ngsi-ld:WaterLevelGauge:nowhere" not in near + far


def test_within_polygon_around_ems_mouth_and_with_a_hole():
    hole = [[7.24, 53.31], [7.26, 53.31], [7.26, 53.33], [7.24, 53.33], [7.24, 53.31]]
    with_hole = [EMS_MOUTH[0], hole]
    within, within_holed = run_queries(
        (parse_geo_query("within", "Polygon", json.dumps(EMS_MOUTH)), False),
        (parse_geo_query("within", "Polygon", json.dumps(with_hole)), False),
    )
    locations = point_locations()
    expected = {i for i, p in locations.items() if inside_polygon(p, EMS_MOUTH)}
    assert expected == ids(["emden-neue-seeschleuse", "knock", "pogum"])
    assert set(within) == expected | {DOLLART_ID}  # the Dollart box lies inside, too
    expected_holed = {i for i, p in locations.items() if inside_polygon(p, with_hole)}
    assert gauge_id("pogum") not in expected_holed
    assert set(within_holed) == expected_holed | {DOLLART_ID}


def test_intersects_and_disjoint_with_a_line():
    line = [list(GAUGES["leerort"]), [7.40, 53.15], list(GAUGES["papenburg"])]
    crossing_dollart = [[7.0, 53.30], [7.3, 53.30]]
    hits, misses, crossing = run_queries(
        (parse_geo_query("intersects", "LineString", json.dumps(line)), False),
        (parse_geo_query("disjoint", "LineString", json.dumps(line)), False),
        (parse_geo_query("intersects", "LineString", json.dumps(crossing_dollart)), False),
    )
    locations = point_locations()
    expected = {i for i, p in locations.items() if on_line(p, line)}
    assert expected == ids(["leerort", "papenburg"])
    assert set(hits) == expected
    assert set(misses) == (set(locations) - expected) | {DOLLART_ID}
    assert set(crossing) == {DOLLART_ID}


def test_multilinestring_and_multipoint():
    lines = [[list(GAUGES["knock"]), [7.0, 53.5]], [[7.5, 53.0], list(GAUGES["papenburg"])]]
    points = [list(GAUGES["pogum"]), [0.0, 0.0]]
    assert set(one("intersects", "MultiLineString", lines)) == ids(["knock", "papenburg"])
    assert set(one("intersects", "MultiPoint", points)) == ids(["pogum"])


def test_contains_equals_overlaps_on_a_polygon_entity():
    inside = [7.10, 53.30]
    assert one("contains", "Point", inside) == [DOLLART_ID]
    assert one("contains", "Point", [7.5, 53.0]) == []
    assert one("equals", "Polygon", DOLLART) == [DOLLART_ID]
    assert one("equals", "Point", list(GAUGES["pogum"])) == [gauge_id("pogum")]
    partly = [[[7.2, 53.2], [7.4, 53.2], [7.4, 53.3], [7.2, 53.3], [7.2, 53.2]]]
    assert one("overlaps", "Polygon", partly) == [DOLLART_ID]
    both = [DOLLART, [[[7.4, 53.0], [7.5, 53.0], [7.5, 53.1], [7.4, 53.0]]]]
    assert one("within", "MultiPolygon", both) == [DOLLART_ID]
    bigger = [EMS_MOUTH, [[[7.3, 53.0], [7.5, 53.0], [7.5, 53.3], [7.3, 53.0]]]]
    locations = point_locations()
    expected = {i for i, p in locations.items() if any(inside_polygon(p, poly) for poly in bigger)}
    assert set(one("within", "MultiPolygon", bigger)) == expected | {DOLLART_ID}


def test_geoproperty_selects_the_geometry():
    radius = 5_000
    by_location = one(f"near;maxDistance=={radius}", "Point", EMDEN)
    by_space = one(f"near;maxDistance=={radius}", "Point", EMDEN, "observationSpace")
    by_iri = one(f"near;maxDistance=={radius}", "Point", EMDEN, CORE + "observationSpace")
    assert set(by_location) == {
        i for i, p in point_locations().items() if haversine(EMDEN, p) <= radius
    } | {DOLLART_ID}
    expected = {
        gauge_id(n) for n, p in OBSERVATION_SPACE.items() if haversine(EMDEN, p) <= radius
    }
    assert set(by_space) == set(by_iri) == expected == ids(["papenburg"])
    assert gauge_id("papenburg") not in by_location
    assert one("within", "Polygon", EMS_MOUTH, "operationSpace") == []
    assert one("within", "Polygon", EMS_MOUTH, "unknownGeo") == []


def test_other_tenant_is_not_seen():
    # The "other" tenant has a gauge exactly at Emden with the same id; only one row here.
    found = one("near;maxDistance==1", "Point", EMDEN)
    assert found == [gauge_id("emden-neue-seeschleuse")]
