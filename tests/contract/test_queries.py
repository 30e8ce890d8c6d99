"""Queries with the NGSI-LD query language and geo-queries (clauses 4.9, 4.10, 6.4.3.2)."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator

import httpx
import pytest

from .conftest import water_observed
from .test_entities import assert_problem

#: Tide gauges in and around the region (WGS84 lon, lat) and a water level in cm.
GAUGES = {
    "emden": ((7.19, 53.34), 432.0),
    "pogum": ((7.25, 53.32), 410.0),
    "knock": ((7.03, 53.34), 455.0),
    "leerort": ((7.44, 53.22), 380.0),
    "norderney": ((7.15, 53.70), 505.0),
}


@pytest.fixture(scope="module")
def gauges(broker_url: str, write_headers: dict) -> Iterator[tuple[str, dict]]:
    tenant = f"g{uuid.uuid4().hex[:10]}"
    entities = {}
    for name, ((lon, lat), height) in GAUGES.items():
        entity = water_observed(f"urn:ngsi-ld:WaterObserved:test:{name}", height=height)
        entity["location"]["value"]["coordinates"] = [lon, lat]
        entities[name] = entity
    headers = {**write_headers, "NGSILD-Tenant": tenant}
    with httpx.Client(base_url=f"{broker_url}/ngsi-ld/v1") as client:
        created = client.post("/entityOperations/create", headers=headers,
                              json=list(entities.values()))
        assert created.status_code == 201, created.text
        yield tenant, entities
        client.post("/entityOperations/delete", headers=headers,
                    json=[e["id"] for e in entities.values()])


def names(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {entity["id"].rsplit(":", 1)[1] for entity in response.json()}


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_near_max_distance(broker: httpx.Client, gauges) -> None:
    tenant, _ = gauges
    emden = GAUGES["emden"][0]
    found = names(broker.get("/entities", headers={"NGSILD-Tenant": tenant}, params={
        "type": "WaterObserved", "georel": "near;maxDistance==15000", "geometry": "Point",
        "coordinates": json.dumps(list(emden))}))
    expected = {n for n, (point, _) in GAUGES.items() if haversine_m(emden, point) <= 15000}
    assert found == expected and "norderney" not in found


def test_within_polygon(broker: httpx.Client, gauges) -> None:
    tenant, _ = gauges
    dollart = [[[7.0, 53.25], [7.35, 53.25], [7.35, 53.40], [7.0, 53.40], [7.0, 53.25]]]
    found = names(broker.get("/entities", headers={"NGSILD-Tenant": tenant}, params={
        "type": "WaterObserved", "georel": "within", "geometry": "Polygon",
        "coordinates": json.dumps(dollart)}))
    assert found == {"emden", "pogum", "knock"}


def test_q_comparisons_ranges_and_logic(broker: httpx.Client, gauges) -> None:
    tenant, _ = gauges
    headers = {"NGSILD-Tenant": tenant}

    def q(expression: str) -> set[str]:
        return names(broker.get("/entities", headers=headers,
                                params={"type": "WaterObserved", "q": expression}))

    heights = {n: h for n, (_, h) in GAUGES.items()}
    assert q("height>430") == {n for n, h in heights.items() if h > 430}
    assert q("height==380..432") == {n for n, h in heights.items() if 380 <= h <= 432}
    assert q("height<400|height>500") == {n for n, h in heights.items() if h < 400 or h > 500}
    assert q("height>400;height<450") == {n for n, h in heights.items() if 400 < h < 450}
    assert q('refDevice=="urn:ngsi-ld:Device:emd:gauge-1"') == set(GAUGES)
    assert q("height.unitCode==\"CMT\"") == set(GAUGES)


def test_absurd_queries_get_400_not_500(broker: httpx.Client, gauges) -> None:
    tenant, _ = gauges
    headers = {"NGSILD-Tenant": tenant}
    for params in (
        {"type": "WaterObserved", "q": "((((height>1"},
        {"type": "WaterObserved", "q": "height>>1"},
        {"type": "WaterObserved", "q": "(" * 5000},
        {"type": "WaterObserved", "georel": "near;maxDistance==-5", "geometry": "Point",
         "coordinates": "[7, 53]"},
        {"type": "WaterObserved", "georel": "within", "geometry": "Polygon",
         "coordinates": "[[[7,53],[8,53]]]"},
        {"type": "WaterObserved", "georel": "near;maxDistance==10", "geometry": "Point",
         "coordinates": "[" * 5000},
        {"type": "WaterObserved", "idPattern": "(unclosed"},
    ):
        assert_problem(broker.get("/entities", headers=headers, params=params), 400,
                       "BadRequestData")


def test_query_by_post_matches_get(broker: httpx.Client, gauges) -> None:
    tenant, _ = gauges
    headers = {"NGSILD-Tenant": tenant}
    emden = list(GAUGES["emden"][0])
    posted = broker.post("/entityOperations/query", headers=headers, json={
        "type": "Query", "entities": [{"type": "WaterObserved"}], "q": "height>400",
        "geoQ": {"georel": "near;maxDistance==15000", "geometry": "Point", "coordinates": emden},
    })
    fetched = broker.get("/entities", headers=headers, params={
        "type": "WaterObserved", "q": "height>400", "georel": "near;maxDistance==15000",
        "geometry": "Point", "coordinates": json.dumps(emden)})
    assert names(posted) == names(fetched)
    assert names(posted)  # not trivially empty
    assert_problem(broker.post("/entityOperations/query", headers=headers, json={"q": "x"}),
                   400, "BadRequestData")


def test_pick_and_omit(broker: httpx.Client, gauges) -> None:
    tenant, entities = gauges
    entity_id = entities["emden"]["id"]
    headers = {"NGSILD-Tenant": tenant}
    picked = broker.get(f"/entities/{entity_id}", headers=headers,
                        params={"pick": "id,height"}).json()
    assert set(picked) == {"id", "height"}
    omitted = broker.get(f"/entities/{entity_id}", headers=headers,
                         params={"omit": "location,name"}).json()
    assert "location" not in omitted and "height" in omitted and "type" in omitted


def test_q_equality_on_every_attribute_kind(broker: httpx.Client) -> None:
    """``attr==value`` finds values, list elements, objects, vocab terms and language texts,
    whatever index shortcut the broker takes (one entity per kind, each query names one)."""
    run = uuid.uuid4().hex[:8]
    kinds = {
        "text": {"type": "Property", "value": "Leerort"},
        "level": {"type": "Property", "value": 5.0},
        "flag": {"type": "Property", "value": True},
        "tags": {"type": "Property", "value": ["ems", "tide"]},
        "readings": {"type": "ListProperty", "valueList": [1, 2, 3]},
        "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Organization:ler"},
        "kind": {"type": "VocabProperty", "vocab": "tideGauge"},
        "label": {"type": "LanguageProperty", "languageMap": {"de": "Pegel", "en": "Gauge"}},
        # 2**53 + 1: no float holds it, so a shortcut through floats would miss it
        "serial": {"type": "Property", "value": 9007199254740993},
    }
    ids = {}
    for name, attribute in kinds.items():
        ids[name] = f"urn:ngsi-ld:Thing:{run}:{name}"
        entity = {"id": ids[name], "type": f"QKind{run}", name: attribute}
        assert broker.post("/entities", headers=broker.write_headers,
                           json=entity).status_code == 201

    def q(expression: str) -> set[str]:
        response = broker.get("/entities", params={"type": f"QKind{run}", "q": expression})
        assert response.status_code == 200, response.text
        return {e["id"] for e in response.json()}

    assert q('text=="Leerort"') == {ids["text"]}
    assert q("level==5") == {ids["level"]}
    assert q("flag==true") == {ids["flag"]}
    assert q('tags=="tide"') == {ids["tags"]}
    assert q("readings==2") == {ids["readings"]}
    assert q('owner=="urn:ngsi-ld:Organization:ler"') == {ids["owner"]}
    assert q('kind=="tideGauge"') == {ids["kind"]}
    assert q('label=="Gauge"') == {ids["label"]}
    assert q("serial==9007199254740993") == {ids["serial"]}
    assert q("serial==9007199254740992") == set()
    assert q('text=="Leer"|level==5.5|flag==false|tags=="ti"|readings==4|label=="Peg"') == set()
    assert q('text=="Weener","Leerort"') == {ids["text"]}
    broker.post("/entityOperations/delete", headers=broker.write_headers,
                json=list(ids.values()))
