"""The sink against the test instance's real broker: push, skip unchanged, buffer while the
broker is down and redeliver in order, 207 with a bad entity, and the outbox on disk."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from smartregion_adapters import ngsi
from smartregion_adapters.base import Adapter, AdapterSettings, Batch, register
from smartregion_adapters.buffer import Outbox, content_hash
from smartregion_adapters.sink import BrokerSink
from smartregion_schemas.live import CONTEXT_URL, validate_entity

from smartregion import credentials
from smartregion.broker_service import BrokerService
from smartregion.settings import PlatformSettings

from .conftest import SampleServer


# A source-tree broker of our own (same test database), with the platform's @context
# preloaded (the shared test broker on 21026 cannot fetch it offline), which the tests stop
# and restart for the broker-down case.
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TEST_INSTANCE = PlatformSettings(instance="test")
PORT = _free_port()
BROKER = f"http://127.0.0.1:{PORT}"
CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens
T0 = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


@register
class FakeGauges(Adapter):
    """Reads ``[{"id", "height", "minute"}…]`` from the sample server: WaterObserved."""

    name: ClassVar[str] = "test-fake-gauges"
    entity_types: ClassVar[tuple[str, ...]] = ("WaterObserved",)

    def fetch(self) -> Any:
        return self.get("/gauges").json()

    def map(self, payload: Any) -> Batch:
        return Batch(entities=[water(self.settings, r["id"], r["height"], r["minute"])
                               for r in payload])


def water(settings: AdapterSettings, source_id: str, height: int,
          minute: int = 0) -> dict[str, Any]:
    at = T0 + timedelta(minutes=minute)
    return ngsi.new_entity(
        settings, "WaterObserved", source_id, "Test gauges",
        name=ngsi.prop(f"Testpegel {source_id}"),
        location=ngsi.point(7.187, 53.337),
        dateObserved=ngsi.prop(ngsi.utc_text(at)),
        height=ngsi.measured("WaterObserved", "height", height, at),
    )


class OwnBroker:
    """Start/stop the broker process on ``PORT``; only the process started here is killed."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # the test instance's broker settings (its database, token and the platform's
        # preloaded @context), on a port of our own, one worker
        env = {**os.environ, **BrokerService(TEST_INSTANCE).environment(),
               "BROKER_PORT": str(PORT), "BROKER_WORKERS": "1"}
        self.process = subprocess.Popen([str(TEST_INSTANCE.venv_bin("ngsild-broker"))],
                                        env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{BROKER}/ngsi-ld/v1/types", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"broker on {PORT} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="module")
def broker() -> Iterator[OwnBroker]:
    own = OwnBroker()
    own.start()
    yield own
    own.stop()


def token() -> str:
    return credentials.broker_token(TEST_INSTANCE.secrets_file)


@pytest.fixture
def settings(sample_server: SampleServer) -> AdapterSettings:
    return AdapterSettings(adapter=FakeGauges.name, partner="stadt-emden", url=sample_server.url)


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def posts() -> list[httpx.Request]:
    return []


@pytest.fixture
def client(posts: list[httpx.Request]) -> Iterator[httpx.Client]:
    def count(request: httpx.Request) -> None:
        if request.method == "POST":
            posts.append(request)

    with httpx.Client(event_hooks={"request": [count]}) as http:
        yield http


def make_sink(tmp_path: Path, client: httpx.Client, url: str = BROKER,
              **options: Any) -> BrokerSink:
    return BrokerSink(url, token(), Outbox(tmp_path), client, max_attempts=2,
                      backoff_base=0.001, backoff_cap=0.002, timeout_seconds=5, **options)


def read_headers() -> dict[str, str]:
    """Token, and the platform @context so that the broker answers with short terms."""
    link = (f'<{CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; '
            'type="application/ld+json"')
    return {"Authorization": f"Bearer {token()}", "Link": link}


def get_entity(entity_id: str) -> httpx.Response:
    return httpx.get(f"{BROKER}/ngsi-ld/v1/entities/{entity_id}",
                     params={"options": "sysAttrs"}, headers=read_headers())


