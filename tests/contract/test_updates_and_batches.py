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


def test_batch_merge_merges_into_existing_entities_only(broker: httpx.Client) -> None:
    run = uuid.uuid4().hex[:8]
    existing = f"urn:ngsi-ld:WaterObserved:m{run}:1"
    missing = f"urn:ngsi-ld:WaterObserved:m{run}:missing"
    assert create(broker, water_observed(existing, height=1.0)).status_code == 201
    merged = broker.post("/entityOperations/merge", headers=broker.write_headers, json=[
        {"id": existing, "type": "WaterObserved", "height": {"type": "Property", "value": 9.5},
         "flow": {"type": "Property", "value": 3}},
        {"id": missing, "type": "WaterObserved", "flow": {"type": "Property", "value": 1}},
    ])
    assert merged.status_code == 207, merged.text
    assert merged.json()["success"] == [existing]
    assert merged.json()["errors"][0]["entityId"] == missing
    assert merged.json()["errors"][0]["error"]["type"].endswith("ResourceNotFound")
    body = get(broker, existing)
    assert (body["height"]["value"], body["flow"]["value"]) == (9.5, 3)
    assert "location" in body and "refDevice" in body  # untouched attributes stay
    assert broker.get(f"/entities/{missing}").status_code == 404
    all_ok = broker.post("/entityOperations/merge", headers=broker.write_headers,
                         json=[{"id": existing, "flow": 4}])
    assert all_ok.status_code == 204
    assert get(broker, existing)["flow"]["value"] == 4
    broker.delete(f"/entities/{existing}", headers=broker.write_headers)


def test_batch_upsert_naming_an_entity_twice_applies_both_in_order(broker: httpx.Client) -> None:
    entity = f"urn:ngsi-ld:WaterObserved:twice{uuid.uuid4().hex[:8]}"
    response = broker.post(
        "/entityOperations/upsert", params={"options": "update"}, headers=broker.write_headers,
        json=[water_observed(entity, height=1.0),
              {"id": entity, "type": "WaterObserved", "flow": {"type": "Property", "value": 2}},
              {"id": entity, "type": "WaterObserved", "height": {"type": "Property", "value": 3}}],
    )
    assert response.status_code == 201, response.text
    body = get(broker, entity)
    assert (body["height"]["value"], body["flow"]["value"]) == (3, 2)
    broker.delete(f"/entities/{entity}", headers=broker.write_headers)


def test_batch_entity_the_database_rejects_is_reported_and_others_stored(
    broker: httpx.Client,
) -> None:
    """A NUL character passes JSON parsing but not PostgreSQL: only that entity fails."""
    run = uuid.uuid4().hex[:8]
    good = [water_observed(f"urn:ngsi-ld:WaterObserved:n{run}:{n}") for n in range(3)]
    bad = {**water_observed(f"urn:ngsi-ld:WaterObserved:n{run}:bad"),
           "note": {"type": "Property", "value": "nul \u0000 inside"}}
    response = broker.post("/entityOperations/upsert", headers=broker.write_headers,
                           json=[good[0], bad, *good[1:]])
    assert response.status_code == 207, response.text
    result = response.json()
    assert sorted(result["success"]) == sorted(e["id"] for e in good)
    assert [e["entityId"] for e in result["errors"]] == [bad["id"]]
    assert result["errors"][0]["error"]["type"].endswith("BadRequestData")
    assert broker.get(f"/entities/{bad['id']}").status_code == 404
    near = broker.get("/entities", params={
        "type": "WaterObserved", "georel": "near;maxDistance==10", "geometry": "Point",
        "coordinates": "[7.19,53.34]", "idPattern": f"n{run}", "limit": 100,
    })
    assert sorted(e["id"] for e in near.json()) == sorted(e["id"] for e in good)
    broker.post("/entityOperations/delete", headers=broker.write_headers,
                json=[e["id"] for e in good])


def test_batch_upsert_moves_geometries_with_the_entities(broker: httpx.Client) -> None:
    """Replacing or merging a location through a batch moves the entity in geo-queries."""
    run = uuid.uuid4().hex[:8]
    ids = [f"urn:ngsi-ld:WaterObserved:g{run}:{n}" for n in range(4)]
    created = broker.post("/entityOperations/upsert", headers=broker.write_headers,
                          json=[water_observed(i) for i in ids])
    assert created.status_code == 201, created.text
    moved = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [7.45, 53.47]}}
    replace = broker.post("/entityOperations/upsert", headers=broker.write_headers, json=[
        {**water_observed(ids[0]), "location": moved},
        {"id": ids[1], "type": "WaterObserved", "height": {"type": "Property", "value": 1}},
    ])
    merge = broker.post("/entityOperations/upsert", params={"options": "update"},
                        headers=broker.write_headers,
                        json=[{"id": ids[2], "type": "WaterObserved", "location": moved}])
    assert (replace.status_code, merge.status_code) == (204, 204)

    def near(lon: float, lat: float) -> list[str]:
        response = broker.get("/entities", params={
            "type": "WaterObserved", "georel": "near;maxDistance==100", "geometry": "Point",
            "coordinates": f"[{lon},{lat}]", "idPattern": f"g{run}",
        })
        assert response.status_code == 200, response.text
        return sorted(e["id"] for e in response.json())

    assert near(7.45, 53.47) == sorted([ids[0], ids[2]])
    assert near(7.19, 53.34) == [ids[3]]  # ids[1] was replaced without a location
    broker.post("/entityOperations/delete", headers=broker.write_headers, json=ids)


