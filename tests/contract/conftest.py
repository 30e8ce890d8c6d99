"""Fixtures of the NGSI-LD contract suite.

By default the suite runs against the embedded broker of the running test instance. Point
it at any NGSI-LD broker with ``BROKER_URL`` (and ``BROKER_TOKEN`` if it needs one), e.g.
Orion-LD: ``BROKER_URL=http://localhost:1026 make contract-test``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import pytest

from smartregion import credentials
from smartregion.settings import PlatformSettings

CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"


@pytest.fixture(scope="session")
def broker_url() -> str:
    return os.environ.get("BROKER_URL") or PlatformSettings(instance="test").broker_url


@pytest.fixture(scope="session")
def write_headers() -> dict[str, str]:
    token = os.environ.get("BROKER_TOKEN")
    if token is None and "BROKER_URL" not in os.environ:
        token = credentials.broker_token(PlatformSettings(instance="test").secrets_file)
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def broker(broker_url: str, write_headers: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{broker_url}/ngsi-ld/v1", timeout=30) as client:
        client.write_headers = write_headers  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def entity_id() -> Iterator[str]:
    yield f"urn:ngsi-ld:WaterObserved:test:{uuid.uuid4().hex}"


def water_observed(entity_id: str, height: float = 432.0) -> dict:
    """A WaterObserved tide-gauge entity in normalized form (Smart Data Models shape)."""
    return {
        "id": entity_id,
        "type": "WaterObserved",
        "height": {
            "type": "Property", "value": height, "unitCode": "CMT",
            "observedAt": "2026-11-22T10:00:00Z",
        },
        "location": {
            "type": "GeoProperty", "value": {"type": "Point", "coordinates": [7.19, 53.34]}
        },
        "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:emd:gauge-1"},
        "name": {"type": "LanguageProperty", "languageMap": {"de": "Emden Neue Seeschleuse"}},
    }