def heights_in_history(entity_id: str) -> list[tuple[str, Any]]:
    response = httpx.get(f"{BROKER}/ngsi-ld/v1/temporal/entities/{entity_id}",
                         params={"attrs": "height", "lastN": 100}, headers=read_headers())
    assert response.status_code == 200, response.text
    instances = response.json().get("height", [])
    if isinstance(instances, dict):
        instances = [instances]
    return sorted((i["observedAt"], i["value"]) for i in instances)


def test_the_test_entities_are_valid(settings: AdapterSettings) -> None:
    validate_entity(water(settings, "x", 1), "normalized")


def test_push_stores_and_unchanged_is_not_sent_again(
        broker: OwnBroker, tmp_path: Path, client: httpx.Client, posts: list[httpx.Request],
        settings: AdapterSettings, run_id: str) -> None:
    entity = water(settings, f"t-{run_id}", 512)
    sink = make_sink(tmp_path, client)
    result = sink.push([entity])
    assert (result.buffered, sink.report.pushed, len(posts)) == (0, 1, 1)
    request = posts[0]
    assert request.headers["content-type"] == "application/ld+json"
    assert request.headers["authorization"] == f"Bearer {token()}"
    assert request.url.params["options"] == "update"
    stored = get_entity(entity["id"])
    assert stored.status_code == 200, stored.text
    assert stored.json()["height"]["value"] == 512
    modified = stored.json()["modifiedAt"]

    again = sink.push([water(settings, f"t-{run_id}", 512)])
    assert (again.skipped_unchanged, len(posts)) == (1, 1)
    assert get_entity(entity["id"]).json()["modifiedAt"] == modified
    # A restarted process remembers what was pushed.
    assert make_sink(tmp_path, client).push([entity]).skipped_unchanged == 1
    assert len(posts) == 1


@pytest.mark.parametrize("how", ["closed-port", "broker-stopped"])
def test_broker_down_buffers_everything_and_redelivers_in_order_once(
        broker: OwnBroker, how: str, tmp_path: Path, client: httpx.Client,
        settings: AdapterSettings, run_id: str) -> None:
    ids = [f"d-{run_id}-{n}" for n in range(3)]
    versions = [water(settings, source, 100 * minute + n, minute)
                for minute in range(4) for n, source in enumerate(ids)]
    if how == "broker-stopped":
        broker.stop()
    down = make_sink(tmp_path, client, url=CLOSED if how == "closed-port" else BROKER,
                     batch_size=2)
    try:
        for start in range(0, len(versions), 3):
            result = down.push(versions[start:start + 3])
            assert result.buffered == 3
        assert down.buffer.pending() == len(versions)
        assert down.report.pushed == 0
        assert "not reachable after 2 attempts" in down.report.failures[0]
        down.buffer.close()
    finally:
        if how == "broker-stopped":
            broker.start()

    up = make_sink(tmp_path, client, batch_size=2)
    assert up.flush() is True
    assert (up.buffer.pending(), up.report.pushed, up.report.errors) == (0, len(versions), [])
    for n, source in enumerate(ids):
        entity_id = versions[n]["id"]
        assert heights_in_history(entity_id) == [
            (ngsi.utc_text(T0 + timedelta(minutes=m)), 100 * m + n) for m in range(4)], source
        assert get_entity(entity_id).json()["height"]["value"] == 300 + n


def test_http_503_is_retried_with_backoff_then_left_in_the_buffer(
        tmp_path: Path, client: httpx.Client, settings: AdapterSettings, run_id: str) -> None:
    waits: list[float] = []
    calls: list[int] = []

    def broken(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, text="down for maintenance")

    with httpx.Client(transport=httpx.MockTransport(broken)) as failing:
        sink = BrokerSink(BROKER, None, Outbox(tmp_path), failing, max_attempts=4,
                          backoff_base=0.01, backoff_cap=0.03, sleep=waits.append)
        result = sink.push([water(settings, f"r-{run_id}", 1)])
    assert (len(calls), waits, result.buffered) == (4, [0.01, 0.02, 0.03], 1)
    assert "HTTP 503" in sink.report.failures[0]


