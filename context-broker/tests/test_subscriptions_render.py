"""Notification bodies (clause 5.3.1) from outbox rows: formats, attribute selection,
the subscription's ``lang``, showChanges and deletions; and the HTTP/MQTT envelope of a
notification."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from ngsild_broker.errors import BadRequestData
from ngsild_broker.jsonld import ContextService
from ngsild_broker.jsonld.terms import TermMap
from ngsild_broker.notify.envelope import envelope
from ngsild_broker.notify.render import RenderCache, notification_body
from ngsild_broker.notify.subscription import parse_subscription

DEFAULT = "https://uri.etsi.org/ngsi-ld/default-context/"
CORE_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def terms() -> TermMap:
    return asyncio.run(ContextService().term_map_for(None))


def row(kind: str = "updated", **attrs_before: Any) -> dict[str, Any]:
    return {
        "kind": kind, "entity_id": "urn:ngsi-ld:WaterObserved:1",
        "types": [DEFAULT + "WaterObserved"], "changed_at": AT,
        "attrs": None if kind == "deleted" else {
            DEFAULT + "height": [{"type": "Property", "value": 5, "modifiedAt": "x"}],
            DEFAULT + "refDevice": [{"type": "Relationship", "object": "urn:d:2"}],
        },
        "previous": {
            DEFAULT + "height": [{"type": "Property", "value": 4}],
            DEFAULT + "refDevice": [{"type": "Relationship", "object": "urn:d:2"}],
        } if kind != "created" else None,
    }


def stored(**notification: Any) -> dict[str, Any]:
    return {"id": "urn:ngsi-ld:Subscription:s", "type": "Subscription",
            "notification": {"endpoint": {"uri": "http://h/"}, **notification}}


def test_notification_members(terms: TermMap) -> None:
    body = notification_body("urn:ngsi-ld:Subscription:s", stored(), [row()], terms)
    assert body["type"] == "Notification" and body["subscriptionId"].endswith(":s")
    assert body["id"].startswith("urn:ngsi-ld:Notification:")
    assert body["notifiedAt"].endswith("Z")
    assert body["data"] == [{
        "id": "urn:ngsi-ld:WaterObserved:1", "type": "WaterObserved",
        "height": {"type": "Property", "value": 5},
        "refDevice": {"type": "Relationship", "object": "urn:d:2"},
    }]


def test_formats_and_attributes(terms: TermMap) -> None:
    only_height = [DEFAULT + "height"]
    kv = notification_body("s", stored(format="keyValues", attributes=only_height), [row()],
                           terms)
    assert kv["data"] == [{"id": "urn:ngsi-ld:WaterObserved:1", "type": "WaterObserved",
                           "height": 5}]
    concise = notification_body("s", stored(format="concise", attributes=only_height),
                                [row()], terms)
    assert concise["data"][0]["height"] == {"value": 5}
    with_sys = notification_body("s", stored(sysAttrs=True), [row()], terms)
    assert with_sys["data"][0]["height"]["modifiedAt"] == "x"


def test_show_changes_only_on_changed_values(terms: TermMap) -> None:
    body = notification_body("s", stored(showChanges=True), [row()], terms)
    data = body["data"][0]
    assert data["height"]["previousValue"] == 4
    assert "previousObject" not in data["refDevice"]  # unchanged
    created = notification_body("s", stored(showChanges=True), [row("created")], terms)
    assert "previousValue" not in created["data"][0]["height"]
    kv = notification_body("s", stored(showChanges=True, format="keyValues"), [row()], terms)
    assert kv["data"][0]["height"] == 5


def named_row(before: dict[str, str] | None = None) -> dict[str, Any]:
    """An outbox row of an entity with a LanguageProperty ``name`` (its map before the
    change in ``previous`` when given)."""
    name = {"type": "LanguageProperty", "languageMap": {"de": "Pegel", "en": "Gauge"}}
    return {**row(), "attrs": {DEFAULT + "name": [name]},
            "previous": {DEFAULT + "name": [{**name, "languageMap": before}]} if before else None}


def test_lang_turns_language_properties_into_properties(terms: TermMap) -> None:
    german = notification_body("s", {**stored(), "lang": "de"}, [named_row()], terms)
    assert german["data"][0]["name"] == {"type": "Property", "value": "Pegel", "lang": "de"}
    ranked = notification_body("s", {**stored(format="concise"), "lang": "fr,en;q=0.5"},
                               [named_row()], terms)
    assert ranked["data"][0]["name"] == {"value": "Gauge", "lang": "en"}
    kv = notification_body("s", {**stored(format="keyValues"), "lang": "de"}, [named_row()],
                           terms)
    assert kv["data"][0]["name"] == "Pegel"
    without = notification_body("s", stored(), [named_row()], terms)
    assert without["data"][0]["name"]["languageMap"] == {"de": "Pegel", "en": "Gauge"}


def test_lang_is_part_of_the_render_cache_key(terms: TermMap) -> None:
    """Two subscriptions differing only in ``lang`` must not share a rendered change."""
    cache = RenderCache()
    shared = {**named_row(), "seq": 7}
    german = notification_body("a", {**stored(), "lang": "de"}, [shared], terms, cache)
    english = notification_body("b", {**stored(), "lang": "en"}, [shared], terms, cache)
    plain = notification_body("c", stored(), [shared], terms, cache)
    assert german["data"][0]["name"]["value"] == "Pegel"
    assert english["data"][0]["name"]["value"] == "Gauge"
    assert plain["data"][0]["name"]["type"] == "LanguageProperty"


def test_lang_with_show_changes_gives_the_previous_text(terms: TermMap) -> None:
    changed = named_row(before={"de": "Messstelle", "en": "Gauge"})
    german = notification_body("s", {**stored(showChanges=True), "lang": "de"}, [changed],
                               terms)
    assert german["data"][0]["name"]["previousValue"] == "Messstelle"
    english = notification_body("s", {**stored(showChanges=True), "lang": "en"}, [changed],
                                terms)
    assert "previousValue" not in english["data"][0]["name"]  # the English text is the same
    plain = notification_body("s", stored(showChanges=True), [changed], terms)
    assert plain["data"][0]["name"]["previousLanguageMap"]["de"] == "Messstelle"


def test_invalid_lang_is_rejected_when_subscribing(terms: TermMap) -> None:
    body = {"type": "Subscription", "entities": [{"type": "WaterObserved"}],
            "notification": {"endpoint": {"uri": "http://h/"}}}
    assert parse_subscription({**body, "lang": "de-CH,en;q=0.5"}, terms)["lang"] == (
        "de-CH,en;q=0.5"
    )
    with pytest.raises(BadRequestData):
        parse_subscription({**body, "lang": "not a language"}, terms)
    # stored before that check: ignored, the notification still goes out with the map
    legacy = notification_body("s", {**stored(), "lang": "not a language"}, [named_row()],
                               terms)
    assert legacy["data"][0]["name"]["type"] == "LanguageProperty"


def test_deleted_entity(terms: TermMap) -> None:
    body = notification_body("s", stored(), [row("deleted")], terms)
    assert body["data"] == [{"id": "urn:ngsi-ld:WaterObserved:1", "type": "WaterObserved",
                             "deletedAt": "2026-11-22T10:00:00Z"}]


def test_envelope_headers() -> None:
    body = {"type": "Notification"}
    plain = envelope(body, {"uri": "http://h/", "receiverInfo": [{"key": "X-A", "value": "1"}]},
                     None, "")
    assert plain.headers["Content-Type"] == "application/json"
    assert CORE_URL in plain.headers["Link"] and plain.headers["X-A"] == "1"
    assert "NGSILD-Tenant" not in plain.headers and "@context" not in plain.body
    ld = envelope(body, {"uri": "http://h/", "accept": "application/ld+json"},
                  "https://example.org/ctx.jsonld", "t1")
    assert ld.headers == {"Content-Type": "application/ld+json", "NGSILD-Tenant": "t1"}
    assert ld.body["@context"] == "https://example.org/ctx.jsonld"
