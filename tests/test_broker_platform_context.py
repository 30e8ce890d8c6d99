"""The platform's broker resolves the platform's own @context offline (issue #6): the
examples of every live entity type in ``smartregion_schemas.live`` can be stored under it
and read back with their Smart Data Models IRIs and compact names."""

from __future__ import annotations

import copy
import uuid

import httpx
import pytest
from smartregion_schemas.live import CONTEXT_URL, ENTITY_TYPES, context_terms, example

from smartregion import credentials
from smartregion.settings import PlatformSettings

LINK = f'<{CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


@pytest.fixture(scope="module")
def broker(platform_settings: PlatformSettings) -> httpx.Client:
    token = credentials.broker_token(platform_settings.secrets_file)
    return httpx.Client(base_url=f"{platform_settings.broker_url}/ngsi-ld/v1", timeout=30,
                        headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("entity_type", ENTITY_TYPES)
def test_example_round_trips_under_the_platform_context(
    broker: httpx.Client, entity_type: str
) -> None:
    entity = copy.deepcopy(example(entity_type, "normalized"))
    entity["id"] = f"{entity['id']}-{uuid.uuid4().hex[:8]}"
    tenant = {"NGSILD-Tenant": "platform-context-test"}
    created = broker.post("/entities", json=entity,
                          headers={"Content-Type": "application/ld+json", **tenant})
    assert created.status_code == 201, created.text
    try:
        # read with the platform context: the example's own names come back
        compact = broker.get(f"/entities/{entity['id']}", headers={"Link": LINK, **tenant})
        assert compact.status_code == 200, compact.text
        names = set(entity) - {"@context", "id", "type"}
        assert names <= set(compact.json())
        assert compact.json()["type"] == entity_type
        # read with the core context only: the terms appear as their full IRIs
        expanded = broker.get(f"/entities/{entity['id']}", headers=tenant).json()
        terms = context_terms()
        assert expanded["type"] == terms[entity_type]
        for name in names:  # core terms (location, description, …) stay as they are
            assert terms.get(name, name) in expanded, name
    finally:
        broker.delete(f"/entities/{entity['id']}", headers=tenant)