def test_batch_delete_as_json_ld_needs_no_context(broker: httpx.Client, entity_id: str) -> None:
    """A list of ids cannot carry an @context: application/ld+json is fine without one."""
    assert create(broker, water_observed(entity_id)).status_code == 201
    response = broker.post(
        "/entityOperations/delete", content=f'["{entity_id}"]',
        headers={**broker.write_headers, "Content-Type": "application/ld+json"},
    )
    assert response.status_code == 204, response.text
    assert broker.get(f"/entities/{entity_id}").status_code == 404


def test_batch_update_writes_each_entity_and_moves_geometries(broker: httpx.Client) -> None:
    """Batch update (clause 5.6.9) overwrites the given attributes of existing entities in
    one go: an entity named twice gets both changes in order, a moved location moves it in
    geo-queries, createdAt of an overwritten attribute is kept, a missing entity and a value
    the database rejects are reported while the others are written."""
    run = uuid.uuid4().hex[:8]
    ids = [f"urn:ngsi-ld:WaterObserved:u{run}:{n}" for n in range(3)]
    created = broker.post("/entityOperations/create", headers=broker.write_headers,
                          json=[water_observed(i, height=1.0) for i in ids])
    assert created.status_code == 201, created.text
    before = get(broker, ids[0], options="sysAttrs")
    moved = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [7.45, 53.47]}}
    missing = f"urn:ngsi-ld:WaterObserved:u{run}:missing"
    update = broker.post("/entityOperations/update", headers=broker.write_headers, json=[
        {"id": ids[0], "type": "WaterObserved", "height": {"type": "Property", "value": 2.0}},
        {"id": ids[1], "type": "WaterObserved", "location": moved},
        {"id": missing, "type": "WaterObserved", "height": {"type": "Property", "value": 9}},
        {"id": ids[0], "height": {"type": "Property", "value": 3.0},
         "flow": {"type": "Property", "value": 4}},
        {"id": ids[2], "note": {"type": "Property", "value": "nul \u0000 inside"}},
    ])
    assert update.status_code == 207, update.text
    result = update.json()
    assert sorted(result["success"]) == sorted([ids[0], ids[1], ids[0]])
    assert sorted((e["entityId"], e["error"]["type"].rsplit("/", 1)[-1])
                  for e in result["errors"]) == sorted([
        (missing, "ResourceNotFound"), (ids[2], "BadRequestData")])

    after = get(broker, ids[0], options="sysAttrs")
    assert (after["height"]["value"], after["flow"]["value"]) == (3.0, 4)
    assert after["height"]["createdAt"] == before["height"]["createdAt"]
    assert after["height"]["modifiedAt"] > before["height"]["modifiedAt"]
    assert after["location"] == before["location"]  # not named: left alone
    assert "note" not in get(broker, ids[2]) and broker.get(f"/entities/{missing}").status_code \
        == 404

    near = broker.get("/entities", params={
        "type": "WaterObserved", "georel": "near;maxDistance==100", "geometry": "Point",
        "coordinates": "[7.45,53.47]", "idPattern": f"u{run}"})
    assert near.status_code == 200, near.text
    assert [e["id"] for e in near.json()] == [ids[1]]
    broker.post("/entityOperations/delete", headers=broker.write_headers, json=ids)


def test_q_equality_finds_values_of_every_kind_after_updates(broker: httpx.Client) -> None:
    """``q`` equality uses an index of the attributes' values (entities_search_idx); after
    attributes are updated it finds the new values, not the old ones, for Property values,
    Relationship objects and list values."""
    run = uuid.uuid4().hex[:8]
    entity = f"urn:ngsi-ld:WaterObserved:q{run}"
    created = broker.post("/entityOperations/create", headers=broker.write_headers, json=[{
        **water_observed(entity, height=11.5),
        "refDevice": {"type": "Relationship", "object": f"urn:ngsi-ld:Device:q{run}:a"},
        "tags": {"type": "Property", "value": [f"a{run}", f"b{run}"]},
    }])
    assert created.status_code == 201, created.text

    def found(q: str) -> list[str]:
        response = broker.get("/entities", params={"type": "WaterObserved", "q": q,
                                                   "idPattern": f"q{run}"})
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()]

    assert found("height==11.5") == [entity]
    assert found(f'refDevice=="urn:ngsi-ld:Device:q{run}:a"') == [entity]
    assert found(f'tags=="b{run}"') == [entity]
    update = broker.post("/entityOperations/update", headers=broker.write_headers, json=[{
        "id": entity, "height": {"type": "Property", "value": 12.5},
        "refDevice": {"type": "Relationship", "object": f"urn:ngsi-ld:Device:q{run}:b"},
        "tags": {"type": "Property", "value": [f"c{run}"]}}])
    assert update.status_code == 204, update.text
    assert (found("height==11.5"), found("height==12.5")) == ([], [entity])
    assert found(f'refDevice=="urn:ngsi-ld:Device:q{run}:a"') == []
    assert found(f'refDevice=="urn:ngsi-ld:Device:q{run}:b"') == [entity]
    assert (found(f'tags=="b{run}"'), found(f'tags=="c{run}"')) == ([], [entity])
    broker.delete(f"/entities/{entity}", headers=broker.write_headers)
