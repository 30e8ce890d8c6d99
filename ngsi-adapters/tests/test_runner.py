"""run_once / run_forever with the test module's fake adapter, the sample server as source
and our own broker: a failing source is a report line, the other streams still deliver."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pytest
from smartregion_adapters.base import Adapter, Batch, SourceError, register
from smartregion_adapters.config import Config
from smartregion_adapters.runner import StreamReport, run_forever, run_once

from .conftest import SampleServer
from .test_sink import BROKER, FakeGauges, OwnBroker, broker, get_entity, token  # noqa: F401


def config(tmp_path: Path, sources: list[tuple[str, str]], **extra: Any) -> Config:
    streams = [{"adapter": FakeGauges.name, "partner": partner, "url": url,
                "interval_seconds": 0.05} for partner, url in sources]
    return Config(broker_url=BROKER, token=token(), data_dir=tmp_path / "state",
                  max_attempts=2, backoff_base_seconds=0.001, backoff_cap_seconds=0.002,
                  streams=streams, **extra)


def gauges(run_id: str, height: int) -> str:
    return json.dumps([{"id": f"{run_id}-{n}", "height": height + n, "minute": 0}
                       for n in range(3)])


def run_forever_until(settings: Config, count: int) -> list[StreamReport]:
    """run_forever in a thread until ``count`` stream reports arrived; the reports."""
    stop = threading.Event()
    reports: list[StreamReport] = []

    def collect(report: StreamReport) -> None:
        reports.append(report)
        if len(reports) == count:
            stop.set()

    worker = threading.Thread(target=run_forever, args=(settings,),
                              kwargs={"stop": stop, "on_report": collect})
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    return reports


def test_failing_source_is_reported_and_others_continue(
        broker: OwnBroker, tmp_path: Path, sample_server: SampleServer) -> None:  # noqa: F811
    run_id = f"run-{tmp_path.name[-12:]}-{id(tmp_path)}"
    sample_server.serve("/ok/gauges", gauges(run_id, 10))
    sample_server.serve("/broken/gauges", '{"error": "boom"}', status=500)
    settings = config(tmp_path, [("landkreis-leer", f"{sample_server.url}/broken"),
                                 ("stadt-emden", f"{sample_server.url}/ok")])

    report = run_once(settings)
    broken, ok = report.streams
    assert broken.produced == 0 and "HTTP 500" in broken.problems[0]
    assert (ok.produced, ok.pushed, ok.skipped_unchanged, ok.buffered, ok.problems) == (
        3, 3, 0, 0, [])
    assert get_entity(f"urn:ngsi-ld:WaterObserved:EMD:{run_id}-2").json()[
        "height"]["value"] == 12

    again = run_once(settings, names=[FakeGauges.name])
    assert (again.streams[1].pushed, again.streams[1].skipped_unchanged) == (0, 3)
    assert run_once(settings, names=["pegelonline"]).streams == []


def test_broker_down_is_counted_as_buffered(tmp_path: Path,
                                            sample_server: SampleServer) -> None:
    sample_server.serve("/ok/gauges", gauges("down", 1))
    settings = config(tmp_path, [("stadt-emden", f"{sample_server.url}/ok")])
    settings = settings.model_copy(update={"broker_url": "http://127.0.0.1:9"})
    report = run_once(settings)
    stream = report.streams[0]
    assert (stream.produced, stream.pushed, stream.buffered) == (3, 0, 3)
    assert "not reachable" in stream.problems[-1]
    assert report.buffered_total == 3


def test_unknown_adapter_is_a_report_line(tmp_path: Path) -> None:
    settings = config(tmp_path, [("stadt-emden", "http://127.0.0.1:9")])
    settings.streams[0] = settings.streams[0].model_copy(update={"adapter": "nope"})
    settings.streams.append(settings.streams[0].model_copy(
        update={"adapter": "brightsky", "options": {"stations": "not a list"}}))
    report = run_once(settings)
    assert "unknown adapter 'nope'" in report.streams[0].problems[0]
    assert "ValueError: brightsky: option 'stations'" in report.streams[1].problems[0]


def test_run_forever_repeats_each_stream_until_stopped(
        broker: OwnBroker, tmp_path: Path, sample_server: SampleServer) -> None:  # noqa: F811
    sample_server.serve("/ok/gauges", gauges(f"forever-{id(tmp_path)}", 5))
    settings = config(tmp_path, [("stadt-emden", f"{sample_server.url}/ok")])
    reports = run_forever_until(settings, 3)
    assert [r.pushed for r in reports] == [3, 0, 0]
    assert [r.skipped_unchanged for r in reports] == [0, 3, 3]


RUN = uuid.uuid4().hex[:10]


@register
class PushedGauges(Adapter):
    """A source that pushes to us (as LoRaWAN does): readings arrive between runs; it
    records the lifecycle calls the runner makes. ``fail_start`` fails the first start."""

    name: ClassVar[str] = "test-pushed-gauges"
    entity_types: ClassVar[tuple[str, ...]] = ("WaterObserved",)
    calls: ClassVar[list[tuple[str, int]]] = []
    fail_start: ClassVar[int] = 0

    def start(self) -> None:
        self.calls.append(("start", id(self)))
        if PushedGauges.fail_start:
            PushedGauges.fail_start -= 1
            raise SourceError("test-pushed-gauges: MQTT server not reachable")

    def close(self) -> None:
        self.calls.append(("close", id(self)))

    def acknowledge(self) -> None:
        self.calls.append(("acknowledge", id(self)))

    def fetch(self) -> Any:
        self.calls.append(("fetch", id(self)))
        return len([c for c in self.calls if c[0] == "fetch"])

    def map(self, payload: Any) -> Batch:
        from .test_sink import water

        return Batch(entities=[water(self.settings, f"pushed-{RUN}", payload, payload)])


def test_a_stream_keeps_one_started_adapter_and_acknowledges_after_each_push(
        broker: OwnBroker, tmp_path: Path) -> None:  # noqa: F811
    """run_forever: the adapter of a stream is created and started once (again after a
    failed start), acknowledged after every push, closed when the runner stops."""
    PushedGauges.calls.clear()
    PushedGauges.fail_start = 1
    settings = config(tmp_path, [("stadt-emden", "http://127.0.0.1:9")])
    settings.streams[0] = settings.streams[0].model_copy(update={"adapter": PushedGauges.name})
    reports = run_forever_until(settings, 4)
    assert "MQTT server not reachable" in reports[0].problems[0]
    assert [r.pushed for r in reports] == [0, 1, 1, 1]
    failed, kept = PushedGauges.calls[0][1], PushedGauges.calls[2][1]
    assert PushedGauges.calls == [
        ("start", failed), ("close", failed), ("start", kept),
        *[(call, kept) for _ in range(3) for call in ("fetch", "acknowledge")],
        ("close", kept)]


@pytest.fixture(autouse=True)
def _fresh_state(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
