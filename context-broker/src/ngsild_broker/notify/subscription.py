"""Subscriptions (ETSI GS CIM 009 v1.8 clause 5.2.12): validate a request body into the
stored form and render the stored form back.

The stored form keeps the client's members but with entity types, ``watchedAttributes`` and
``notification.attributes`` expanded to IRIs (like entities, so clients with other
@contexts see the same subscription); ``q`` and ``geoQ`` stay as text and are expanded with
the subscription's own @context when matched. Every problem is :class:`BadRequestData`, so
no client input reaches the database or the notifier unchecked.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from ..errors import BadRequestData
from ..model.entity import Terms, is_uri
from ..model.render import parse_language_filter
from ..query.geo_query import GeoQuery, parse_geo_query
from ..query.q_language import parse_q

TRIGGERS = (
    "entityCreated", "entityUpdated", "entityDeleted",
    "attributeCreated", "attributeUpdated", "attributeDeleted",
)
#: Clause 5.2.12: without notificationTrigger, attribute creations and updates notify.
DEFAULT_TRIGGERS = ("attributeCreated", "attributeUpdated")
FORMATS = ("normalized", "keyValues", "concise")
ACCEPTS = ("application/json", "application/ld+json")
SCHEMES = ("http", "https", "mqtt", "mqtts")
#: Members the broker maintains; sent by a client they are ignored (clause 5.2.12).
READ_ONLY = frozenset({
    "status", "createdAt", "modifiedAt", "@context", "jsonldContext",
})
READ_ONLY_NOTIFICATION = frozenset({
    "timesSent", "timesFailed", "lastNotification", "lastSuccess", "lastFailure", "status",
})
MAX_TEXT = 10_000


def new_subscription_id() -> str:
    return f"urn:ngsi-ld:Subscription:{uuid.uuid4()}"


def parse_subscription(body: Any, terms: Terms) -> dict[str, Any]:
    """A create (or merged PATCH) body → stored form. ``id`` is generated when missing."""
    if not isinstance(body, dict):
        raise BadRequestData("A subscription must be a JSON object")
    if body.get("type") != "Subscription":
        raise BadRequestData('A subscription needs "type": "Subscription"')
    out: dict[str, Any] = {"type": "Subscription"}
    sub_id = body.get("id", new_subscription_id())
    if not isinstance(sub_id, str) or not is_uri(sub_id):
        raise BadRequestData(f"Subscription id must be a URI, got {str(sub_id)[:100]!r}")
    out["id"] = sub_id
    for name in ("subscriptionName", "description"):
        if name in body:
            out[name] = _text(body[name], name)
    if "entities" in body:
        out["entities"] = _entities(body["entities"], terms)
    if "watchedAttributes" in body:
        out["watchedAttributes"] = [terms.expand(a) for a in _names(body, "watchedAttributes")]
    if "notificationTrigger" in body:
        out["notificationTrigger"] = _triggers(body["notificationTrigger"])
    if "q" in body:
        out["q"] = _text(body["q"], "q")
        parse_q(out["q"])  # BadRequestData when malformed
    if "geoQ" in body:
        out["geoQ"] = body["geoQ"]
        parse_geo(body["geoQ"])
    for name in ("timeInterval", "throttling"):
        if name in body:
            out[name] = _positive(body[name], name)
    if "expiresAt" in body:
        out["expiresAt"] = _timestamp(body["expiresAt"], "expiresAt").isoformat().replace(
            "+00:00", "Z"
        )
    if "isActive" in body:
        if not isinstance(body["isActive"], bool):
            raise BadRequestData("isActive must be true or false")
        out["isActive"] = body["isActive"]
    if "lang" in body:
        out["lang"] = _text(body["lang"], "lang")
        parse_language_filter(out["lang"])  # BadRequestData now, not a failing notifier later
    out["notification"] = _notification(body.get("notification"), terms)
    if "entities" not in out and "watchedAttributes" not in out:
        raise BadRequestData("A subscription needs entities or watchedAttributes")
    if "timeInterval" in out and ("watchedAttributes" in out or "throttling" in out):
        raise BadRequestData("timeInterval cannot be combined with watchedAttributes or throttling")
    if "timeInterval" in out and "notificationTrigger" in out:
        raise BadRequestData("timeInterval cannot be combined with notificationTrigger")
    unknown = set(body) - set(out) - READ_ONLY
    if unknown:
        raise BadRequestData(f"Unknown subscription members: {', '.join(sorted(unknown))[:200]}")
    return out


def parse_geo(raw: Any) -> GeoQuery:
    """The ``geoQ`` member (clause 5.2.13): georel, geometry, coordinates, geoproperty."""
    if not isinstance(raw, dict):
        raise BadRequestData("geoQ must be an object")
    coordinates = raw.get("coordinates")
    if coordinates is not None and not isinstance(coordinates, str):
        coordinates = json.dumps(coordinates)
    geo = parse_geo_query(
        _opt_text(raw.get("georel"), "geoQ.georel"),
        _opt_text(raw.get("geometry"), "geoQ.geometry"),
        coordinates,
        _opt_text(raw.get("geoproperty"), "geoQ.geoproperty"),
    )
    if geo is None:
        raise BadRequestData("geoQ needs georel, geometry and coordinates")
    return geo


def merge_patch(current: dict[str, Any], patch: Any) -> dict[str, Any]:
    """A PATCH fragment (clause 5.8.2) over a subscription in the client's terms."""
    if not isinstance(patch, dict) or not patch:
        raise BadRequestData("The body must be a non-empty JSON object")
    if "id" in patch and patch["id"] != current["id"]:
        raise BadRequestData("The id of a subscription cannot be changed")
    merged = {**current}
    for key, value in patch.items():
        if key == "notification" and isinstance(value, dict):
            notification = {**current.get("notification", {})}
            for member, item in value.items():
                if member == "endpoint" and isinstance(item, dict):
                    notification["endpoint"] = {**notification.get("endpoint", {}), **item}
                else:
                    notification[member] = item
            merged["notification"] = notification
        elif value is None:
            merged.pop(key, None)  # JSON null removes an optional member
        else:
            merged[key] = value
    return merged


