"""Attribute operations and batch operations (clauses 5.6.2–5.6.4, 5.6.7–5.6.10, 5.6.17–18)."""

from __future__ import annotations

import uuid

import httpx

from .conftest import water_observed
from .test_entities import assert_problem, create


def get(broker: httpx.Client, entity_id: str, **params) -> dict:
    response = broker.get(f"/entities/{entity_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_append_update_and_delete_attributes(broker: httpx.Client, entity_id: str) -> None:
    assert create(broker, water_observed(entity_id)).status_code == 201
    headers = broker.write_headers

    appended = broker.post(f"/entities/{entity_id}/attrs", headers=headers,
                           json={"flow": {"type": "Property", "value": 7}})
    assert appended.status_code == 204
    assert get(broker, entity_id)["flow"]["value"] == 7

    kept = broker.post(f"/entities/{entity_id}/attrs", params={"options": "noOverwrite"},
                       headers=headers, json={"flow": {"type": "Property", "value": 8}})
    assert kept.status_code == 207
    assert kept.json()["notUpdated"][0]["attributeName"] == "flow"
    assert get(broker, entity_id)["flow"]["value"] == 7

    updated = broker.patch(f"/entities/{entity_id}/attrs", headers=headers,
                           json={"height": {"type": "Property", "value": 500.0},
                                 "unknown": {"type": "Property", "value": 1}})
    assert updated.status_code == 207
    body = get(broker, entity_id)
    assert body["height"]["value"] == 500.0 and "unknown" not in body

    single = broker.patch(f"/entities/{entity_id}/attrs/flow", headers=headers,
                          json={"type": "Property", "value": 9})
    assert single.status_code == 204 and get(broker, entity_id)["flow"]["value"] == 9

    assert broker.delete(f"/entities/{entity_id}/attrs/flow", headers=headers).status_code == 204
    assert "flow" not in get(broker, entity_id)
    assert_problem(broker.delete(f"/entities/{entity_id}/attrs/flow", headers=headers), 404,
                   "ResourceNotFound")
    broker.delete(f"/entities/{entity_id}", headers=headers)


def test_dataset_id_instances_are_deleted_one_by_one(broker: httpx.Client, entity_id: str) -> None:
    body = {"id": entity_id, "type": "WaterObserved", "height": [
        {"type": "Property", "value": 1, "datasetId": "urn:ngsi-ld:Dataset:radar"},
        {"type": "Property", "value": 2, "datasetId": "urn:ngsi-ld:Dataset:float"},
    ]}
    assert create(broker, body).status_code == 201
    response = broker.delete(f"/entities/{entity_id}/attrs/height", headers=broker.write_headers,
                             params={"datasetId": "urn:ngsi-ld:Dataset:radar"})
    assert response.status_code == 204
    remaining = get(broker, entity_id)["height"]
    assert remaining["datasetId"] == "urn:ngsi-ld:Dataset:float"
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_merge_and_replace(broker: httpx.Client, entity_id: str) -> None:
    assert create(broker, water_observed(entity_id)).status_code == 201
    merged = broker.patch(f"/entities/{entity_id}", headers=broker.write_headers,
                          json={"flow": {"type": "Property", "value": 1}})
    assert merged.status_code == 204
    body = get(broker, entity_id)
    assert body["flow"]["value"] == 1 and body["height"]["value"] == 432.0

    replaced = broker.put(f"/entities/{entity_id}", headers=broker.write_headers,
                          json={"type": "WaterObserved", "flow": {"type": "Property", "value": 2}})
    assert replaced.status_code == 204
    body = get(broker, entity_id)
    assert body["flow"]["value"] == 2 and "height" not in body
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)


def test_batch_create_reports_each_entity_and_stores_no_half_entity(broker: httpx.Client) -> None:
    run = uuid.uuid4().hex[:8]
    good = [water_observed(f"urn:ngsi-ld:WaterObserved:b{run}:{n}") for n in range(3)]
    bad = {**water_observed(f"urn:ngsi-ld:WaterObserved:b{run}:bad"),
           "location": {"type": "GeoProperty", "value": {"type": "Point"}}}
    response = broker.post("/entityOperations/create", headers=broker.write_headers,
                           json=[*good, bad])
    assert response.status_code == 207, response.text
    result = response.json()
    assert sorted(result["success"]) == sorted(e["id"] for e in good)
    assert [e["entityId"] for e in result["errors"]] == [bad["id"]]
    assert result["errors"][0]["error"]["type"].endswith("BadRequestData")
    assert broker.get(f"/entities/{bad['id']}").status_code == 404
    for entity in good:
        assert broker.get(f"/entities/{entity['id']}").status_code == 200

    again = broker.post("/entityOperations/create", headers=broker.write_headers, json=good[:1])
    assert again.status_code == 207
    assert again.json()["errors"][0]["error"]["type"].endswith("AlreadyExists")

    deleted = broker.post("/entityOperations/delete", headers=broker.write_headers,
                          json=[e["id"] for e in good])
    assert deleted.status_code == 204


def test_batch_upsert_creates_then_replaces_or_merges(broker: httpx.Client) -> None:
    run = uuid.uuid4().hex[:8]
    ids = [f"urn:ngsi-ld:WaterObserved:u{run}:{n}" for n in range(2)]
    first = broker.post("/entityOperations/upsert", headers=broker.write_headers,
                        json=[water_observed(i, height=1.0) for i in ids])
    assert first.status_code == 201 and sorted(first.json()) == sorted(ids)

    replace = broker.post("/entityOperations/upsert", headers=broker.write_headers,
                          json=[{"id": ids[0], "type": "WaterObserved",
                                 "height": {"type": "Property", "value": 2.0}}])
    assert replace.status_code == 204
    assert "location" not in get(broker, ids[0])

    merge = broker.post("/entityOperations/upsert", params={"options": "update"},
                        headers=broker.write_headers,
                        json=[{"id": ids[1], "type": "WaterObserved",
                               "height": {"type": "Property", "value": 3.0}}])
    assert merge.status_code == 204
    body = get(broker, ids[1])
    assert body["height"]["value"] == 3.0 and "location" in body

    update = broker.post("/entityOperations/update", headers=broker.write_headers,
                         json=[{"id": ids[1], "flow": {"type": "Property", "value": 5}},
                               {"id": "urn:ngsi-ld:WaterObserved:missing", "flow": 1}])
    assert update.status_code == 207
    assert update.json()["errors"][0]["error"]["type"].endswith("ResourceNotFound")
    broker.post("/entityOperations/delete", headers=broker.write_headers, json=ids)


def test_batch_needs_a_list(broker: httpx.Client) -> None:
    response = broker.post("/entityOperations/create", headers=broker.write_headers,
                           json={"id": "urn:x:1"})
    assert_problem(response, 400, "BadRequestData")
