"""Benchmark of the adapters' push path: entity updates per second into the embedded broker.

What an adapter process does each run, at scale: ``BrokerSink.push`` of a new observation of
every station — content hashes against the durable outbox (SQLite on disk), append, batches
(up to ``--batch-size`` entities, ``--parallel`` on their way at once) over HTTP to the
``bench`` instance's broker: whole entities (batch upsert) the first time, then batch updates
of the changed attributes — and removal from the outbox. ``--stations`` WaterObserved entities
(the attributes a gauge adapter sends) are created in a first round, then ``--rounds`` rounds
each update all of them with a new height and time. Reported: entity updates/s per round
(median), the creation round separately. Issue #6 asks for ≥ 5,000 updates/s.
Results: ``bench/results/adapters-<timestamp>.json`` and a line per figure on stdout.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from smartregion_adapters import ngsi
from smartregion_adapters.base import AdapterSettings
from smartregion_adapters.buffer import Outbox
from smartregion_adapters.sink import BrokerSink

from bench.results import add_broker_arguments, save_report
from smartregion import credentials
from smartregion.settings import PlatformSettings

STREAM = AdapterSettings(adapter="bench-gauges", partner="stadt-emden",
                         url="http://127.0.0.1:9")


def gauge(n: int, at: datetime) -> dict[str, Any]:
    return ngsi.new_entity(
        STREAM, "WaterObserved", f"bench-{n}", "Benchmark",
        name=ngsi.prop(f"Pegel {n}"),
        location=ngsi.point(7.0 + (n % 100) / 100, 53.0 + (n // 100) / 1000),
        dateObserved=ngsi.prop(ngsi.utc_text(at)),
        height=ngsi.measured("WaterObserved", "height", 400 + (n + 7 * at.minute) % 300, at))


def run(broker_url: str, token: str, stations: int, rounds: int,
        batch_size: int, parallel: int) -> dict[str, Any]:
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as data_dir, httpx.Client() as client:
        sink = BrokerSink(broker_url, token, Outbox(data_dir), client, batch_size=batch_size,
                          timeout_seconds=120, parallel_requests=parallel)
        # Observation times of the recent past, one minute apart: new on every benchmark run
        # and inside the broker's current history partition, as real observations are.
        first = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=rounds + 1)
        for round_ in range(rounds + 1):
            at = first + timedelta(minutes=round_)
            entities = [gauge(n, at) for n in range(stations)]
            started = time.perf_counter()
            result = sink.push(entities)
            seconds.append(time.perf_counter() - started)
            if result.buffered or sink.report.errors or sink.report.failures:
                raise RuntimeError(f"round {round_}: {sink.report.problems()[:5]}")
        sink.buffer.close()
    updates = [stations / s for s in seconds[1:]]
    return {"stations": stations, "rounds": rounds, "batch_size": batch_size,
            "parallel_requests": parallel,
            "create_per_second": stations / seconds[0],
            "updates_per_second_median": statistics.median(updates),
            "updates_per_second_rounds": updates, "target": 5000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_broker_arguments(parser)
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=3,
                        help="batches on their way at once (the adapters' default: 3)")
    args = parser.parse_args(argv)
    settings = PlatformSettings(instance=args.instance)
    token = credentials.broker_token(settings.secrets_file)
    report = run(args.broker_url or settings.broker_url, token, args.stations, args.rounds,
                 args.batch_size, args.parallel)
    path = save_report("adapters", report)
    print(f"adapters → broker: create {report['create_per_second']:,.0f} entities/s, "
          f"update {report['updates_per_second_median']:,.0f} entity updates/s "
          f"(median of {args.rounds} rounds of {args.stations}; target 5,000)")
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
