"""Issue #6, "Must show": the broker stopped for two minutes while the adapters run; after its
restart every observation arrives, none twice, in order.

The real runner (``run_forever``) runs a stream every second against a local source that
answers each request with the next observation of three gauges, so every observation the
source gives is collected exactly once. The test's own broker (the test instance's database)
is stopped for 120 s in the middle; afterwards the broker's temporal history of each gauge
must equal, instance for instance, what the source served, and the outbox must be empty.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import httpx
from smartregion_adapters import ngsi
from smartregion_adapters.base import Adapter, AdapterSettings, Batch, register
from smartregion_adapters.buffer import Outbox
from smartregion_adapters.config import Config
from smartregion_adapters.runner import StreamReport, run_forever

from .conftest import SampleServer
from .test_sink import BROKER, OwnBroker, broker, read_headers, token  # noqa: F401

OUTAGE_SECONDS = 120
GAUGES = ("a", "b", "c")
T0 = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


class NextObservation(dict[str, tuple[int, bytes, str]]):
    """Routes of the sample server where ``/gauges`` answers the next observation of each
    gauge on every request, and remembers what it served."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.served: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        if key != "/gauges":
            return default
        with self.lock:
            tick = len(self.served) // len(GAUGES)
            answer = [{"id": f"{self.run_id}-{g}", "minute": tick, "height": 400 + 7 * tick + i}
                      for i, g in enumerate(GAUGES)]
            self.served += answer
        return (200, json.dumps(answer).encode(), "application/json")


@register
class OutageGauges(Adapter):
    """``[{"id", "height", "minute"}…]`` from the sample server → WaterObserved."""

    name: ClassVar[str] = "test-outage-gauges"
    entity_types: ClassVar[tuple[str, ...]] = ("WaterObserved",)

    def fetch(self) -> Any:
        return self.get("/gauges").json()

    def map(self, payload: Any) -> Batch:
        entities = []
        for record in payload:
            at = T0 + timedelta(minutes=record["minute"])
            entities.append(ngsi.new_entity(
                self.settings, "WaterObserved", record["id"], "Test gauges",
                name=ngsi.prop(f"Testpegel {record['id']}"),
                location=ngsi.point(7.187, 53.337),
                dateObserved=ngsi.prop(ngsi.utc_text(at)),
                height=ngsi.measured("WaterObserved", "height", record["height"], at)))
        return Batch(entities=entities)


def history(entity_id: str) -> list[tuple[str, Any]]:
    response = httpx.get(f"{BROKER}/ngsi-ld/v1/temporal/entities/{entity_id}",
                         params={"attrs": "height", "lastN": 1000}, headers=read_headers(),
                         timeout=30)
    assert response.status_code == 200, response.text
    instances = response.json().get("height", [])
    if isinstance(instances, dict):
        instances = [instances]
    return sorted((i["observedAt"], i["value"]) for i in instances)


def test_two_minutes_without_broker_lose_nothing_and_duplicate_nothing(
        broker: OwnBroker, sample_server: SampleServer, tmp_path: Path) -> None:  # noqa: F811
    source = NextObservation(uuid.uuid4().hex[:10])
    sample_server.routes = source
    stream = AdapterSettings(adapter=OutageGauges.name, partner="stadt-emden",
                             url=sample_server.url, interval_seconds=1)
    config = Config(broker_url=BROKER, token=token(), data_dir=tmp_path, max_attempts=2,
                    backoff_base_seconds=0.05, backoff_cap_seconds=0.1, timeout_seconds=5,
                    streams=[stream])
    reports: list[StreamReport] = []
    stop = threading.Event()
    runner = threading.Thread(target=run_forever, args=(config,),
                              kwargs={"stop": stop, "on_report": reports.append})
    runner.start()
    try:
        time.sleep(5)
        broker.stop()
        down_at = len(source.served)
        time.sleep(OUTAGE_SECONDS)
        served_while_down = len(source.served) - down_at
        outbox = Outbox(tmp_path)  # a second reader of the runner's outbox file
        buffered_at_restart = outbox.pending()
        broker.start()
        deadline = time.monotonic() + 60  # the backlog drains with the next runs
        while time.monotonic() < deadline and outbox.pending():
            time.sleep(0.5)
    finally:
        stop.set()
        runner.join(timeout=60)
    # the runner kept collecting while the broker was down, and kept it all
    assert served_while_down >= len(GAUGES) * OUTAGE_SECONDS // 2, served_while_down
    assert buffered_at_restart >= served_while_down - len(GAUGES)
    assert outbox.pending() == 0
    assert any(r.problems for r in reports)  # the outage was noticed, and reported

    for gauge in GAUGES:
        entity_id = f"urn:ngsi-ld:WaterObserved:EMD:{source.run_id}-{gauge}"
        served = [(ngsi.utc_text(T0 + timedelta(minutes=r["minute"])), r["height"])
                  for r in source.served if r["id"] == f"{source.run_id}-{gauge}"]
        assert history(entity_id) == served, gauge