def status_of(stored: dict[str, Any], now: datetime | None = None) -> str:
    """``active``, ``paused`` (isActive false) or ``expired`` (expiresAt passed)."""
    now = now or datetime.now(UTC)
    expires = stored.get("expiresAt")
    if expires and datetime.fromisoformat(expires.replace("Z", "+00:00")) <= now:
        return "expired"
    return "active" if stored.get("isActive", True) else "paused"


def render_subscription(
    stored: dict[str, Any], terms: Terms, counters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The stored form in the client's terms, with status and delivery counters."""
    out = {k: v for k, v in stored.items() if k not in ("notification", "entities")}
    if "entities" in stored:
        out["entities"] = [
            {**e, "type": terms.compact(e["type"])} if "type" in e else dict(e)
            for e in stored["entities"]
        ]
    if "watchedAttributes" in stored:
        out["watchedAttributes"] = [terms.compact(a) for a in stored["watchedAttributes"]]
    notification = dict(stored["notification"])
    if "attributes" in notification:
        notification["attributes"] = [terms.compact(a) for a in notification["attributes"]]
    notification["endpoint"] = dict(notification["endpoint"])
    counters = counters or {}
    for member in ("timesSent", "timesFailed"):
        notification[member] = counters.get(member, 0)
    for member in ("lastNotification", "lastSuccess", "lastFailure"):
        if counters.get(member) is not None:
            notification[member] = _iso(counters[member])
    if notification.get("lastNotification"):
        failed = counters.get("lastFailure") is not None and (
            counters.get("lastSuccess") is None
            or counters["lastFailure"] > counters["lastSuccess"]
        )
        notification["status"] = "failed" if failed else "ok"
    out["notification"] = notification
    out.setdefault("isActive", True)
    out["status"] = status_of(stored)
    return out


def _notification(raw: Any, terms: Terms) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadRequestData("A subscription needs a notification object")
    out: dict[str, Any] = {}
    if "attributes" in raw:
        out["attributes"] = [terms.expand(a) for a in _names(raw, "attributes")]
    if "format" in raw:
        if raw["format"] not in FORMATS:
            raise BadRequestData(f"notification.format must be one of {', '.join(FORMATS)}")
        out["format"] = raw["format"]
    for flag in ("showChanges", "sysAttrs"):
        if flag in raw:
            if not isinstance(raw[flag], bool):
                raise BadRequestData(f"notification.{flag} must be true or false")
            out[flag] = raw[flag]
    out["endpoint"] = _endpoint(raw.get("endpoint"))
    unknown = set(raw) - set(out) - READ_ONLY_NOTIFICATION
    if unknown:
        raise BadRequestData(f"Unknown notification members: {', '.join(sorted(unknown))[:200]}")
    return out


def _endpoint(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadRequestData("notification.endpoint must be an object with a uri")
    uri = raw.get("uri")
    if not isinstance(uri, str) or len(uri) > 2000:
        raise BadRequestData("notification.endpoint.uri must be a URI")
    parsed = urlparse(uri)
    if parsed.scheme not in SCHEMES or not parsed.hostname:
        raise BadRequestData(
            "notification.endpoint.uri must be an http(s):// or mqtt(s)://host[:port]/topic URI"
        )
    try:
        parsed.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as error:
        raise BadRequestData(f"notification.endpoint.uri: {error}") from None
    if parsed.scheme.startswith("mqtt") and not parsed.path.strip("/"):
        raise BadRequestData("An MQTT endpoint needs a topic: mqtt://host:port/topic")
    out: dict[str, Any] = {"uri": uri}
    if "accept" in raw:
        if raw["accept"] not in ACCEPTS:
            raise BadRequestData(
                f"notification.endpoint.accept must be one of {', '.join(ACCEPTS)}"
            )
        out["accept"] = raw["accept"]
    for name in ("receiverInfo", "notifierInfo"):
        if name in raw:
            out[name] = _key_values(raw[name], f"notification.endpoint.{name}")
    qos = qos_of(out)
    if qos not in (0, 1):
        raise BadRequestData("MQTT-QoS must be 0 or 1")
    unknown = set(raw) - set(out)
    if unknown:
        raise BadRequestData(f"Unknown endpoint members: {', '.join(sorted(unknown))[:200]}")
    return out


def qos_of(endpoint: dict[str, Any]) -> int:
    """The MQTT-QoS of ``notifierInfo`` (default 0)."""
    for item in endpoint.get("notifierInfo", []):
        if item["key"] == "MQTT-QoS":
            return int(item["value"]) if item["value"] in ("0", "1", "2") else -1
    return 0


def _key_values(raw: Any, name: str) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not all(
        isinstance(i, dict) and set(i) == {"key", "value"}
        and isinstance(i["key"], str) and isinstance(i["value"], str)
        and i["key"] and "\n" not in i["key"] + i["value"] and "\r" not in i["key"] + i["value"]
        for i in raw
    ):
        raise BadRequestData(f"{name} must be a list of {{\"key\": …, \"value\": …}} strings")
    return [{"key": i["key"], "value": i["value"]} for i in raw]


def _entities(raw: Any, terms: Terms) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise BadRequestData("entities must be a non-empty list of entity selectors")
    selectors = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not item["type"]:
            raise BadRequestData("Each entity selector needs a type")
        selector = {"type": terms.expand(item["type"])}
        if "id" in item:
            if not isinstance(item["id"], str) or not is_uri(item["id"]):
                raise BadRequestData("entities[].id must be a URI")
            selector["id"] = item["id"]
        if "idPattern" in item:
            selector["idPattern"] = _pattern(item["idPattern"])
        unknown = set(item) - set(selector)
        if unknown:
            raise BadRequestData(f"Unknown entity selector members: {sorted(unknown)}"[:200])
        selectors.append(selector)
    return selectors


def _pattern(raw: Any) -> str:
    if not isinstance(raw, str) or not raw or len(raw) > 1000:
        raise BadRequestData("entities[].idPattern must be a regular expression")
    try:
        re.compile(raw)
    except re.error as error:
        raise BadRequestData(f"entities[].idPattern is not a regular expression: {error}") from None
    return raw


def _names(body: dict[str, Any], name: str) -> list[str]:
    raw = body[name]
    if not isinstance(raw, list) or not raw or not all(
        isinstance(a, str) and a and len(a) <= 1000 for a in raw
    ):
        raise BadRequestData(f"{name} must be a non-empty list of attribute names")
    return list(dict.fromkeys(raw))


def _triggers(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(t in TRIGGERS for t in raw):
        raise BadRequestData(
            f"notificationTrigger must be a non-empty list of: {', '.join(TRIGGERS)}"
        )
    return list(dict.fromkeys(raw))


def _positive(raw: Any, name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw > 0 or raw > 1e7:
        raise BadRequestData(f"{name} must be a positive number of seconds")
    return raw


def _text(raw: Any, name: str) -> str:
    if not isinstance(raw, str) or len(raw) > MAX_TEXT:
        raise BadRequestData(f"{name} must be a string")
    return raw


def _opt_text(raw: Any, name: str) -> str | None:
    return None if raw is None else _text(raw, name)


def _timestamp(raw: Any, name: str) -> datetime:
    if isinstance(raw, str) and "T" in raw:
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise BadRequestData(f"{name} must be an ISO 8601 date-time")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
