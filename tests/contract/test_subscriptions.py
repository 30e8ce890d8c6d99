"""NGSI-LD subscriptions and notifications (ETSI GS CIM 009 v1.8 clauses 5.8, 5.3.1, 6.10,
6.11) against a real HTTP receiver in this process and a real MQTT subscriber on the test
instance's Mosquitto. Everything runs in a tenant of its own, so other suites' writes
never reach these subscriptions.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import paho.mqtt.client as paho
import pytest

from smartregion.settings import PlatformSettings

from .conftest import CORE

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
TENANT = "contract_subscriptions"
WAIT = 15.0  # seconds a notification may take (poll fallback 1 s, delivery is immediate)
QUIET = 2.0  # seconds without a notification that show none is coming


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST (path, headers, JSON body)."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.received: list[tuple[str, dict[str, str], Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/notify") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str = "/notify") -> list[Any]:
        with self.lock:
            return [body for p, _, body in self.received if p == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def tenant_headers(broker: httpx.Client) -> dict[str, str]:
    return {**broker.write_headers, "NGSILD-Tenant": TENANT}


@pytest.fixture
def subscribe(broker: httpx.Client, tenant_headers: dict[str, str]) -> Iterator[Callable]:
    """POST a subscription; every one created is deleted after the test."""
    created: list[str] = []

    def make(body: dict[str, Any], **kwargs: Any) -> str:
        response = broker.post(
            "/subscriptions", json={"type": "Subscription", **body},
            headers={**tenant_headers, **kwargs.pop("headers", {})}, **kwargs,
        )
        assert response.status_code == 201, response.text
        sub_id = response.headers["location"].rsplit("/", 1)[1]
        created.append(sub_id)
        return sub_id

    yield make
    for sub_id in created:
        broker.delete(f"/subscriptions/{sub_id}", headers=tenant_headers)


def new_id(kind: str = "WaterObserved") -> str:
    return f"urn:ngsi-ld:{kind}:subs:{uuid.uuid4().hex}"


def gauge(entity_id: str, height: float = 1.0, lon: float = 7.19) -> dict[str, Any]:
    return {
        "id": entity_id, "type": "WaterObserved",
        "height": {"type": "Property", "value": height, "unitCode": "CMT"},
        "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:g1"},
        "location": {
            "type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, 53.34]},
        },
    }


def create(broker: httpx.Client, headers: dict[str, str], entity: dict[str, Any]) -> None:
    response = broker.post("/entities", json=entity, headers=headers)
    assert response.status_code == 201, response.text


def wait_for(condition: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def entities_of(bodies: list[Any]) -> list[dict[str, Any]]:
    return [entity for body in bodies for entity in body["data"]]


def assert_problem(response: httpx.Response, status: int, error_type: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["type"] == ERRORS + error_type


# ------------------------------------------------------------------------------ CRUD


def test_create_retrieve_list_update_delete(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver
) -> None:
    sub_id = f"urn:ngsi-ld:Subscription:contract:{uuid.uuid4().hex}"
    body = {
        "id": sub_id, "type": "Subscription", "subscriptionName": "gauges",
        "entities": [{"type": "WaterObserved", "idPattern": "^urn:ngsi-ld:WaterObserved:.*"}],
        "watchedAttributes": ["height"], "q": "height>1",
        "notification": {
            "attributes": ["height"], "format": "keyValues",
            "endpoint": {"uri": receiver.url(), "accept": "application/json"},
        },
    }
    created = broker.post("/subscriptions", json=body, headers=tenant_headers)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/ngsi-ld/v1/subscriptions/{sub_id}"
    try:
        again = broker.post("/subscriptions", json=body, headers=tenant_headers)
        assert_problem(again, 409, "AlreadyExists")

        got = broker.get(f"/subscriptions/{sub_id}", headers={"NGSILD-Tenant": TENANT})
        assert got.status_code == 200, got.text
        sub = got.json()
        assert sub["id"] == sub_id and sub["type"] == "Subscription"
        assert sub["entities"][0]["type"] == "WaterObserved"
        assert sub["watchedAttributes"] == ["height"]
        assert sub["notification"]["attributes"] == ["height"]
        assert sub["notification"]["timesSent"] == 0
        assert sub["isActive"] is True and sub["status"] == "active"
        assert CORE in got.headers["link"]

        listed = broker.get(
            "/subscriptions", params={"count": "true", "limit": 100},
            headers={"NGSILD-Tenant": TENANT},
        )
        assert listed.status_code == 200
        assert sub_id in [s["id"] for s in listed.json()]
        assert int(listed.headers["NGSILD-Results-Count"]) >= 1
        paged = broker.get(
            "/subscriptions", params={"limit": 1, "offset": 0}, headers={"NGSILD-Tenant": TENANT}
        )
        assert len(paged.json()) == 1

        patched = broker.patch(
            f"/subscriptions/{sub_id}",
            json={"isActive": False, "notification": {"format": "concise"}},
            headers=tenant_headers,
        )
        assert patched.status_code == 204, patched.text
        sub = broker.get(f"/subscriptions/{sub_id}", headers={"NGSILD-Tenant": TENANT}).json()
        assert sub["isActive"] is False and sub["status"] == "paused"
        assert sub["notification"]["format"] == "concise"
        assert sub["notification"]["endpoint"]["uri"] == receiver.url()  # kept
        assert sub["q"] == "height>1"

        bad_patch = broker.patch(
            f"/subscriptions/{sub_id}", json={"throttling": -1}, headers=tenant_headers
        )
        assert_problem(bad_patch, 400, "BadRequestData")
    finally:
        deleted = broker.delete(f"/subscriptions/{sub_id}", headers=tenant_headers)
        assert deleted.status_code == 204
    assert_problem(
        broker.get(f"/subscriptions/{sub_id}", headers={"NGSILD-Tenant": TENANT}),
        404, "ResourceNotFound",
    )
    assert_problem(
        broker.delete(f"/subscriptions/{sub_id}", headers=tenant_headers), 404, "ResourceNotFound"
    )


def test_writes_need_the_token(broker: httpx.Client) -> None:
    if not broker.write_headers:  # type: ignore[attr-defined]
        pytest.skip("this broker takes writes without a token")
    response = broker.post(
        "/subscriptions", headers={"NGSILD-Tenant": TENANT},
        json={"type": "Subscription", "entities": [{"type": "T"}],
              "notification": {"endpoint": {"uri": "http://127.0.0.1:9/x"}}},
    )
    assert response.status_code == 401


ENDPOINT = {"endpoint": {"uri": "http://127.0.0.1:9/n"}}


@pytest.mark.parametrize(
    "body",
    [
        {"entities": [{"type": "T"}], "notification": ENDPOINT, "type": "Other"},
        {"notification": ENDPOINT},  # neither entities nor watchedAttributes
        {"entities": [], "notification": ENDPOINT},
        {"entities": [{"id": "urn:x:1"}], "notification": ENDPOINT},  # no type
        {"entities": [{"type": "T", "idPattern": "(["}], "notification": ENDPOINT},
        {"entities": [{"type": "T"}]},  # no notification
        {"entities": [{"type": "T"}], "notification": {}},
        {"entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "ftp://x/y"}}},
        {"entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "mqtt://h:1883"}}},
        {"entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "not a uri"}}},
        {"entities": [{"type": "T"}], "notification": {**ENDPOINT, "format": "xml"}},
        {"entities": [{"type": "T"}], "notification": {**ENDPOINT, "attributes": []}},
        {"entities": [{"type": "T"}], "notification": {
            "endpoint": {"uri": "mqtt://h:1/t", "notifierInfo": [{"key": "MQTT-QoS", "value": "7"}]}
        }},
        {"entities": [{"type": "T"}], "notification": {
            "endpoint": {"uri": "http://h/", "receiverInfo": [{"key": "X"}]}
        }},
        {"entities": [{"type": "T"}], "q": "height>>", "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "geoQ": {"georel": "near", "geometry": "Point"},
         "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "geoQ": {"georel": "nearby", "geometry": "Point",
                                               "coordinates": [7, 53]}, "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "notificationTrigger": ["entityRenamed"],
         "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "throttling": 0, "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "timeInterval": "5", "notification": ENDPOINT},
        {"watchedAttributes": ["a"], "timeInterval": 5, "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "expiresAt": "tomorrow", "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "isActive": "yes", "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "id": "no uri", "notification": ENDPOINT},
        {"entities": [{"type": "T"}], "notification": ENDPOINT, "surprise": 1},
    ],
)
def test_invalid_subscriptions_are_bad_request_data(
    broker: httpx.Client, tenant_headers: dict[str, str], body: dict[str, Any]
) -> None:
    response = broker.post(
        "/subscriptions", json={"type": "Subscription", **body}, headers=tenant_headers
    )
    assert_problem(response, 400, "BadRequestData")


def test_not_json_and_unknown_ids(broker: httpx.Client, tenant_headers: dict[str, str]) -> None:
    json_headers = {**tenant_headers, "Content-Type": "application/json"}
    response = broker.post("/subscriptions", content=b"{", headers=json_headers)
    assert_problem(response, 400, "InvalidRequest")
    assert_problem(
        broker.get("/subscriptions/urn:ngsi-ld:Subscription:none",
                   headers={"NGSILD-Tenant": TENANT}),
        404, "ResourceNotFound",
    )
    assert_problem(
        broker.patch("/subscriptions/urn:ngsi-ld:Subscription:none", json={"isActive": False},
                     headers=tenant_headers),
        404, "ResourceNotFound",
    )
    assert_problem(broker.get("/subscriptions/no%20uri"), 400, "BadRequestData")


# ---------------------------------------------------------------------- notifications


def test_each_trigger(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    triggers = (
        "entityCreated", "entityUpdated", "entityDeleted",
        "attributeCreated", "attributeUpdated", "attributeDeleted",
    )
    for trigger in triggers:
        subscribe({
            "entities": [{"id": entity_id, "type": "WaterObserved"}],
            "notificationTrigger": [trigger],
            "notification": {"endpoint": {"uri": receiver.url(f"/{trigger}")}},
        })
    steps = [
        broker.post("/entities", json=gauge(entity_id), headers=tenant_headers),
        broker.patch(f"/entities/{entity_id}/attrs", headers=tenant_headers,
                     json={"height": {"type": "Property", "value": 2.0}}),
        broker.post(f"/entities/{entity_id}/attrs", headers=tenant_headers,
                    json={"flow": {"type": "Property", "value": 3}}),
        broker.delete(f"/entities/{entity_id}/attrs/refDevice", headers=tenant_headers),
        broker.delete(f"/entities/{entity_id}", headers=tenant_headers),
    ]
    assert [s.status_code for s in steps] == [201, 204, 204, 204, 204]
    # created: all attributes created; update: height; append: flow; delete: refDevice
    expected = {
        "entityCreated": 1, "entityUpdated": 3, "entityDeleted": 1,
        "attributeCreated": 2, "attributeUpdated": 1, "attributeDeleted": 1,
    }
    wait_for(lambda: all(
        len(entities_of(receiver.bodies(f"/{t}"))) >= n for t, n in expected.items()
    ))
    time.sleep(QUIET)
    counts = {t: len(entities_of(receiver.bodies(f"/{t}"))) for t in triggers}
    assert counts == expected
    (deleted,) = entities_of(receiver.bodies("/entityDeleted"))
    assert deleted["id"] == entity_id and deleted["type"] == "WaterObserved"
    assert "deletedAt" in deleted
    (updated,) = entities_of(receiver.bodies("/attributeUpdated"))
    assert updated["height"]["value"] == 2.0 and "flow" not in updated
    (attribute_deleted,) = entities_of(receiver.bodies("/attributeDeleted"))
    assert "refDevice" not in attribute_deleted and "flow" in attribute_deleted
    assert [("flow" in e) for e in entities_of(receiver.bodies("/attributeCreated"))] == [
        False, True
    ]
    body = receiver.bodies("/entityCreated")[0]
    assert body["type"] == "Notification" and body["id"].startswith("urn:ngsi-ld:Notification:")
    assert body["subscriptionId"].startswith("urn:ngsi-ld:Subscription:")
    datetime.fromisoformat(body["notifiedAt"].replace("Z", "+00:00"))


def test_watched_attributes_and_q_filter(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    create(broker, tenant_headers, gauge(entity_id))
    subscribe({
        "entities": [{"id": entity_id, "type": "WaterObserved"}],
        "watchedAttributes": ["height"], "q": "height>10",
        "notification": {"endpoint": {"uri": receiver.url()}},
    })

    def update(attrs: dict[str, Any]) -> None:
        response = broker.patch(f"/entities/{entity_id}/attrs", json=attrs, headers=tenant_headers)
        assert response.status_code == 204, response.text

    update({"refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:g2"}})  # unwatched
    update({"height": {"type": "Property", "value": 5.0}})  # q false
    update({"height": {"type": "Property", "value": 20.0}})  # notifies
    wait_for(lambda: receiver.bodies())
    time.sleep(QUIET)
    data = entities_of(receiver.bodies())
    assert [e["height"]["value"] for e in data] == [20.0]
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_type_and_id_pattern_select(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    marker = uuid.uuid4().hex
    subscribe({
        "entities": [{"type": "WaterObserved", "idPattern": f".*:{marker}:keep$"}],
        "notification": {"endpoint": {"uri": receiver.url()}},
    })
    ids = [f"urn:ngsi-ld:WaterObserved:{marker}:keep", f"urn:ngsi-ld:WaterObserved:{marker}:skip"]
    for entity_id in ids:
        create(broker, tenant_headers, gauge(entity_id))
    other = {"id": f"urn:ngsi-ld:Other:{marker}:keep", "type": "Other",
             "v": {"type": "Property", "value": 1}}
    create(broker, tenant_headers, other)
    wait_for(lambda: receiver.bodies())
    time.sleep(QUIET)
    assert [e["id"] for e in entities_of(receiver.bodies())] == [ids[0]]
    for entity_id in (*ids, other["id"]):
        broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_geo_query_selects(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    marker = uuid.uuid4().hex
    subscribe({
        "entities": [{"type": "WaterObserved", "idPattern": f".*{marker}.*"}],
        "geoQ": {"georel": "near;maxDistance==2000", "geometry": "Point",
                 "coordinates": [7.19, 53.34]},
        "notification": {"endpoint": {"uri": receiver.url()}},
    })
    near, far = new_id() + marker, new_id() + marker
    create(broker, tenant_headers, gauge(near))
    create(broker, tenant_headers, gauge(far, lon=8.5))
    wait_for(lambda: receiver.bodies())
    time.sleep(QUIET)
    assert [e["id"] for e in entities_of(receiver.bodies())] == [near]
    for entity_id in (near, far):
        broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_formats_attributes_and_receiver_info(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    selector = [{"id": entity_id, "type": "WaterObserved"}]
    for fmt in ("normalized", "keyValues", "concise"):
        subscribe({"entities": selector, "notification": {
            "format": fmt, "attributes": ["height"], "endpoint": {"uri": receiver.url(f"/{fmt}")},
        }})
    subscribe({"entities": selector, "notification": {
        "sysAttrs": True,
        "endpoint": {
            "uri": receiver.url("/ld"), "accept": "application/ld+json",
            "receiverInfo": [{"key": "X-Region", "value": "Ostfriesland"}],
        },
    }})
    create(broker, tenant_headers, gauge(entity_id, 4.5))
    paths = ("/normalized", "/keyValues", "/concise", "/ld")
    wait_for(lambda: all(receiver.bodies(path) for path in paths))
    (normalized,) = entities_of(receiver.bodies("/normalized"))
    assert normalized == {"id": entity_id, "type": "WaterObserved",
                          "height": {"type": "Property", "value": 4.5, "unitCode": "CMT"}}
    (key_values,) = entities_of(receiver.bodies("/keyValues"))
    assert key_values == {"id": entity_id, "type": "WaterObserved", "height": 4.5}
    (concise,) = entities_of(receiver.bodies("/concise"))
    assert concise == {"id": entity_id, "type": "WaterObserved",
                       "height": {"value": 4.5, "unitCode": "CMT"}}
    headers = {p: h for p, h, _ in receiver.received}
    assert CORE in headers["/normalized"]["Link"]
    assert headers["/normalized"]["Content-Type"].startswith("application/json")
    assert headers["/ld"]["Content-Type"].startswith("application/ld+json")
    assert headers["/ld"]["X-Region"] == "Ostfriesland"
    assert headers["/ld"]["NGSILD-Tenant"] == TENANT
    (ld_body,) = receiver.bodies("/ld")
    assert ld_body["@context"] == CORE
    assert "createdAt" in ld_body["data"][0]["height"]
    assert "refDevice" in ld_body["data"][0]
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_notification_uses_the_subscription_context(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    context = {"@context": [{"h": "https://example.org/height", "Gauge": "https://example.org/G"},
                            CORE]}
    entity_id = new_id("Gauge")
    subscribe(
        {**context, "entities": [{"id": entity_id, "type": "Gauge"}],
         "notification": {"format": "keyValues", "endpoint": {"uri": receiver.url()}}},
        headers={"Content-Type": "application/ld+json"},
    )
    entity = {**context, "id": entity_id, "type": "Gauge", "h": {"type": "Property", "value": 1}}
    created = broker.post("/entities", json=entity,
                          headers={**tenant_headers, "Content-Type": "application/ld+json"})
    assert created.status_code == 201, created.text
    wait_for(lambda: receiver.bodies())
    (data,) = entities_of(receiver.bodies())
    assert data == {"id": entity_id, "type": "Gauge", "h": 1}
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_show_changes_gives_previous_values(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    create(broker, tenant_headers, gauge(entity_id, 1.0))
    subscribe({
        "entities": [{"id": entity_id, "type": "WaterObserved"}],
        "notification": {"showChanges": True, "endpoint": {"uri": receiver.url()}},
    })
    broker.patch(f"/entities/{entity_id}/attrs", headers=tenant_headers, json={
        "height": {"type": "Property", "value": 7.0},
        "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:g9"},
    })
    wait_for(lambda: receiver.bodies())
    (data,) = entities_of(receiver.bodies())
    assert data["height"]["value"] == 7.0 and data["height"]["previousValue"] == 1.0
    assert data["refDevice"]["previousObject"] == "urn:ngsi-ld:Device:g1"
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_lang_sends_language_properties_as_properties(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    """A subscription's ``lang`` (clause 5.2.12) renders LanguageProperties as a GET with
    ``?lang=`` does (clause 4.15): a Property with the chosen text and ``lang``."""
    entity_id = new_id()
    names = {"de": "Pegel Emden", "en": "Emden gauge", "nl": "Peilschaal Emden"}
    subscribe({
        "entities": [{"id": entity_id, "type": "WaterObserved"}], "lang": "de",
        "notification": {"attributes": ["name"], "endpoint": {"uri": receiver.url()}},
    })
    subscribe({
        "entities": [{"id": entity_id, "type": "WaterObserved"}],
        "notification": {"attributes": ["name"], "endpoint": {"uri": receiver.url("/all")}},
    })
    create(broker, tenant_headers, {
        **gauge(entity_id), "name": {"type": "LanguageProperty", "languageMap": names},
    })
    wait_for(lambda: receiver.bodies() and receiver.bodies("/all"))
    (data,) = entities_of(receiver.bodies())
    assert data["name"] == {"type": "Property", "value": "Pegel Emden", "lang": "de"}
    retrieved = broker.get(f"/entities/{entity_id}", params={"lang": "de", "attrs": "name"},
                           headers=tenant_headers)
    assert retrieved.status_code == 200, retrieved.text
    assert data["name"] == retrieved.json()["name"]
    (plain,) = entities_of(receiver.bodies("/all"))
    assert plain["name"] == {"type": "LanguageProperty", "languageMap": names}
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_throttling_delays_but_loses_nothing(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    create(broker, tenant_headers, gauge(entity_id))
    subscribe({
        "entities": [{"id": entity_id, "type": "WaterObserved"}], "throttling": 4,
        "notification": {"format": "keyValues", "endpoint": {"uri": receiver.url()}},
    })
    for value in (10.0, 11.0, 12.0):
        broker.patch(f"/entities/{entity_id}/attrs", headers=tenant_headers,
                     json={"height": {"type": "Property", "value": value}})
        time.sleep(0.3)
    wait_for(lambda: receiver.bodies())
    time.sleep(2.0)
    assert len(receiver.bodies()) == 1  # within the throttling period: one notification
    wait_for(lambda: sum(len(b["data"]) for b in receiver.bodies()) >= 3, timeout=WAIT)
    assert len(receiver.bodies()) == 2
    assert [e["height"] for e in entities_of(receiver.bodies())] == [10.0, 11.0, 12.0]
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_counters_count_successes_and_failures(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    good = subscribe({"entities": [{"id": entity_id, "type": "WaterObserved"}],
                      "notification": {"endpoint": {"uri": receiver.url()}}})
    refusing = Receiver(status=500)
    try:
        bad = subscribe({"entities": [{"id": entity_id, "type": "WaterObserved"}],
                         "notification": {"endpoint": {"uri": refusing.url()}}})
        create(broker, tenant_headers, gauge(entity_id))

        def sub(sub_id: str) -> dict[str, Any]:
            return broker.get(f"/subscriptions/{sub_id}",
                              headers={"NGSILD-Tenant": TENANT}).json()["notification"]

        ok = wait_for(lambda: (n := sub(good))["timesSent"] == 1 and n)
        assert ok["status"] == "ok" and ok["timesFailed"] == 0
        assert ok["lastSuccess"] == ok["lastNotification"]
        failed = wait_for(lambda: (n := sub(bad))["timesFailed"] >= 2 and n)
        assert failed["timesSent"] == 0 and failed["status"] == "failed"
        assert "lastSuccess" not in failed and failed["lastFailure"]
        assert len(refusing.bodies()) >= 2  # retried
    finally:
        refusing.close()
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_paused_and_expired_subscriptions_do_not_notify(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    selector = [{"id": entity_id, "type": "WaterObserved"}]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    paused = subscribe({"entities": selector, "isActive": False,
                        "notification": {"endpoint": {"uri": receiver.url("/paused")}}})
    expired = subscribe({"entities": selector, "expiresAt": past,
                         "notification": {"endpoint": {"uri": receiver.url("/expired")}}})
    subscribe({"entities": selector, "notification": {"endpoint": {"uri": receiver.url("/on")}}})
    got = broker.get(f"/subscriptions/{expired}", headers={"NGSILD-Tenant": TENANT}).json()
    assert got["status"] == "expired"
    create(broker, tenant_headers, gauge(entity_id))
    wait_for(lambda: receiver.bodies("/on"))
    time.sleep(QUIET)
    assert receiver.bodies("/paused") == [] and receiver.bodies("/expired") == []
    # resumed: later changes notify
    broker.patch(f"/subscriptions/{paused}", json={"isActive": True}, headers=tenant_headers)
    broker.patch(f"/entities/{entity_id}/attrs", headers=tenant_headers,
                 json={"height": {"type": "Property", "value": 3.0}})
    wait_for(lambda: receiver.bodies("/paused"))
    assert [e["height"]["value"] for e in entities_of(receiver.bodies("/paused"))] == [3.0]
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


def test_periodic_subscription(
    broker: httpx.Client, tenant_headers: dict[str, str], receiver: Receiver, subscribe: Callable
) -> None:
    entity_id = new_id()
    create(broker, tenant_headers, gauge(entity_id, 8.0))
    subscribe({"entities": [{"id": entity_id, "type": "WaterObserved"}], "timeInterval": 1,
               "notification": {"format": "keyValues", "endpoint": {"uri": receiver.url()}}})
    wait_for(lambda: len(receiver.bodies()) >= 3)
    assert all(b["data"] == [{"id": entity_id, "type": "WaterObserved", "height": 8.0,
                              "refDevice": "urn:ngsi-ld:Device:g1",
                              "location": {"type": "Point", "coordinates": [7.19, 53.34]}}]
               for b in receiver.bodies())
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)


# ------------------------------------------------------------------------------ MQTT


@pytest.fixture
def mqtt_messages() -> Iterator[tuple[str, queue.Queue]]:
    """A paho subscriber on the test instance's Mosquitto: (topic prefix, messages)."""
    port = PlatformSettings(instance="test").port("mqtt_port")
    prefix = f"ngsild-test/{uuid.uuid4().hex}"
    messages: queue.Queue = queue.Queue()
    subscribed = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, message: messages.put(message)
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe(f"{prefix}/#", qos=1)
    assert subscribed.wait(10)
    yield f"mqtt://127.0.0.1:{port}/{prefix}", messages
    client.loop_stop()
    client.disconnect()