def test_207_stores_the_good_and_reports_the_bad(
        broker: OwnBroker, tmp_path: Path, client: httpx.Client,
        settings: AdapterSettings, run_id: str) -> None:
    good = [water(settings, f"g-{run_id}-{n}", n) for n in range(2)]
    bad = water(settings, f"b-{run_id}", 7)
    bad["height"] = {"type": "Property"}  # no value: the broker refuses this entity only
    sink = make_sink(tmp_path, client)
    result = sink.push([good[0], bad, good[1]])
    assert result.buffered == 0
    assert sink.report.pushed == 2
    assert [e["entityId"] for e in sink.report.errors] == [bad["id"]]
    problem = sink.report.errors[0]["error"]
    assert problem["status"] == 400 and problem["type"].startswith("https://uri.etsi.org/ngsi-ld/")
    for entity in good:
        assert get_entity(entity["id"]).status_code == 200
    assert get_entity(bad["id"]).status_code == 404
    assert sink.buffer.pending() == 0


def test_outbox_survives_reopening(tmp_path: Path, settings: AdapterSettings) -> None:
    entities = [water(settings, "a", 1), water(settings, "b", 2), water(settings, "a", 3, 1)]
    box = Outbox(tmp_path)
    seqs = box.append(entities)
    box.record_pushed([entities[1]])
    box.close()
    again = Outbox(tmp_path)
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = again.peek(10)
    assert [seq for seq, _ in rows] == seqs
    assert [entity for _, entity in rows] == entities
    assert again.latest_hash(entities[0]["id"]) == content_hash(entities[2])
    again.remove(seqs[:2])
    assert [entity for _, entity in again.peek(10)] == [entities[2]]
    again.remove(seqs[2:])
    assert again.latest_hash(entities[1]["id"]) == content_hash(entities[1])
    again.close()


def test_content_hash_ignores_system_members(settings: AdapterSettings) -> None:
    entity = water(settings, "a", 1)
    with_system = json.loads(json.dumps(entity))
    with_system["modifiedAt"] = "2026-11-22T08:00:00Z"
    with_system["height"]["createdAt"] = "2026-11-22T08:00:00Z"
    assert content_hash(with_system) == content_hash(entity)
    assert content_hash(water(settings, "a", 2)) != content_hash(entity)


def test_a_window_of_past_observations_is_sent_once(
        tmp_path: Path, client: httpx.Client, settings: AdapterSettings) -> None:
    """A source answering the last 24 h on every run (PEGELONLINE): each observation is
    queued once, an older one after a newer is skipped, also after a restart."""
    window = [water(settings, "w", 500 + minute, minute) for minute in range(4)]
    sink = make_sink(tmp_path, client, url=CLOSED)

    first = sink.push(window)
    second = sink.push([*window, water(settings, "w", 600, 4)])
    late = sink.push([water(settings, "w", 777, 2)])

    assert (len(first.seqs), first.skipped_unchanged) == (4, 0)
    assert (len(second.seqs), second.skipped_unchanged) == (1, 4)
    assert (late.seqs, late.skipped_unchanged) == ([], 1)
    sink.buffer.close()
    reopened = make_sink(tmp_path, client, url=CLOSED)
    assert reopened.push(window).skipped_unchanged == 4
    assert [e["height"]["value"] for _, e in reopened.buffer.peek(10)] == [
        500, 501, 502, 503, 600]


def test_a_new_value_sends_only_the_changed_attributes(
        broker: OwnBroker, tmp_path: Path, client: httpx.Client, posts: list[httpx.Request],
        settings: AdapterSettings, run_id: str) -> None:
    """The broker holds the entity: the next reading goes as a batch update of height and
    dateObserved; name, location and the rest are not rewritten (no new history for them)."""
    sink = make_sink(tmp_path, client)
    first = water(settings, f"c-{run_id}", 500, 0)
    sink.push([first])
    created = get_entity(first["id"]).json()

    result = sink.push([water(settings, f"c-{run_id}", 501, 15)])

    assert (result.buffered, sink.report.errors, sink.report.pushed) == (0, [], 2)
    update = posts[-1]
    assert update.url.path.endswith("/entityOperations/update")
    assert [sorted(e) for e in json.loads(update.content)] == [
        sorted(["id", "type", "@context", "dateObserved", "height"])]
    stored = get_entity(first["id"]).json()
    assert (stored["height"]["value"], stored["dateObserved"]["value"]) == (
        501, ngsi.utc_text(T0 + timedelta(minutes=15)))
    assert stored["height"]["createdAt"] == created["height"]["createdAt"]
    assert stored["name"]["modifiedAt"] == created["name"]["modifiedAt"]
    assert heights_in_history(first["id"]) == [
        (ngsi.utc_text(T0), 500), (ngsi.utc_text(T0 + timedelta(minutes=15)), 501)]


