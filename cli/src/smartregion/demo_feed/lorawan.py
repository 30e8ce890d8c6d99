"""LoRaWAN uplinks of the demo devices, published like The Things Stack v3's MQTT server.

The demo has no network server, so the feed plays one: every ``interval`` seconds it
publishes, for each device of ``stations.yaml`` (section ``lorawan``), an uplink message in
TTS's format (``../shared/reference/live-sources.md`` §8.4) on
``v3/{application}@{tenant}/devices/{device_id}/up`` of the instance's Mosquitto, QoS 1 — what
the LoRaWAN adapter subscribes to. Decoded payloads look like the devices' payload formatters
produce them: a Dragino LDDS75 (``{"Bat": 3.61, "Distance": "3412 mm", …}``, the distance from
the sensor down to the water, following the tide) and a parking counter
(``{"occupied": 31, "battery": 3.58}``, following the day).
"""

from __future__ import annotations

import base64
import json
import math
import os
import threading
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt

from smartregion.demo_feed.sources import GERMAN_TIME, M2_MINUTES, stations


def devices() -> list[dict[str, Any]]:
    return list(stations()["lorawan"]["devices"])


def topic(device: dict[str, Any]) -> str:
    return (f"v3/{device['application']}@{stations()['lorawan']['tenant']}"
            f"/devices/{device['device_id']}/up")


def water_level_cm(device: dict[str, Any], moment: datetime) -> float:
    """The demo gauge's water level above gauge zero: a semidiurnal tide."""
    minutes = moment.timestamp() / 60 - device["phase_minutes"]
    return device["mean"] + device["amplitude"] * math.cos(2 * math.pi * minutes / M2_MINUTES)


def occupied_spots(device: dict[str, Any], moment: datetime) -> int:
    """Parking: nearly empty at night, fullest around noon and on market days."""
    local = moment.astimezone(GERMAN_TIME)
    hour = local.hour + local.minute / 60
    share = 0.15 + 0.7 * max(0.0, math.sin(math.pi * (hour - 7) / 12))
    return min(device["total"], round(device["total"] * share))


def decoded_payload(device: dict[str, Any], moment: datetime) -> dict[str, Any]:
    battery = round(3.62 - (moment.timestamp() / 86400 % 30) * 0.004, 2)  # slowly draining
    if device["type"] == "WaterObserved":
        distance_mm = round((device["sensor_height_cm"] - water_level_cm(device, moment)) * 10)
        return {"Bat": battery, "Distance": f"{distance_mm} mm", "Interrupt_flag": 0,
                "TempC_DS18B20": "0.00", "Sensor_flag": 1}
    return {"occupied": occupied_spots(device, moment), "battery": battery}


def uplink(device: dict[str, Any], moment: datetime, counter: int) -> dict[str, Any]:
    """One uplink message of ``device`` at ``moment`` as TTS v3 publishes it."""
    at = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # TTS: nanoseconds
    payload = json.dumps(decoded_payload(device, moment)).encode()
    return {
        "end_device_ids": {
            "device_id": device["device_id"],
            "application_ids": {"application_id": device["application"]},
            "dev_eui": device["dev_eui"], "join_eui": "0000000000000000",
        },
        "correlation_ids": [f"as:up:demo{counter:08d}"],
        "received_at": at,
        "uplink_message": {
            "f_port": 2, "f_cnt": counter,
            "frm_payload": base64.b64encode(payload[:8]).decode(),
            "decoded_payload": decoded_payload(device, moment),
            "rx_metadata": [{
                "gateway_ids": {"gateway_id": device["gateway"]},
                "time": at, "rssi": -97 - counter % 9, "channel_rssi": -97 - counter % 9,
                "snr": 7.5 - counter % 5, "received_at": at,
            }],
            "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7,
                                                "coding_rate": "4/5"}},
                         "frequency": "868100000"},
            "received_at": at,
            "version_ids": {"brand_id": device["brand"], "model_id": device["model"],
                            "band_id": "EU_863_870"},
            "network_ids": {"net_id": "000013", "tenant_id": stations()["lorawan"]["tenant"]},
        },
    }


class UplinkPublisher:
    """Publishes every demo device's uplink every ``interval`` seconds until :meth:`stop`.

    paho's own loop reconnects when Mosquitto restarts; a publication while it is away is
    dropped, as a real device's uplink without coverage would be.
    """

    def __init__(self, host: str, port: int, interval: float = 30.0) -> None:
        self.interval = interval
        self.counter = 0
        self._stop = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"smartregion-demo-feed-{os.getpid()}")
        self.client.connect_async(host, port)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="lorawan-uplinks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def publish_all(self, moment: datetime) -> None:
        self.counter += 1
        for device in devices():
            self.client.publish(topic(device), json.dumps(uplink(device, moment, self.counter)),
                                qos=1)

    def stop(self) -> None:
        self._stop.set()
        self.client.loop_stop()
        self.client.disconnect()

    def _run(self) -> None:
        while not self._stop.wait(0 if self.counter == 0 else self.interval):
            if self.client.is_connected():
                self.publish_all(datetime.now(UTC))
            elif self.counter == 0:
                self._stop.wait(1.0)  # not connected yet: try again shortly
