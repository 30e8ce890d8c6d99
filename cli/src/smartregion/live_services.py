"""The live half of ``make run``: the demo feed and the NGSI-LD adapters as services.

- :class:`DemoFeedService` serves local stand-ins of the public live sources (PEGELONLINE,
  Bright Sky, UBA, BNetzA) over HTTP (``smartregion.demo_feed``), with values that move with
  the clock, so the demo shows live data without internet.
- :class:`AdaptersService` runs ``smartregion adapters run`` (every configured stream at its
  interval) on the instance's ``<data>/adapters.yaml``.

``up`` writes that configuration (:mod:`smartregion.adapters_setup`) pointing at the demo feed
only when the file is missing or was written by ``up`` itself, so an operator who points it at
the live URLs keeps their file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from smartregion.process import ensure_dir
from smartregion.services import SpawnedService
from smartregion.settings import PlatformSettings


class DemoFeedService(SpawnedService):
    name = "demo-feed"
    label = "Demo-Quellen / demo feed"
    process_marker = "smartregion.demo_feed"

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(settings, "feed_port")

    def command(self) -> list[str]:
        return [sys.executable, "-m", "smartregion.demo_feed", "--host", self.s.host,
                "--port", str(self.port), "--mqtt-port", str(self.s.port("mqtt_port"))]

    def answers(self) -> bool:
        try:
            response = httpx.get(f"{self.s.feed_url}/health", timeout=3.0, trust_env=False)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


class AdaptersService(SpawnedService):
    """``smartregion adapters run`` as a daemon; it has no port, it is a client.

    It counts as answering once it has written its status file for this process (after the
    first round of streams), so ``up`` notices a configuration it cannot use at once.
    """

    name = "adapters"
    label = "NGSI-LD-Adapter / adapters"
    process_marker = "adapters run"
    start_timeout = 120.0

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(settings, None)

    @property
    def status_file(self) -> Path:
        return self.s.data / "adapters" / "status.json"

    def command(self) -> list[str]:
        return [str(self.s.venv_bin("smartregion")), "adapters", "run",
                "--instance", self.s.instance, "--status-file", str(self.status_file)]

    def prepare(self) -> None:
        ensure_dir(self.status_file.parent)
        self.status_file.unlink(missing_ok=True)

    def config_is_newer(self, config: Path) -> bool:
        """True if the running daemon started before ``config`` last changed."""
        if self.pid() is None:
            return False
        try:
            return config.stat().st_mtime > self.pidfile.stat().st_mtime
        except OSError:
            return True

    def answers(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            status = json.loads(self.status_file.read_text())
        except (OSError, ValueError):
            return False
        return bool(status.get("pid") == pid and status.get("rounds", 0) >= 1)