def test_an_entity_deleted_in_the_broker_is_sent_whole_again(
        broker: OwnBroker, tmp_path: Path, client: httpx.Client, posts: list[httpx.Request],
        settings: AdapterSettings, run_id: str) -> None:
    sink = make_sink(tmp_path, client)
    first = water(settings, f"g-{run_id}", 500, 0)
    sink.push([first])
    deleted = httpx.delete(f"{BROKER}/ngsi-ld/v1/entities/{first['id']}",
                           headers={"Authorization": f"Bearer {token()}"})
    assert deleted.status_code == 204, deleted.text

    result = sink.push([water(settings, f"g-{run_id}", 502, 15)])

    assert (result.buffered, sink.report.errors, sink.report.failures) == (0, [], [])
    assert [request.url.path.rsplit("/", 1)[-1] for request in posts] == [
        "upsert", "update", "upsert"]
    stored = get_entity(first["id"]).json()
    assert stored["height"]["value"] == 502
    assert stored["name"]["value"] == first["name"]["value"]
    assert stored["location"]["value"] == first["location"]["value"]


def test_batches_on_their_way_together_keep_each_entitys_order(
        broker: OwnBroker, tmp_path: Path, client: httpx.Client, posts: list[httpx.Request],
        settings: AdapterSettings, run_id: str) -> None:
    """Four readings of ten gauges in one push, in batches of 3 with 3 requests at once:
    every gauge's history holds its four readings in order, each once."""
    sources = [f"o-{run_id}-{n}" for n in range(10)]
    versions = [water(settings, source, 100 * minute + n, minute)
                for minute in range(4) for n, source in enumerate(sources)]
    sink = make_sink(tmp_path, client, batch_size=3, parallel_requests=3)

    result = sink.push(versions)

    assert (result.buffered, sink.report.pushed, sink.report.errors) == (0, 40, [])
    assert len(posts) >= 14  # 40 rows, at most 3 per batch
    for n, source in enumerate(sources):
        entity_id = versions[n]["id"]
        assert heights_in_history(entity_id) == [
            (ngsi.utc_text(T0 + timedelta(minutes=m)), 100 * m + n) for m in range(4)], source


def test_an_outbox_file_of_an_earlier_version_is_upgraded(
        tmp_path: Path, settings: AdapterSettings) -> None:
    """Rows written before member digests were kept still come back (their digests are
    computed); entities delivered back then are sent whole next time (no digests known)."""
    import sqlite3

    entity = water(settings, "old", 7)
    old = sqlite3.connect(tmp_path / "outbox.sqlite3")
    old.executescript(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, entity_id TEXT NOT NULL,"
        " hash TEXT NOT NULL, body TEXT NOT NULL);"
        "CREATE TABLE pushed (entity_id TEXT PRIMARY KEY, hash TEXT NOT NULL);")
    old.execute("INSERT INTO outbox (entity_id, hash, body) VALUES (?, ?, ?)",
                (entity["id"], "sha-of-before", json.dumps(entity)))
    old.execute("INSERT INTO pushed VALUES (?, ?)", ("urn:ngsi-ld:WaterObserved:EMD:x", "h"))
    old.commit()
    old.close()

    box = Outbox(tmp_path)
    (row,) = box.peek_rows(10)
    assert row.entity == entity and set(row.digests) == set(entity)
    assert box.delivered_digests([entity["id"], "urn:ngsi-ld:WaterObserved:EMD:x"]) == {}
    assert box.append([water(settings, "new", 8)]) == [row.seq + 1]
    box.close()
