"""Synthetic WaterObserved entities for the broker benchmark (tide gauges of Ostfriesland).

The shape follows the Smart Data Models WaterObserved entity the platform's adapters
write: a measured height with unit and observation time, a location, the device relation
and a name. Locations are spread over the region's bounding box.
"""

from __future__ import annotations

import random
from typing import Any

ENTITY_PREFIX = "urn:ngsi-ld:WaterObserved:bench:"
DEVICE_PREFIX = "urn:ngsi-ld:Device:bench:"
#: Ostfriesland (lon/lat, WGS84): Borkum to Wilhelmshaven, Papenburg to Langeoog.
REGION = (6.6, 53.0, 8.1, 53.8)


def entity_id(number: int) -> str:
    return f"{ENTITY_PREFIX}{number}"


def point(rng: random.Random) -> list[float]:
    west, south, east, north = REGION
    return [round(rng.uniform(west, east), 5), round(rng.uniform(south, north), 5)]


def water_observed(number: int, rng: random.Random) -> dict[str, Any]:
    return {
        "id": entity_id(number),
        "type": "WaterObserved",
        "height": {
            "type": "Property", "value": round(rng.uniform(300, 900), 1), "unitCode": "CMT",
            "observedAt": "2026-11-22T10:00:00Z",
        },
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": point(rng)}},
        "refDevice": {"type": "Relationship", "object": f"{DEVICE_PREFIX}{number}"},
        "name": {"type": "LanguageProperty", "languageMap": {"de": f"Pegel {number}"}},
    }