@pytest.mark.parametrize("qos", [0, 1])
def test_mqtt_notification(
    broker: httpx.Client, tenant_headers: dict[str, str], subscribe: Callable,
    mqtt_messages: tuple[str, queue.Queue], qos: int,
) -> None:
    base, messages = mqtt_messages
    entity_id = new_id()
    subscribe({"entities": [{"id": entity_id, "type": "WaterObserved"}], "notification": {
        "format": "keyValues",
        "endpoint": {
            "uri": f"{base}/gauges", "accept": "application/json",
            "notifierInfo": [{"key": "MQTT-QoS", "value": str(qos)}],
            "receiverInfo": [{"key": "X-Region", "value": "Ostfriesland"}],
        },
    }})
    create(broker, tenant_headers, gauge(entity_id, 6.0))
    message = messages.get(timeout=WAIT)
    assert message.topic == base.split("/", 3)[3] + "/gauges"
    assert message.qos == qos
    payload = json.loads(message.payload)
    assert payload["metadata"]["X-Region"] == "Ostfriesland"
    assert payload["metadata"]["Content-Type"] == "application/json"
    assert CORE in payload["metadata"]["Link"]
    assert payload["body"]["type"] == "Notification"
    assert payload["body"]["data"][0]["height"] == 6.0
    broker.delete(f"/entities/{entity_id}", headers=tenant_headers)
