"""NGSI-LD entity operations (ETSI GS CIM 009 v1.8 clauses 5.6, 5.7, 6.4, 6.5)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import httpx

from .conftest import CORE, water_observed

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def create(broker: httpx.Client, body: dict, **kwargs) -> httpx.Response:
    headers = {**broker.write_headers, **kwargs.pop("headers", {})}
    return broker.post("/entities", json=body, headers=headers, **kwargs)


def assert_problem(response: httpx.Response, status: int, error_type: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["type"] == ERRORS + error_type


def test_create_retrieve_delete(broker: httpx.Client, entity_id: str) -> None:
    created = create(broker, water_observed(entity_id))
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith(entity_id)

    got = broker.get(f"/entities/{entity_id}")
    assert got.status_code == 200
    body = got.json()
    assert body["type"] == "WaterObserved"
    assert body["height"]["value"] == 432.0 and body["height"]["unitCode"] == "CMT"
    assert body["refDevice"]["object"] == "urn:ngsi-ld:Device:emd:gauge-1"
    assert body["location"]["value"]["coordinates"] == [7.19, 53.34]
    assert CORE in got.headers["link"]

    deleted = broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)
    assert deleted.status_code == 204
    assert_problem(broker.get(f"/entities/{entity_id}"), 404, "ResourceNotFound")


def test_create_twice_is_already_exists(broker: httpx.Client, entity_id: str) -> None:
    assert create(broker, water_observed(entity_id)).status_code == 201
    assert_problem(create(broker, water_observed(entity_id)), 409, "AlreadyExists")
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_concise_input_and_representations(broker: httpx.Client, entity_id: str) -> None:
    concise = {
        "id": entity_id, "type": "WaterObserved",
        "height": {"value": 12.5, "unitCode": "CMT"},
        "location": {"type": "Point", "coordinates": [7.3, 53.2]},
        "flow": 3,
    }
    # concise: a bare GeoJSON geometry is a GeoProperty only under a geo name (location)
    concise["location"] = {"value": concise["location"]}
    assert create(broker, concise).status_code == 201
    normalized = broker.get(f"/entities/{entity_id}").json()
    assert normalized["flow"] == {"type": "Property", "value": 3}
    assert normalized["location"]["type"] == "GeoProperty"
    key_values = broker.get(f"/entities/{entity_id}", params={"options": "keyValues"}).json()
    assert key_values["height"] == 12.5 and key_values["flow"] == 3
    with_sys = broker.get(f"/entities/{entity_id}", params={"options": "sysAttrs"}).json()
    assert with_sys["createdAt"].endswith("Z") and with_sys["modifiedAt"]
    picked = broker.get(f"/entities/{entity_id}", params={"attrs": "height"}).json()
    assert set(picked) == {"id", "type", "height"}
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_attribute_system_attributes(broker: httpx.Client, entity_id: str) -> None:
    """createdAt/modifiedAt per attribute (clause 4.8): shown only with sysAttrs; an
    update moves modifiedAt and keeps createdAt; client-sent values are ignored."""
    sent = water_observed(entity_id)
    sent["height"]["createdAt"] = "2000-01-01T00:00:00Z"
    assert create(broker, sent).status_code == 201
    plain = broker.get(f"/entities/{entity_id}").json()
    assert "createdAt" not in plain["height"] and "modifiedAt" not in plain["height"]
    first = broker.get(f"/entities/{entity_id}", params={"options": "sysAttrs"}).json()
    height = first["height"]
    assert height["createdAt"] == height["modifiedAt"]
    apart = datetime.fromisoformat(height["createdAt"]) - datetime.fromisoformat(first["createdAt"])
    assert abs(apart.total_seconds()) < 5  # stamped with the entity's write
    assert not height["createdAt"].startswith("2000")
    time.sleep(0.01)
    patched = broker.patch(f"/entities/{entity_id}/attrs", headers=broker.write_headers,
                           json={"height": {"type": "Property", "value": 440.0},
                                 "flow": {"type": "Property", "value": 1}})
    assert patched.status_code in (204, 207), patched.text
    second = broker.get(f"/entities/{entity_id}", params={"options": "sysAttrs"}).json()
    assert second["height"]["createdAt"] == height["createdAt"]
    assert second["height"]["modifiedAt"] > height["modifiedAt"]
    assert second["location"]["modifiedAt"] == first["location"]["modifiedAt"]
    merged = broker.post("/entityOperations/upsert", params={"options": "update"},
                         headers=broker.write_headers,
                         json=[{"id": entity_id, "type": "WaterObserved", "height": 441.0}])
    assert merged.status_code == 204, merged.text
    third = broker.get(f"/entities/{entity_id}", params={"options": "sysAttrs"}).json()
    assert third["height"]["createdAt"] == height["createdAt"]
    assert third["height"]["modifiedAt"] > second["height"]["modifiedAt"]
    concise = broker.get(f"/entities/{entity_id}",
                         params={"options": "concise,sysAttrs"}).json()
    assert concise["height"]["createdAt"] == height["createdAt"]
    key_values = broker.get(f"/entities/{entity_id}",
                            params={"options": "keyValues,sysAttrs"}).json()
    assert key_values["height"] == 441.0
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_json_ld_request_and_response(broker: httpx.Client, entity_id: str) -> None:
    body = {**water_observed(entity_id), "@context": CORE}
    created = create(broker, body, headers={"Content-Type": "application/ld+json"})
    assert created.status_code == 201, created.text
    got = broker.get(f"/entities/{entity_id}", headers={"Accept": "application/ld+json"})
    assert got.headers["content-type"].startswith("application/ld+json")
    assert got.json()["@context"] == CORE
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_geojson_representation(broker: httpx.Client, entity_id: str) -> None:
    create(broker, water_observed(entity_id))
    got = broker.get(f"/entities/{entity_id}", headers={"Accept": "application/geo+json"})
    feature = got.json()
    assert got.headers["content-type"].startswith("application/geo+json")
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [7.19, 53.34]}
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_query_by_type_id_pattern_and_count(broker: httpx.Client) -> None:
    run = uuid.uuid4().hex[:8]
    ids = [f"urn:ngsi-ld:WaterObserved:q{run}:{n}" for n in range(3)]
    for n, entity_id in enumerate(ids):
        assert create(broker, water_observed(entity_id, height=100.0 + n)).status_code == 201
    pattern = f"^urn:ngsi-ld:WaterObserved:q{run}:.*"
    found = broker.get(
        "/entities", params={"type": "WaterObserved", "idPattern": pattern, "count": "true"}
    )
    assert found.status_code == 200
    assert sorted(e["id"] for e in found.json()) == sorted(ids)
    assert found.headers["ngsild-results-count"] == "3"
    page = broker.get(
        "/entities", params={"type": "WaterObserved", "idPattern": pattern, "limit": 2}
    )
    assert len(page.json()) == 2
    by_id = broker.get("/entities", params={"id": ids[1], "type": "WaterObserved"}).json()
    assert [e["id"] for e in by_id] == [ids[1]]
    for entity_id in ids:
        broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_bad_input_gets_problem_details(broker: httpx.Client, entity_id: str) -> None:
    headers = {**broker.write_headers, "Content-Type": "application/json"}
    assert_problem(broker.post("/entities", content=b"{not json", headers=headers), 400,
                   "InvalidRequest")
    assert_problem(create(broker, {"type": "WaterObserved"}), 400, "BadRequestData")
    assert_problem(create(broker, {"id": "kein uri", "type": "T"}), 400, "BadRequestData")
    broken_geo = {**water_observed(entity_id), "location": {
        "type": "GeoProperty", "value": {"type": "Point", "coordinates": [500, 1]}}}
    assert_problem(create(broker, broken_geo), 400, "BadRequestData")
    bad_relationship = {**water_observed(entity_id), "refDevice": {"type": "Relationship"}}
    assert_problem(create(broker, bad_relationship), 400, "BadRequestData")
    assert broker.get("/entities").status_code == 400  # a query needs a filter
    assert broker.get(f"/entities/{entity_id}").status_code == 404  # nothing half-written


def test_writes_need_the_token(broker_url: str, write_headers: dict, entity_id: str) -> None:
    if not write_headers:
        return  # the broker under test is configured open: nothing to check
    response = httpx.post(f"{broker_url}/ngsi-ld/v1/entities", json=water_observed(entity_id))
    assert response.status_code == 401
    wrong = httpx.post(
        f"{broker_url}/ngsi-ld/v1/entities", json=water_observed(entity_id),
        headers={"Authorization": "Bearer falsch"},
    )
    assert wrong.status_code == 401


def test_oversized_body_is_refused_before_storage(broker: httpx.Client, entity_id: str) -> None:
    huge = {**water_observed(entity_id), "blob": {"type": "Property", "value": "x" * 2_000_000}}
    response = create(broker, huge)
    assert response.status_code == 413
    assert broker.get(f"/entities/{entity_id}").status_code == 404


def test_tenants_are_separate(broker: httpx.Client, entity_id: str) -> None:
    tenant = f"t{uuid.uuid4().hex[:10]}"
    assert_problem(
        broker.get(f"/entities/{entity_id}", headers={"NGSILD-Tenant": tenant}), 404,
        "NonexistentTenant",
    )
    created = create(broker, water_observed(entity_id), headers={"NGSILD-Tenant": tenant})
    assert created.status_code == 201
    in_tenant = broker.get(f"/entities/{entity_id}", headers={"NGSILD-Tenant": tenant})
    assert in_tenant.status_code == 200
    assert broker.get(f"/entities/{entity_id}").status_code == 404
    broker.delete(
        f"/entities/{entity_id}", headers={**broker.write_headers, "NGSILD-Tenant": tenant}
    )


def test_unknown_remote_context_is_ld_context_not_available(
    broker: httpx.Client, entity_id: str
) -> None:
    link = '<http://127.0.0.1:9/kein-context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'
    response = create(broker, water_observed(entity_id), headers={"Link": link})
    assert_problem(response, 503, "LdContextNotAvailable")
