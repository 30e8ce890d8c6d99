"""The demo feed: local stand-ins of the public live sources, so ``make run`` shows live data
offline. ``smartregion up`` runs it as a service (``python -m smartregion.demo_feed``) and
writes the adapters' configuration from :func:`demo_streams`; live URLs are configuration.
"""

from __future__ import annotations

from typing import Any

from smartregion.demo_feed.server import BNETZA, BRIGHTSKY, PEGELONLINE, UBA
from smartregion.demo_feed.sources import stations

#: Seconds between two runs of a stream: the demo's sources change every 10–15 minutes; the
#: LoRaWAN stream only drains what its subscription received (uplinks every 20 s).
INTERVALS = {"pegelonline": 300, "brightsky": 600, "uba-air": 1800, "bnetza-charging": 86400,
             "lorawan": 20}


def demo_streams(feed_url: str, mqtt_url: str | None = None,
                 inbox_dir: str | None = None) -> list[dict[str, Any]]:
    """The adapters' stream entries (``AdapterSettings`` fields) for every demo station; with
    ``mqtt_url`` (the instance's Mosquitto) and ``inbox_dir`` also one LoRaWAN stream per
    application of the demo devices, each with its uplink inbox below ``inbox_dir``."""
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
    if mqtt_url and inbox_dir:
        streams += lorawan_streams(mqtt_url, inbox_dir)
    return streams


def lorawan_streams(mqtt_url: str, inbox_dir: str) -> list[dict[str, Any]]:
    """One stream per TTS application of the demo devices (an application belongs to one
    partner), configured as an operator would configure the real network's devices."""
    lorawan = stations()["lorawan"]
    streams = []
    for application in sorted({d["application"] for d in lorawan["devices"]}):
        devices = [d for d in lorawan["devices"] if d["application"] == application]
        streams.append({
            "adapter": "lorawan", "partner": devices[0]["partner"], "url": mqtt_url,
            "interval_seconds": INTERVALS["lorawan"],
            "options": {"application_id": application, "tenant_id": lorawan["tenant"],
                        "data_dir": f"{inbox_dir}/{application}",
                        "devices": {d["device_id"]: _device_options(d) for d in devices}},
        })
    return streams


def _device_options(device: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {
        "type": device["type"], "id": device["id"], "name": device["name"],
        "location": [device["lon"], device["lat"]],
        "battery_empty_volts": 3.0, "battery_full_volts": 3.6,
    }
    if device["type"] == "WaterObserved":  # Dragino LDDS75: distance down to the water
        options |= {"battery_field": "Bat", "distance_field": "Distance",
                    "sensor_height_cm": device["sensor_height_cm"]}
    else:  # parking counter
        options |= {"battery_field": "battery", "total_spots": device["total"],
                    "occupied_field": "occupied"}
    return options


def _partners(entries: list[dict[str, Any]]) -> list[str]:
    return sorted({entry["partner"] for entry in entries})
