"""Running the configured streams: collect each, push to the shared sink, report.

A stream that fails (its source down, an unknown adapter) is a line in the report; the
other streams still run, because one partner's broken source must not stop the region's
live data. Each stream keeps one adapter instance for as long as the runner runs, started
before its first run and closed at the end: sources that push to us (LoRaWAN over MQTT and
webhooks) keep their subscription between runs, and learn through ``acknowledge`` when what
they delivered is safe in the sink's outbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from .base import Adapter, AdapterSettings, SourceError, adapter_class
from .buffer import Outbox
from .config import Config
from .sink import BrokerSink


@dataclass
class StreamReport:
    adapter: str
    partner: str
    produced: int = 0
    pushed: int = 0
    skipped_unchanged: int = 0
    buffered: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    streams: list[StreamReport] = field(default_factory=list)
    buffered_total: int = 0

    def lines(self) -> list[str]:
        out = [f"{s.adapter}/{s.partner}: produced {s.produced}, pushed {s.pushed}, "
               f"unchanged {s.skipped_unchanged}, buffered {s.buffered}, "
               f"problems {len(s.problems)}" for s in self.streams]
        return [*out, f"buffer: {self.buffered_total} entities waiting"]


def make_sink(config: Config, client: httpx.Client) -> BrokerSink:
    return BrokerSink(config.broker_url, config.bearer_token(), Outbox(config.data_dir), client,
                      batch_size=config.batch_size, max_attempts=config.max_attempts,
                      backoff_base=config.backoff_base_seconds,
                      backoff_cap=config.backoff_cap_seconds,
                      timeout_seconds=config.timeout_seconds,
                      parallel_requests=config.parallel_requests)


def selected(config: Config, names: Iterable[str] | None) -> list[AdapterSettings]:
    wanted = set(names) if names else None
    return [s for s in config.streams if wanted is None or s.adapter in wanted]


class Stream:
    """A configured stream and its adapter instance, created and started on first use (so
    that an adapter that cannot start is retried on the stream's next run)."""

    def __init__(self, settings: AdapterSettings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client
        self._adapter: Adapter | None = None

    def adapter(self) -> Adapter:
        if self._adapter is None:
            adapter = adapter_class(self.settings.adapter)(self.settings, self.client)
            try:
                adapter.start()
            except BaseException:
                adapter.close()
                raise
            self._adapter = adapter
        return self._adapter

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter, adapter = None, self._adapter
            adapter.close()


def run_stream(stream: Stream, sink: BrokerSink) -> StreamReport:
    """collect → push (which flushes) → acknowledge for one stream; failures become report
    lines."""
    settings = stream.settings
    report = StreamReport(settings.adapter, settings.partner)
    try:
        adapter = stream.adapter()
        batch = adapter.collect()
    except (SourceError, KeyError) as error:
        report.problems.append(str(error).strip("'\""))
        return report
    except Exception as error:  # a broken stream (bad options, adapter bug) must not stop others
        report.problems.append(f"{settings.adapter}: {type(error).__name__}: {error}")
        return report
    report.produced = len(batch.entities)
    report.problems += batch.problems
    before = len(sink.report.errors), len(sink.report.failures)
    result = sink.push(batch.entities)
    adapter.acknowledge()  # in the outbox now (or unchanged): the source may forget them
    mine = {e["id"] for e in batch.entities}
    errors = [e for e in sink.report.errors[before[0]:] if e.get("entityId") in mine]
    report.skipped_unchanged = result.skipped_unchanged
    report.buffered = result.buffered
    report.pushed = len(result.seqs) - result.buffered - len(errors)
    report.problems += [f"{e.get('entityId')}: {e.get('error')}" for e in errors]
    report.problems += sink.report.failures[before[1]:]
    return report


def run_once(config: Config, names: Iterable[str] | None = None, *,
             client: httpx.Client | None = None, sink: BrokerSink | None = None) -> RunReport:
    """Run every configured stream (or those of the adapters ``names``) once."""
    own_client = client is None
    http = client or httpx.Client()
    own_sink = sink is None
    the_sink = sink or make_sink(config, http)
    streams = [Stream(settings, http) for settings in selected(config, names)]
    try:
        report = RunReport([run_stream(stream, the_sink) for stream in streams])
        report.buffered_total = the_sink.buffer.pending()
        return report
    finally:
        for stream in streams:
            stream.close()
        if own_sink:
            the_sink.buffer.close()
        if own_client:
            http.close()


def run_forever(config: Config, names: Iterable[str] | None = None, *,
                stop: threading.Event | None = None, client: httpx.Client | None = None,
                on_report: Callable[[StreamReport], None] | None = None) -> None:
    """Run each stream every ``interval_seconds`` until ``stop`` is set.

    A simple scheduler: the stream due soonest runs next, then waits its interval again.
    ``on_report(stream_report)`` (if given) receives each stream's report.
    """
    stop = stop or threading.Event()
    http = client or httpx.Client()
    sink = make_sink(config, http)
    streams = [Stream(settings, http) for settings in selected(config, names)]
    due = [time.monotonic()] * len(streams)
    try:
        while streams and not stop.is_set():
            index = min(range(len(streams)), key=due.__getitem__)
            if stop.wait(max(0.0, due[index] - time.monotonic())):
                break
            report = run_stream(streams[index], sink)
            if on_report is not None:
                on_report(report)
            due[index] = time.monotonic() + streams[index].settings.interval_seconds
    finally:
        for stream in streams:
            stream.close()
        sink.buffer.close()
        if client is None:
            http.close()
