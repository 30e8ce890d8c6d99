"""The demo feed speaks the formats the adapters parse: each demo stream, run through its
real adapter over HTTP, yields one valid entity per demo station and no problem; values move
with the clock; answers to unknown stations are the sources' own."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from smartregion_adapters.base import AdapterSettings, adapter_class
from smartregion_adapters.uplinks import parse_uplink

from smartregion import demo_feed
from smartregion.demo_feed import demo_streams, lorawan, sources
from smartregion.demo_feed.server import PEGELONLINE, make_server
from smartregion.settings import PlatformSettings

NOW = datetime(2026, 11, 22, 23, 5, tzinfo=UTC)  # 00:05 CET: UBA's "24:00:00" hour is the latest


@pytest.fixture(scope="module")
def feed_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, clock=lambda: NOW)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _expected(stream: AdapterSettings) -> int:
    data = sources.stations()
    if stream.adapter == "pegelonline":
        return len(stream.options["stations"])
    if stream.adapter == "brightsky":
        return len(stream.options["stations"])
    if stream.adapter == "uba-air":
        return len(data["uba"]["stations"])
    kreise = {"stadt-emden": "Kreisfreie Stadt Emden", "landkreis-aurich": "Landkreis Aurich",
              "landkreis-leer": "Landkreis Leer", "landkreis-wittmund": "Landkreis Wittmund"}
    return sum(1 for p in data["bnetza"] if p["kreis"] == kreise[stream.partner])


def test_every_demo_stream_maps_cleanly(feed_url: str) -> None:
    types = set()
    with httpx.Client() as client:
        for entry in demo_streams(feed_url):
            stream = AdapterSettings(**entry)
            batch = adapter_class(stream.adapter)(stream, client).collect()
            assert batch.problems == [], (stream.adapter, stream.partner, batch.problems)
            ids = {entity["id"] for entity in batch.entities}
            assert len(ids) == _expected(stream) > 0, (stream.adapter, stream.partner)
            if stream.adapter == "pegelonline":  # the last day as earlier versions
                assert len(batch.entities) == len(ids) * 96  # 24 h of quarter hours
            types |= {entity["type"] for entity in batch.entities}
    assert types == {"WaterObserved", "WeatherObserved", "AirQualityObserved",
                     "EVChargingStation"}


def test_uba_latest_hour_is_24_00_of_the_day_before(feed_url: str) -> None:
    entry = next(e for e in demo_streams(feed_url) if e["adapter"] == "uba-air")
    with httpx.Client() as client:
        batch = adapter_class("uba-air")(AdapterSettings(**entry), client).collect()
    assert {e["dateObserved"]["value"] for e in batch.entities} == {"2026-11-22T23:00:00Z"}


def test_values_move_with_the_clock() -> None:
    gauge = sources.stations()["pegelonline"][0]
    levels = {sources.water_level(gauge, NOW + timedelta(hours=h)) for h in range(0, 13, 3)}
    station = sources.stations()["brightsky"][0]
    temperatures = {sources.brightsky_current(station, NOW + timedelta(hours=h))["weather"]
                    ["temperature"] for h in (0, 6, 12)}
    assert len(levels) >= 4 and len(temperatures) == 3


def test_measurements_cover_a_day_in_order(feed_url: str) -> None:
    gauge = sources.stations()["pegelonline"][0]
    answer = httpx.get(f"{feed_url}{PEGELONLINE}/stations/{gauge['uuid']}/W/measurements.json",
                       params={"start": "P1D"}).json()
    times = [datetime.fromisoformat(m["timestamp"]) for m in answer]
    assert len(times) == 96
    assert all(a < b for a, b in itertools.pairwise(times))
    assert times[-1] <= NOW < times[-1] + timedelta(minutes=15)


def test_unknown_stations_are_answered_as_the_sources_do(feed_url: str) -> None:
    missing_gauge = httpx.get(f"{feed_url}{PEGELONLINE}/stations/NOWHERE/W/measurements.json")
    missing_weather = httpx.get(f"{feed_url}/brightsky/current_weather",
                                params={"dwd_station_id": "99999", "units": "dwd"})
    assert (missing_gauge.status_code, missing_weather.status_code) == (404, 404)
    assert httpx.get(f"{feed_url}{PEGELONLINE}/stations.json",
                     params={"ids": "NOWHERE"}).json() == []


def test_demo_uplinks_read_through_the_lorawan_adapter(tmp_path: Path) -> None:
    """Each demo LoRaWAN stream, fed the uplinks the demo feed publishes, yields a valid
    Device and observation per device and no problem; the gauge follows the demo tide."""
    streams = demo_feed.lorawan_streams("none", str(tmp_path))
    assert {s["partner"] for s in streams} == {d["partner"] for d in lorawan.devices()}
    with httpx.Client() as client:
        for entry in streams:
            settings = AdapterSettings(**entry)
            adapter = adapter_class("lorawan")(settings, client)
            adapter.start()
            mine = [d for d in lorawan.devices()
                    if d["device_id"] in settings.options["devices"]]
            for counter, moment in enumerate((NOW - timedelta(minutes=20), NOW), start=1):
                for device in mine:
                    assert adapter.inbox is not None
                    adapter.inbox.add(json.dumps(lorawan.uplink(device, moment, counter))
                                      .encode(), "test")
            batch = adapter.collect()
            adapter.close()
            assert batch.problems == [], batch.problems
            assert len(batch.entities) == 2 * 2 * len(mine)  # Device + observation, twice
            for device in mine:
                observed = [e for e in batch.entities if e["type"] == device["type"]]
                if device["type"] == "WaterObserved":
                    levels = [lorawan.water_level_cm(device, m)
                              for m in (NOW - timedelta(minutes=20), NOW)]
                    assert [e["height"]["value"] for e in observed] == [
                        pytest.approx(level, abs=0.15) for level in levels]
                    assert levels[0] != levels[1]
                else:
                    assert [e["occupiedSpotNumber"]["value"] for e in observed] == [
                        lorawan.occupied_spots(device, m)
                        for m in (NOW - timedelta(minutes=20), NOW)]


def test_the_demo_feed_publishes_uplinks_to_mosquitto() -> None:
    """The publisher speaks TTS's MQTT topics and format, QoS 1, to the test instance's
    Mosquitto."""
    port = PlatformSettings(instance="test").port("mqtt_port")
    received: list[tuple[str, bytes]] = []
    subscribed = threading.Event()
    listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                           client_id=f"test-demo-uplinks-{uuid.uuid4().hex[:8]}")
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_message = lambda _c, _d, message: received.append(
        (message.topic, message.payload))
    listener.connect("127.0.0.1", port)
    listener.subscribe("v3/+/devices/+/up", qos=1)
    listener.loop_start()
    publisher = lorawan.UplinkPublisher("127.0.0.1", port, interval=0.3)
    try:
        assert subscribed.wait(5)
        publisher.start()
        deadline = time.monotonic() + 10
        wanted = {lorawan.topic(d) for d in lorawan.devices()}
        while not wanted <= {t for t, _ in received} and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        publisher.stop()
        listener.loop_stop()
        listener.disconnect()
    ours = [(t, body) for t, body in received if t in wanted]
    assert {t for t, _ in ours} == wanted
    for topic, body in ours:
        uplink = parse_uplink(body)
        assert topic.endswith(f"/devices/{uplink.device_id}/up")
        assert uplink.decoded_payload
