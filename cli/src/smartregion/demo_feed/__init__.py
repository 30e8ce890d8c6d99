"""The demo feed: local stand-ins of the public live sources, so ``make run`` shows live data
offline. ``smartregion up`` runs it as a service (``python -m smartregion.demo_feed``) and
writes the adapters' configuration from :func:`demo_streams`; live URLs are configuration.
"""

from __future__ import annotations

from typing import Any

from smartregion.demo_feed.server import BNETZA, BRIGHTSKY, PEGELONLINE, UBA
from smartregion.demo_feed.sources import stations

#: Minutes between two runs of a stream: the demo's sources change every 10–15 minutes.
INTERVALS = {"pegelonline": 300, "brightsky": 600, "uba-air": 1800, "bnetza-charging": 86400}


def demo_streams(feed_url: str) -> list[dict[str, Any]]:
    """The adapters' stream entries (``AdapterSettings`` fields) for every demo station."""
    data = stations()
    streams: list[dict[str, Any]] = []

    def add(adapter: str, partner: str, path: str, options: dict[str, Any]) -> None:
        streams.append({"adapter": adapter, "partner": partner, "url": feed_url + path,
                        "interval_seconds": INTERVALS[adapter], "options": options})

    for partner in _partners(data["pegelonline"]):
        add("pegelonline", partner, PEGELONLINE, {"history": "P1D", "stations": [
            g["name"] for g in data["pegelonline"] if g["partner"] == partner]})
    for partner in _partners(data["brightsky"]):
        add("brightsky", partner, BRIGHTSKY, {"stations": [
            {"dwd_station_id": s["dwd_station_id"]} for s in data["brightsky"]
            if s["partner"] == partner]})
    add("uba-air", data["uba"]["partner"], UBA,
        {"stations": [s["code"] for s in data["uba"]["stations"]]})
    for partner in ("stadt-emden", "landkreis-aurich", "landkreis-leer", "landkreis-wittmund"):
        add("bnetza-charging", partner, BNETZA, {"path": "ladesaeulenregister.csv"})
    return streams


def _partners(entries: list[dict[str, Any]]) -> list[str]:
    return sorted({entry["partner"] for entry in entries})
