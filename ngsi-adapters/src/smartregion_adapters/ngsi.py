"""Building normalized NGSI-LD entities the way every adapter must: ids, units, UTC times,
WGS84 points, provider, partner and the link back to the catalogue dataset.

Adapters call these instead of writing attribute dictionaries, so that the rules of issue #6
(stable ids ``urn:ngsi-ld:<Type>:<partner>:<source-id>``, ``observedAt`` in UTC, the
registered ``unitCode``, ``dataProvider``, location as a GeoJSON Point) live in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from smartregion_schemas.live import CONTEXT_URL, entity_id, partner_for, unit_code

from .base import AdapterSettings


def utc_text(moment: datetime) -> str:
    """``2026-11-22T07:45:00Z``: a timezone-aware time in UTC (naive times are refused, a
    source's local time must be made aware by the adapter that knows its zone)."""
    if moment.tzinfo is None:
        raise ValueError(f"time without timezone: {moment.isoformat()}")
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def prop(value: Any, *, observed_at: datetime | None = None,
         unit: str | None = None) -> dict[str, Any]:
    attribute: dict[str, Any] = {"type": "Property", "value": value}
    if observed_at is not None:
        attribute["observedAt"] = utc_text(observed_at)
    if unit is not None:
        attribute["unitCode"] = unit
    return attribute


def measured(entity_type: str, attribute: str, value: float | int,
             observed_at: datetime) -> dict[str, Any]:
    """A measured value with its time and the unit the schemas register for it."""
    return prop(value, observed_at=observed_at, unit=unit_code(entity_type, attribute))


def relationship(target: str) -> dict[str, Any]:
    return {"type": "Relationship", "object": target}


def point(longitude: float, latitude: float) -> dict[str, Any]:
    """A GeoProperty holding a WGS84 GeoJSON Point (longitude first)."""
    return {"type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [float(longitude), float(latitude)]}}


def new_entity(settings: AdapterSettings, entity_type: str, source_id: str | int,
               data_provider: str, **attributes: dict[str, Any]) -> dict[str, Any]:
    """An entity of the stream ``settings`` with the members every entity carries."""
    owner = partner_for(settings.partner)
    if owner is None:
        raise ValueError(f"unknown partner {settings.partner!r}")
    return {
        "@context": CONTEXT_URL,
        "id": entity_id(entity_type, owner.short_code, source_id),
        "type": entity_type,
        **attributes,
        "dataProvider": prop(data_provider),
        "partner": prop(owner.name),
        "refCatalogueDataset": relationship(settings.dataset_url),
    }
