"""``smartregion adapters run|list``: the NGSI-LD adapters (ngsi-adapters/) from the CLI.

The configuration is a YAML file (``smartregion_adapters.config``); by default the instance's
``<data>/adapters.yaml``. ``run --once`` runs every configured stream (or the named
adapters) once and prints the report; without ``--once`` each stream runs every
``interval_seconds`` until interrupted.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from smartregion.process import PlatformError
from smartregion.settings import PlatformSettings


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
    from smartregion_adapters.runner import run_forever, run_once

    try:
        config = load_config(config_path(settings, args.config))
    except ConfigError as error:
        raise PlatformError(str(error)) from error
    names = args.names or None
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
    try:
        run_forever(config, names, stop=stop,
                    on_report=lambda s: print(f"{s.adapter}/{s.partner}: pushed {s.pushed}, "
                                              f"unchanged {s.skipped_unchanged}, buffered "
                                              f"{s.buffered}, problems {len(s.problems)}",
                                              flush=True))
    except KeyboardInterrupt:
        stop.set()
    return 0


def list_adapters() -> int:
    from smartregion_adapters.base import adapter_class, adapter_names

    for name in adapter_names():
        cls = adapter_class(name)
        print(f"{name}: {', '.join(cls.entity_types)}")
    return 0
