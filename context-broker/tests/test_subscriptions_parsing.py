"""Subscription bodies are validated into the stored form (expanded names) and rendered
back; every invalid body is BadRequestData (ETSI GS CIM 009 v1.8 clause 5.2.12)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ngsild_broker.errors import BadRequestData
from ngsild_broker.jsonld import ContextService
from ngsild_broker.jsonld.terms import TermMap
from ngsild_broker.notify.subscription import (
    merge_patch,
    parse_subscription,
    qos_of,
    render_subscription,
    status_of,
)

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
HTTP = {"endpoint": {"uri": "http://127.0.0.1:8080/notify"}}


@pytest.fixture(scope="module")
def terms() -> TermMap:
    """The core context's term map, built by the broker's own context service."""
    return asyncio.run(ContextService().term_map_for(None))


def sub(**members: Any) -> dict[str, Any]:
    return {"type": "Subscription", "entities": [{"type": "WaterObserved"}],
            "notification": HTTP, **members}


def test_names_are_stored_expanded_and_rendered_compacted(terms: TermMap) -> None:
    stored = parse_subscription(sub(
        watchedAttributes=["height", "location"],
        notification={**HTTP, "attributes": ["height"], "format": "concise"},
    ), terms)
    assert stored["id"].startswith("urn:ngsi-ld:Subscription:")
    assert stored["entities"] == [{"type": DEFAULT + "WaterObserved"}]
    assert stored["watchedAttributes"] == [
        DEFAULT + "height", "https://uri.etsi.org/ngsi-ld/location"
    ]
    assert stored["notification"]["attributes"] == [DEFAULT + "height"]
    rendered = render_subscription(stored, terms)
    assert rendered["entities"] == [{"type": "WaterObserved"}]
    assert rendered["watchedAttributes"] == ["height", "location"]
    assert rendered["notification"]["attributes"] == ["height"]
    assert rendered["notification"]["timesSent"] == 0
    assert rendered["status"] == "active" and rendered["isActive"] is True


def test_read_only_members_are_ignored(terms: TermMap) -> None:
    stored = parse_subscription(sub(
        status="expired", notification={**HTTP, "timesSent": 5, "status": "failed"},
    ), terms)
    assert "status" not in stored and "timesSent" not in stored["notification"]


def test_counters_and_notification_status(terms: TermMap) -> None:
    stored = parse_subscription(sub(), terms)
    earlier = datetime(2026, 11, 22, 10, tzinfo=UTC)
    later = earlier + timedelta(seconds=5)
    counters = {"timesSent": 3, "timesFailed": 1, "lastNotification": later,
                "lastSuccess": earlier, "lastFailure": later}
    notification = render_subscription(stored, terms, counters)["notification"]
    assert notification["status"] == "failed"
    assert notification["lastFailure"] == "2026-11-22T10:00:05Z"
    counters["lastSuccess"] = later + timedelta(seconds=1)
    assert render_subscription(stored, terms, counters)["notification"]["status"] == "ok"


def test_status_paused_and_expired(terms: TermMap) -> None:
    assert status_of(parse_subscription(sub(isActive=False), terms)) == "paused"
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    assert status_of(parse_subscription(sub(expiresAt=past), terms)) == "expired"
    future = "2999-01-01T00:00:00Z"
    assert status_of(parse_subscription(sub(expiresAt=future), terms)) == "active"


def test_mqtt_endpoint_and_qos(terms: TermMap) -> None:
    stored = parse_subscription(sub(notification={"endpoint": {
        "uri": "mqtt://127.0.0.1:1883/gauges/emden",
        "notifierInfo": [{"key": "MQTT-QoS", "value": "1"}],
        "receiverInfo": [{"key": "X-Region", "value": "Ostfriesland"}],
    }}), terms)
    assert qos_of(stored["notification"]["endpoint"]) == 1
    assert qos_of({"uri": "mqtt://h/t"}) == 0


def test_merge_patch_keeps_what_it_does_not_name(terms: TermMap) -> None:
    current = render_subscription(parse_subscription(sub(q="height>1"), terms), terms)
    merged = merge_patch(current, {"notification": {"endpoint": {"accept": "application/ld+json"}},
                                   "q": None, "throttling": 5})
    assert merged["notification"]["endpoint"] == {
        "uri": HTTP["endpoint"]["uri"], "accept": "application/ld+json"
    }
    assert "q" not in merged and merged["throttling"] == 5
    with pytest.raises(BadRequestData):
        merge_patch(current, {"id": "urn:other"})
    with pytest.raises(BadRequestData):
        merge_patch(current, [])


@pytest.mark.parametrize("members", [
    {"type": "Entity"},
    {"entities": None, "watchedAttributes": None},
    {"entities": [{"type": ""}]},
    {"entities": [{"type": "T", "id": "not a uri"}]},
    {"entities": [{"type": "T", "idPattern": "("}]},
    {"entities": [{"type": "T", "other": 1}]},
    {"watchedAttributes": []},
    {"watchedAttributes": [1]},
    {"notificationTrigger": []},
    {"notificationTrigger": ["entityCreated", "nope"]},
    {"q": "a=="},
    {"q": 5},
    {"geoQ": "near"},
    {"geoQ": {"georel": "within", "geometry": "Polygon", "coordinates": [[1, 2]]}},
    {"timeInterval": 0},
    {"timeInterval": True},
    {"throttling": -2},
    {"timeInterval": 5, "throttling": 1},
    {"timeInterval": 5, "notificationTrigger": ["entityCreated"]},
    {"expiresAt": "2026-13-01T00:00:00Z"},
    {"expiresAt": 17},
    {"isActive": 1},
    {"notification": None},
    {"notification": {"endpoint": {"uri": "https:///nohost"}}},
    {"notification": {"endpoint": {"uri": "http://h:99999/"}}},
    {"notification": {"endpoint": {"uri": "mqtt://h:1883/"}}},
    {"notification": {"endpoint": {"uri": "http://h/", "accept": "text/plain"}}},
    {"notification": {"endpoint": {"uri": "http://h/", "receiverInfo": [{"key": "a\nb",
                                                                        "value": "x"}]}}},
    {"notification": {"endpoint": {"uri": "http://h/", "extra": 1}}},
    {"notification": {**HTTP, "format": "simplified"}},
    {"notification": {**HTTP, "showChanges": "yes"}},
    {"notification": {**HTTP, "sysAttrs": 1}},
    {"notification": {**HTTP, "attributes": "height"}},
    {"unknownMember": True},
])
def test_invalid_subscriptions(terms: TermMap, members: dict[str, Any]) -> None:
    body = {k: v for k, v in sub(**members).items() if v is not None}
    with pytest.raises(BadRequestData):
        parse_subscription(body, terms)


def test_body_must_be_an_object(terms: TermMap) -> None:
    for body in (None, [], "Subscription", 3):
        with pytest.raises(BadRequestData):
            parse_subscription(body, terms)
