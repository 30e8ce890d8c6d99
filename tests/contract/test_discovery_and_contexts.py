"""Type/attribute discovery (clause 5.7.5–5.7.8) and the @context API (clause 5.13)."""

from __future__ import annotations

import uuid

import httpx

from .conftest import water_observed
from .test_entities import assert_problem, create


def test_types_and_attributes_are_discoverable(broker: httpx.Client) -> None:
    tenant = f"d{uuid.uuid4().hex[:10]}"
    headers = {"NGSILD-Tenant": tenant}
    ids = [f"urn:ngsi-ld:WaterObserved:d:{n}" for n in range(2)]
    for entity_id in ids:
        assert create(broker, water_observed(entity_id), headers=headers).status_code == 201
    device = {"id": "urn:ngsi-ld:Device:d:1", "type": "Device",
              "batteryLevel": {"type": "Property", "value": 0.8}}
    assert create(broker, device, headers=headers).status_code == 201

    types = broker.get("/types", headers=headers).json()
    assert types["type"] == "EntityTypeList"
    assert sorted(types["typeList"]) == ["Device", "WaterObserved"]
    info = broker.get("/types/WaterObserved", headers=headers).json()
    assert info["entityCount"] == 2
    names = {a["attributeName"]: a["attributeTypes"] for a in info["attributeDetails"]}
    assert names["location"] == ["GeoProperty"] and names["refDevice"] == ["Relationship"]
    assert_problem(broker.get("/types/Unbekannt", headers=headers), 404, "ResourceNotFound")

    attributes = broker.get("/attributes", headers=headers).json()
    assert {"height", "batteryLevel", "location"} <= set(attributes["attributeList"])
    height = broker.get("/attributes/height", headers=headers).json()
    assert height["attributeCount"] == 2 and height["typeNames"] == ["WaterObserved"]
    details = broker.get("/types", params={"details": "true"}, headers=headers).json()
    assert {d["typeName"] for d in details} == {"Device", "WaterObserved"}

    write = {**broker.write_headers, **headers}
    broker.post("/entityOperations/delete", headers=write, json=[*ids, device["id"]])


def test_hosted_context_is_served_used_and_deleted(broker: httpx.Client, entity_id: str) -> None:
    document = {"@context": {"Pegel": "https://example.org/ostfriesland/Pegel",
                             "stand": "https://example.org/ostfriesland/stand"}}
    added = broker.post("/jsonldContexts", json=document, headers=broker.write_headers)
    assert added.status_code == 201
    url = added.headers["location"]
    served = httpx.get(url)
    assert served.status_code == 200 and served.json() == document
    assert url in broker.get("/jsonldContexts").json()

    link = f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    body = {"id": entity_id, "type": "Pegel", "stand": {"type": "Property", "value": 5}}
    assert create(broker, body, headers={"Link": link}).status_code == 201
    expanded = broker.get(f"/entities/{entity_id}").json()  # core context only: full IRIs
    assert expanded["type"] == "https://example.org/ostfriesland/Pegel"
    assert "https://example.org/ostfriesland/stand" in expanded
    short = broker.get(f"/entities/{entity_id}", headers={"Link": link}).json()
    assert short["type"] == "Pegel" and short["stand"]["value"] == 5

    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)
    removed = broker.delete(url.split("/ngsi-ld/v1")[1], headers=broker.write_headers)
    assert removed.status_code == 204
    assert httpx.get(url).status_code == 404


def test_every_broker_process_sees_a_hosted_context_come_and_go(
    broker: httpx.Client, broker_url: str, entity_id: str
) -> None:
    """A broker may run several worker processes: each request on a fresh connection may
    land in another one, and all must agree on which @contexts exist."""
    document = {"@context": {"Messstelle": "https://example.org/ostfriesland/Messstelle"}}
    added = broker.post("/jsonldContexts", json=document, headers=broker.write_headers)
    assert added.status_code == 201
    url = added.headers["location"]
    link = f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'

    def fresh(method: str, path: str, **kwargs) -> httpx.Response:
        with httpx.Client(base_url=f"{broker_url}/ngsi-ld/v1", timeout=30) as client:
            return client.request(method, path, **kwargs)

    assert create(broker, {"id": entity_id, "type": "Messstelle"},
                  headers={"Link": link}).status_code == 201
    for _ in range(12):  # warm every worker's caches with the context
        assert fresh("GET", f"/entities/{entity_id}", headers={"Link": link}).json()["type"] == (
            "Messstelle"
        )
    assert broker.delete(url.split("/ngsi-ld/v1")[1],
                         headers=broker.write_headers).status_code == 204
    for _ in range(12):
        assert fresh("GET", url.split("/ngsi-ld/v1")[1]).status_code == 404
        assert url not in fresh("GET", "/jsonldContexts").json()
        reused = fresh("GET", f"/entities/{entity_id}", headers={"Link": link})
        assert reused.status_code == 503, reused.text  # LdContextNotAvailable, not stale terms
    broker.delete(f"/entities/{entity_id}", headers=broker.write_headers)
