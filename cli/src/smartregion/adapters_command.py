"""``smartregion adapters run|list``: the NGSI-LD adapters (ngsi-adapters/) from the CLI.

The configuration is a YAML file (``smartregion_adapters.config``); by default the instance's
``<data>/adapters.yaml``. ``run --once`` runs every configured stream (or the named
adapters) once and prints the report; without ``--once`` each stream runs every
``interval_seconds`` until interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartregion.process import PlatformError
from smartregion.settings import PlatformSettings

if TYPE_CHECKING:
    from smartregion_adapters.base import AdapterSettings
    from smartregion_adapters.runner import StreamReport


def config_path(settings: PlatformSettings, given: Path | None) -> Path:
    path = given or settings.data / "adapters.yaml"
    if not path.is_file():
        raise PlatformError(
            f"Keine Adapter-Konfiguration / no adapter configuration: {path} "
            "(see ngsi-adapters/README.md for its format; --config names another file)"
        )
    return path


def run(settings: PlatformSettings, args: argparse.Namespace) -> int:
    """Exit 0 when every stream ran cleanly and nothing waits in the outbox, else 1."""
    from smartregion_adapters.config import ConfigError, load_config
    from smartregion_adapters.runner import run_forever, run_once, selected

    try:
        config = load_config(config_path(settings, args.config))
    except ConfigError as error:
        raise PlatformError(str(error)) from error
    names = args.names or None
    for line in link_catalogue(settings, selected(config, names), config.broker_url):
        print(line, flush=True)
    if args.once:
        report = run_once(config, names)
        for line in report.lines():
            print(line)
        for stream in report.streams:
            for problem in stream.problems:
                print(f"  {stream.adapter}/{stream.partner}: {problem}")
        clean = report.buffered_total == 0 and not any(s.problems for s in report.streams)
        return 0 if clean else 1
    stop = threading.Event()
    status = StatusFile(args.status_file, len(selected(config, names)))
    try:
        run_forever(config, names, stop=stop, on_report=status.record)
    except KeyboardInterrupt:
        stop.set()
    return 0


def link_catalogue(settings: PlatformSettings, streams: list[AdapterSettings],
                   broker_url: str) -> list[str]:
    """Create/update each stream's catalogue dataset (``smartregion.live_catalogue``) with the
    instance's API token; a catalogue that cannot be reached costs report lines, never the
    live data."""
    from smartregion import credentials, sample
    from smartregion.live_catalogue import link_streams

    try:
        token = credentials.read_token(settings.api_token_file)
    except OSError as error:
        return [f"catalogue: no API token ({error}); datasets of the streams not updated"]
    lines = []
    for url in sorted({stream.catalogue_url for stream in streams}):
        with sample.remote(url, token) as ckan:
            report = link_streams(ckan, [s for s in streams if s.catalogue_url == url],
                                  broker_url)
        lines.append(f"catalogue {url}: created {len(report.created)}, updated "
                     f"{len(report.updated)}, unchanged {len(report.unchanged)}, "
                     f"problems {len(report.problems)}")
        lines += [f"  catalogue: {problem}" for problem in report.problems]
    return lines


class StatusFile:
    """Prints each stream's report and keeps the latest ones in a JSON file.

    ``smartregion up`` waits for ``rounds >= 1`` (every stream ran once) before it calls the
    adapters service started, and operators read the file to see what the daemon did last.
    """

    def __init__(self, path: Path | None, streams: int) -> None:
        self.path = path
        self.streams = streams
        self.runs: Counter[str] = Counter()
        self.latest: dict[str, dict[str, Any]] = {}

    def record(self, report: StreamReport) -> None:
        key = f"{report.adapter}/{report.partner}"
        print(f"{key}: pushed {report.pushed}, unchanged {report.skipped_unchanged}, "
              f"buffered {report.buffered}, problems {len(report.problems)}", flush=True)
        for problem in report.problems:
            print(f"  {key}: {problem}", flush=True)
        self.runs[key] += 1
        self.latest[key] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            "produced": report.produced, "pushed": report.pushed,
                            "unchanged": report.skipped_unchanged, "buffered": report.buffered,
                            "problems": report.problems}
        if self.path is None:
            return
        rounds = min(self.runs.values()) if len(self.runs) >= self.streams else 0
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "rounds": rounds,
                                   "streams": self.latest}, indent=2, ensure_ascii=False))
        tmp.replace(self.path)


def list_adapters() -> int:
    from smartregion_adapters.base import adapter_class, adapter_names

    for name in adapter_names():
        cls = adapter_class(name)
        print(f"{name}: {', '.join(cls.entity_types)}")
    return 0
