"""``smartregion adapters run --once`` end to end: a configured PEGELONLINE stream reads the
sample payload from a local HTTP server (the adapter's real client code runs), pushes to the
test instance's broker, and a second run finds nothing changed."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from smartregion import credentials
from smartregion.settings import PlatformSettings

FIXTURE = (Path(__file__).parents[1] / "ngsi-adapters" / "tests" / "fixtures" / "pegelonline"
           / "stations-winter.json")
STATION = ("KNOCK", "438b565e-f293-43c8-8771-377e555ed5ec")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def source(tmp_path: Path) -> Iterator[str]:
    """The sample answer's record of the one configured station as ``stations.json`` (a
    static server ignores the ``ids`` query PEGELONLINE filters by)."""
    served = tmp_path / "source"
    served.mkdir()
    records = [r for r in json.loads(FIXTURE.read_text()) if r["shortname"] == STATION[0]]
    (served / "stations.json").write_text(json.dumps(records))
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def smartregion(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smartregion", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_run_once_pushes_then_finds_nothing_changed(
    platform_settings: PlatformSettings, source: str, tmp_path: Path
) -> None:
    config = tmp_path / "adapters.yaml"
    config.write_text(yaml.safe_dump({
        "broker_url": platform_settings.broker_url,
        "token": credentials.broker_token(platform_settings.secrets_file),
        "data_dir": str(tmp_path / "state"),
        "streams": [{"adapter": "pegelonline", "partner": "landkreis-leer", "url": source,
                     "options": {"stations": [STATION[0]]}}],
    }))
    first = smartregion("adapters", "run", "--instance", "test", "--once",
                        "--config", str(config), "pegelonline")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "pegelonline/landkreis-leer: produced 1, pushed 1" in first.stdout
    entity_id = f"urn:ngsi-ld:WaterObserved:LER:{STATION[1]}"
    stored = httpx.get(f"{platform_settings.broker_url}/ngsi-ld/v1/entities/{entity_id}")
    assert stored.status_code == 200, stored.text
    assert stored.json()["type"].endswith("WaterObserved")
    again = smartregion("adapters", "run", "--instance", "test", "--once",
                        "--config", str(config))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "pushed 0, unchanged 1" in again.stdout


def test_missing_configuration_is_a_clear_error(tmp_path: Path) -> None:
    result = smartregion("adapters", "run", "--instance", "test", "--once",
                         "--config", str(tmp_path / "none.yaml"))
    assert result.returncode == 1
    assert "no adapter configuration" in result.stderr


def test_list_names_every_adapter() -> None:
    result = smartregion("adapters", "list")
    assert result.returncode == 0, result.stderr
    names = {line.split(":")[0] for line in result.stdout.splitlines()}
    assert {"pegelonline", "brightsky", "uba-air", "bnetza-charging"} <= names
