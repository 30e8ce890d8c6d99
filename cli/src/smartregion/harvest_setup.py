"""The demo harvest of ``make run``: ``<data>/harvest.yaml`` on the demo feed's sample
sources, harvested once by ``smartregion up``.

Like the adapters' demo configuration (:mod:`smartregion.adapters_setup`), the file starts
with a mark, and ``up`` rewrites only such a file — an operator's own configuration (with the
partners' real CSW, WFS, portals) is left alone and harvested by ``smartregion harvest run``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from smartregion.adapters_setup import GENERATED_MARK
from smartregion.settings import PlatformSettings

HEADER = f"""{GENERATED_MARK}: the demo harvest on the local demo feed.
# Remove these first lines to keep your own changes: `up` then leaves this file alone.
# Format: harvesters/README.md (section Configuration).
"""


def demo_config(settings: PlatformSettings) -> dict[str, Any]:
    feed = f"{settings.feed_url}/harvest"
    return {"partners": {
        "landkreis-leer": {
            "organization": "landkreis-leer", "schedule": "daily",
            "sources": [{"name": "nachbarportal", "type": "dcat",
                         "title": "Beispiel: DCAT-AP.de-Katalog eines Nachbarportals",
                         "url": f"{feed}/dcat/catalog.ttl?page=1"}]},
        "stadt-emden": {
            "organization": "stadt-emden", "schedule": "daily",
            "sources": [{"name": "wfs-freizeit", "type": "wfs",
                         "title": "Beispiel: WFS Freizeit und Bildung (EPSG:25832)",
                         "url": f"{feed}/wfs"}]},
        "landkreis-wittmund": {
            "organization": "landkreis-wittmund", "schedule": "daily",
            "themes": [{"match": "schul", "theme": "EDUC"}],
            "sources": [{"name": "dateien", "type": "files",
                         "title": "Beispiel: Dateien auf dem Webserver",
                         "url": f"{feed}/files/files.yaml"}]},
    }}


def ensure_demo_config(settings: PlatformSettings) -> tuple[Path, bool]:
    path = settings.data / "harvest.yaml"
    if path.exists() and not path.read_text(encoding="utf-8").startswith(GENERATED_MARK):
        return path, False
    text = HEADER + yaml.safe_dump(demo_config(settings), sort_keys=False, allow_unicode=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path, True


def harvest_demo(settings: PlatformSettings) -> list[str]:
    """``smartregion harvest run --all`` in a process of its own (it loads CKAN for the DCAT
    profile); the summary lines, or the reason it failed. A failed harvest never stops ``up``."""
    command = [str(settings.venv_bin("smartregion")), "harvest", "run", "--instance",
               settings.instance, "--all", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 and not lines:
        lines = [f"harvest failed: {result.stderr.strip()[-500:]}"]
    return lines
