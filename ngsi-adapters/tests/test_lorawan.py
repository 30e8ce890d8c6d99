"""The LoRaWAN adapter: TTS v3 uplinks from the fixtures through the durable inbox, the
webhook over real HTTP, MQTT through the test instance's Mosquitto (persistent session),
and through the runner into our own broker."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from smartregion_adapters.base import AdapterSettings, adapter_class
from smartregion_adapters.config import Config
from smartregion_adapters.runner import run_once
from smartregion_adapters.sources.lorawan import LoRaWANAdapter, read_quantity
from smartregion_adapters.uplinks import UplinkError, UplinkInbox, parse_time, parse_uplink
from smartregion_schemas.live import validate_entity

from smartregion.settings import PlatformSettings

from .conftest import FIXTURES
from .test_sink import BROKER, OwnBroker, broker, get_entity, token  # noqa: F401

SAMPLES = FIXTURES / "lorawan"
MQTT_PORT = PlatformSettings(instance="test").port("mqtt_port")
LDDS75 = "eui-70b3d57ed0051a2b"
PARKING = "eui-a84041000181c2a1"
DECENTLAB = "dl-mbx-303"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample(name))
    return data


def devices() -> dict[str, Any]:
    return {
        LDDS75: {"type": "WaterObserved", "id": "norddeich-hafen",
                 "name": "Pegelsensor Norddeich Hafen", "location": [7.146, 53.622],
                 "distance_field": "Distance", "sensor_height_cm": 700,
                 "battery_field": "Bat"},
        DECENTLAB: {"type": "WaterObserved", "location": [7.48, 53.47],
                    "distance_field": "distance", "sensor_height_cm": 400,
                    "battery_field": "battery_voltage", "battery_empty_volts": 2.5,
                    "battery_full_volts": 3.1},
        PARKING: {"type": "OffStreetParking", "id": "parkplatz-am-markt",
                  "name": "Parkplatz Am Markt", "location": [7.783, 53.576],
                  "total_spots": 48, "occupied_field": "occupied", "battery_field": "battery"},
    }


def settings(tmp_path: Path, url: str = "none", **options: Any) -> AdapterSettings:
    return AdapterSettings(adapter="lorawan", partner="landkreis-aurich", url=url,
                           timeout_seconds=5, options={
                               "application_id": "lk-aurich-pegel", "data_dir": str(
                                   tmp_path / "inbox"), "devices": devices(),
                               "drain_seconds": 0.2, **options})


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[LoRaWANAdapter]:
    with httpx.Client() as client:
        the_adapter = LoRaWANAdapter(settings(tmp_path), client)
        the_adapter.start()
        yield the_adapter
        the_adapter.close()


def collect(adapter: LoRaWANAdapter, *names: str) -> Any:
    assert adapter.inbox is not None
    for name in names:
        adapter.inbox.add(sample(name), "test")
    batch = adapter.collect()
    for entity in batch.entities:
        validate_entity(entity, "normalized")
    return batch


def by_type(batch: Any, entity_type: str) -> list[dict[str, Any]]:
    return [e for e in batch.entities if e["type"] == entity_type]


# parsing ----------------------------------------------------------------------------------

def test_tts_times_with_nanoseconds_become_utc_microseconds() -> None:
    assert parse_time("2026-11-22T07:52:13.482913275Z") == datetime(
        2026, 11, 22, 7, 52, 13, 482913, tzinfo=UTC)
    assert parse_time("2026-11-22T08:52:13.1+01:00") == datetime(
        2026, 11, 22, 7, 52, 13, 100000, tzinfo=UTC)
    with pytest.raises(UplinkError, match="not an RFC 3339 time"):
        parse_time("22.11.2026 07:52")


def test_an_uplink_is_parsed_with_its_best_reception() -> None:
    uplink = parse_uplink(sample("uplink-ldds75.json"))
    raw = sample_json("uplink-ldds75.json")
    assert (uplink.device_id, uplink.application_id, uplink.dev_eui, uplink.f_cnt) == (
        LDDS75, "lk-aurich-pegel", raw["end_device_ids"]["dev_eui"], 1234)
    assert uplink.received_at == parse_time(raw["uplink_message"]["received_at"])
    assert uplink.rssi == max(m["rssi"] for m in raw["uplink_message"]["rx_metadata"])
    assert uplink.snr == max(m["snr"] for m in raw["uplink_message"]["rx_metadata"])
    assert uplink.gateways == ("gw-norden-01", "gw-norddeich-02")
    assert uplink.decoded_payload == raw["uplink_message"]["decoded_payload"]


@pytest.mark.parametrize(("body", "message"), [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"uplink_message": {}}', "no end_device_ids.device_id"),
    (sample("join-accept.json"), "no uplink_message"),
    (json.dumps({**sample_json("uplink-parking.json"), "received_at": None, "uplink_message": {
        k: v for k, v in sample_json("uplink-parking.json")["uplink_message"].items()
        if k != "received_at"}}).encode(), "received_at None"),
])
def test_what_is_not_an_uplink_is_named(body: bytes, message: str) -> None:
    with pytest.raises(UplinkError, match=message):
        parse_uplink(body)


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (1234, "mm", 123.4),
    ("1230 mm", "mm", 123.0),
    ("1,5 m", "mm", 150.0),
    ({"displayName": "Distance", "unit": "mm", "value": 1234}, "cm", 123.4),
    ({"value": 87}, "cm", 87.0),
])
def test_lengths_in_every_form_are_read_in_centimetres(value: Any, unit: str,
                                                       expected: float) -> None:
    assert read_quantity({"d": value}, "d", {"mm": 0.1, "cm": 1.0, "m": 100.0}, unit) == \
        pytest.approx(expected)


@pytest.mark.parametrize(("value", "message"), [
    ("No Sensor", "is not a number"), (True, "is not a number"),
    ("12 furlong", "unit 'furlong'"), (None, "is not a number")])
def test_unreadable_values_are_named(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_quantity({"d": value}, "d", {"mm": 0.1}, "mm")
    with pytest.raises(ValueError, match="no field 'x'"):
        read_quantity({"d": 1}, "x", {"mm": 0.1}, "mm")


def test_battery_volts_and_millivolts() -> None:
    volts = {"mv": 0.001, "v": 1.0}
    assert read_quantity({"b": "3310 mV"}, "b", volts, "V") == pytest.approx(3.31)
    assert read_quantity({"b": 3.31}, "b", volts, "V") == pytest.approx(3.31)


# mapping ----------------------------------------------------------------------------------

def test_a_water_level_sensor_gives_a_gauge_and_its_device(adapter: LoRaWANAdapter) -> None:
    batch = collect(adapter, "uplink-ldds75.json")
    assert batch.problems == []
    raw = sample_json("uplink-ldds75.json")
    decoded = raw["uplink_message"]["decoded_payload"]
    (gauge,) = by_type(batch, "WaterObserved")
    (device,) = by_type(batch, "Device")
    distance_cm = int(decoded["Distance"].split()[0]) / 10
    assert gauge["id"] == "urn:ngsi-ld:WaterObserved:AUR:norddeich-hafen"
    assert gauge["height"]["value"] == pytest.approx(700 - distance_cm)
    assert gauge["height"]["unitCode"] == "CMT"
    observed = "2026-11-22T07:52:13.412873Z"  # uplink_message.received_at, in UTC
    assert gauge["height"]["observedAt"] == observed
    assert gauge["refDevice"]["object"] == device["id"] == f"urn:ngsi-ld:Device:AUR:{LDDS75}"
    assert gauge["location"]["value"]["coordinates"] == [7.146, 53.622]
    assert device["serialNumber"]["value"] == raw["end_device_ids"]["dev_eui"]
    assert device["batteryLevel"]["value"] == pytest.approx(
        min(1.0, (decoded["Bat"] - 3.0) / 0.6), abs=0.001)  # above "full": 1
    assert device["controlledProperty"]["value"] == ["waterLevel"]
    assert device["dateLastValueReported"]["value"] == observed
    assert "rssi=-91" in device["value"]["value"] and "Distance=3412 mm" in device[
        "value"]["value"]


def test_a_decentlab_sensor_and_a_parking_counter(adapter: LoRaWANAdapter) -> None:
    batch = collect(adapter, "uplink-decentlab-dlmbx.json", "uplink-parking.json")
    assert batch.problems == []
    decentlab = sample_json("uplink-decentlab-dlmbx.json")["uplink_message"]["decoded_payload"]
    (gauge,) = by_type(batch, "WaterObserved")
    assert gauge["id"] == f"urn:ngsi-ld:WaterObserved:AUR:{DECENTLAB}"  # no id: the device id
    assert gauge["height"]["value"] == pytest.approx(400 - decentlab["distance"]["value"] / 10)
    parking_payload = sample_json("uplink-parking.json")["uplink_message"]["decoded_payload"]
    (parking,) = by_type(batch, "OffStreetParking")
    assert (parking["totalSpotNumber"]["value"], parking["occupiedSpotNumber"]["value"],
            parking["availableSpotNumber"]["value"]) == (
        48, parking_payload["occupied"], 48 - parking_payload["occupied"])
    batteries = {d["id"].rsplit(":", 1)[-1]: d["batteryLevel"]["value"]
                 for d in by_type(batch, "Device")}
    assert batteries[DECENTLAB] == pytest.approx(
        (decentlab["battery_voltage"]["value"] - 2.5) / 0.6, abs=0.001)
    assert batteries[PARKING] == pytest.approx((parking_payload["battery"] - 3.0) / 0.6,
                                               abs=0.001)


def test_ugly_uplinks_cost_their_observation_not_the_device(adapter: LoRaWANAdapter) -> None:
    batch = collect(adapter, "uplink-no-decoded.json", "uplink-no-sensor.json")
    assert by_type(batch, "WaterObserved") == []
    assert len(by_type(batch, "Device")) == 2  # the device did report
    assert any("no decoded_payload" in p for p in batch.problems)
    assert any("'No Sensor' is not a number" in p for p in batch.problems)


def test_an_unknown_device_is_reported_and_recorded(adapter: LoRaWANAdapter) -> None:
    batch = collect(adapter, "uplink-unknown-device.json", "uplink-unknown-device.json",
                    "uplink-ldds75.json")
    unknown = [p for p in batch.problems if "unknown device" in p]
    assert len(unknown) == 2
    assert "eui-0004a30b001c0ffe" in unknown[0] and "0004A30B001C0FFE" in unknown[0]
    assert len(by_type(batch, "WaterObserved")) == 1
    assert adapter.inbox is not None
    (recorded,) = adapter.inbox.unknown_devices()
    assert (recorded["device_id"], recorded["count"], recorded["application_id"]) == (
        "eui-0004a30b001c0ffe", 2, "lk-aurich-pegel")


def test_versions_of_one_device_come_oldest_first(adapter: LoRaWANAdapter) -> None:
    later = sample_json("uplink-ldds75.json")
    later["uplink_message"]["received_at"] = "2026-11-22T08:52:13Z"
    later["uplink_message"]["decoded_payload"]["Distance"] = "3000 mm"
    assert adapter.inbox is not None
    adapter.inbox.add(json.dumps(later).encode(), "test")
    batch = collect(adapter, "uplink-ldds75.json")  # received later, observed earlier
    assert [g["height"]["value"] for g in by_type(batch, "WaterObserved")] == [
        pytest.approx(700 - 341.2), pytest.approx(700 - 300)]


# the inbox --------------------------------------------------------------------------------

def test_the_inbox_keeps_uplinks_until_acknowledged(tmp_path: Path) -> None:
    inbox = UplinkInbox(tmp_path)
    inbox.add(sample("uplink-ldds75.json"), "mqtt")
    with pytest.raises(UplinkError):
        inbox.add(sample("join-accept.json"), "mqtt")
    inbox.close()
    with httpx.Client() as client:
        adapter = LoRaWANAdapter(settings(tmp_path).model_copy(update={"options": {
            **settings(tmp_path).options, "data_dir": str(tmp_path)}}), client)
        batch = adapter.collect()  # starts itself
        assert len(by_type(batch, "WaterObserved")) == 1
        assert adapter.inbox is not None
        adapter.inbox.add(sample("uplink-parking.json"), "webhook")  # arrives meanwhile
        adapter.acknowledge()
        assert adapter.inbox.pending() == 1  # only what the run read is forgotten
        adapter.close()
    reopened = UplinkInbox(tmp_path)
    assert [u.device_id for _, u in reopened.peek()] == [PARKING]
    reopened.close()


# webhook ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_webhook_stores_uplinks_and_refuses_the_rest(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/lorawan/uplink"
    with httpx.Client() as client:
        adapter = LoRaWANAdapter(settings(tmp_path, webhook={"port": port, "token": "s3cret"}),
                                 client)
        adapter.start()
        try:
            auth = {"Authorization": "Bearer s3cret"}
            assert client.post(url, content=sample("uplink-ldds75.json")).status_code == 401
            wrong = client.post(url, content=sample("uplink-ldds75.json"),
                                headers={"X-Webhook-Token": "guess"})
            assert wrong.status_code == 401
            malformed = client.post(url, content=b"{oops", headers=auth)
            assert malformed.status_code == 400
            assert malformed.headers["content-type"] == "application/problem+json"
            assert "not JSON" in malformed.json()["detail"]
            join = client.post(url, content=sample("join-accept.json"), headers=auth)
            assert (join.status_code, "no uplink_message" in join.json()["detail"]) == (
                400, True)
            stored = client.post(url, content=sample("uplink-parking.json"),
                                 headers={"X-Webhook-Token": "s3cret"})
            assert stored.status_code == 202, stored.text
            batch = adapter.collect()
            assert [e["type"] for e in batch.entities] == ["Device", "OffStreetParking"]
            refused = [p for p in batch.problems if "webhook message not stored" in p]
            assert len(refused) == 2
            assert "not JSON" in refused[0] and f"device {LDDS75}: no uplink_message" in \
                refused[1]
        finally:
            adapter.close()
        with pytest.raises(httpx.TransportError):
            client.post(url, content=sample("uplink-parking.json"), timeout=1)


# MQTT -------------------------------------------------------------------------------------

def publish(application: str, name: str, device: str | None = None) -> None:
    """Publish a sample uplink as TTS would (QoS 1) and wait until Mosquitto has it."""
    body = sample_json(name)
    body["end_device_ids"]["application_ids"]["application_id"] = application
    device = device or body["end_device_ids"]["device_id"]
    body["end_device_ids"]["device_id"] = device
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex}")
    client.connect("127.0.0.1", MQTT_PORT)
    client.loop_start()
    info = client.publish(f"v3/{application}@ttn/devices/{device}/up", json.dumps(body), qos=1)
    info.wait_for_publish(timeout=5)
    client.loop_stop()
    client.disconnect()
    assert info.is_published()


def mqtt_adapter(tmp_path: Path, client: httpx.Client, application: str) -> LoRaWANAdapter:
    return LoRaWANAdapter(settings(tmp_path, url=f"mqtt://127.0.0.1:{MQTT_PORT}",
                                   application_id=application,
                                   client_id=f"test-{application}"), client)


def collect_until(adapter: LoRaWANAdapter, count: int, seconds: float = 10) -> list[Any]:
    """Collect (and acknowledge) until ``count`` entities arrived; what arrived."""
    entities: list[Any] = []
    deadline = time.monotonic() + seconds
    while len(entities) < count and time.monotonic() < deadline:
        batch = adapter.collect()
        adapter.acknowledge()
        entities += batch.entities
        if len(entities) < count:
            time.sleep(0.1)
    return entities


def test_uplinks_arrive_over_mqtt_also_while_the_adapter_was_stopped(tmp_path: Path) -> None:
    application = f"sro-test-{uuid.uuid4().hex[:8]}"
    with httpx.Client() as client:
        first = mqtt_adapter(tmp_path, client, application)
        first.start()
        try:
            assert first.collect().problems == []  # subscribed (persistent session)
            publish(application, "uplink-ldds75.json")
            received = collect_until(first, 2)
        finally:
            first.close()
        assert sorted(e["type"] for e in received) == ["Device", "WaterObserved"]

        publish(application, "uplink-parking.json")  # nobody connected: Mosquitto keeps it
        second = mqtt_adapter(tmp_path, client, application)
        second.start()
        try:
            later = collect_until(second, 2)
        finally:
            second.close()
    assert sorted(e["type"] for e in later) == ["Device", "OffStreetParking"]


def test_an_unreachable_mqtt_server_is_a_problem_line_not_a_failure(tmp_path: Path) -> None:
    with httpx.Client() as client:
        adapter = LoRaWANAdapter(settings(tmp_path, url="mqtt://127.0.0.1:9"), client)
        adapter.settings = adapter.settings.model_copy(update={"timeout_seconds": 0.5})
        try:
            assert adapter.inbox is None
            adapter.start()
            assert adapter.inbox is not None
            adapter.inbox.add(sample("uplink-parking.json"), "webhook")
            batch = adapter.collect()
        finally:
            adapter.close()
    assert any("not subscribed at mqtt://127.0.0.1:9" in p for p in batch.problems)
    assert by_type(batch, "OffStreetParking")


# through the runner into the broker --------------------------------------------------------

def test_mqtt_uplinks_reach_the_broker_through_the_runner(
        broker: OwnBroker, tmp_path: Path) -> None:  # noqa: F811
    application = f"sro-test-{uuid.uuid4().hex[:8]}"
    run = uuid.uuid4().hex[:8]
    stream = settings(tmp_path, url=f"mqtt://127.0.0.1:{MQTT_PORT}",
                      application_id=application, client_id=f"test-runner-{application}")
    options = {**stream.options, "devices": {f"{LDDS75}-{run}": {
        **devices()[LDDS75], "id": f"gauge-{run}"}}}
    config = Config(broker_url=BROKER, token=token(), data_dir=tmp_path / "state",
                    streams=[stream.model_copy(update={"options": options})])
    first = run_once(config)  # subscribes; the persistent session keeps what comes next
    assert first.streams[0].problems == []
    publish(application, "uplink-ldds75.json", device=f"{LDDS75}-{run}")
    deadline = time.monotonic() + 10
    pushed = 0
    while pushed < 2 and time.monotonic() < deadline:
        pushed += run_once(config).streams[0].pushed
    assert pushed == 2
    gauge = get_entity(f"urn:ngsi-ld:WaterObserved:AUR:gauge-{run}").json()
    assert gauge["height"]["value"] == pytest.approx(700 - 341.2)
    assert gauge["refDevice"]["object"] == f"urn:ngsi-ld:Device:AUR:{LDDS75}-{run}"
    assert get_entity(gauge["refDevice"]["object"]).status_code == 200


def test_the_catalogue_link_names_exactly_the_configured_entities(tmp_path: Path) -> None:
    stream = settings(tmp_path)
    cls = adapter_class("lorawan")
    assert cls.stream_entity_types(stream) == ("Device", "WaterObserved", "OffStreetParking")
    assert cls.stream_entity_ids(stream, "WaterObserved") == [
        "urn:ngsi-ld:WaterObserved:AUR:norddeich-hafen",
        f"urn:ngsi-ld:WaterObserved:AUR:{DECENTLAB}"]
    assert cls.stream_entity_ids(stream, "Device") == [
        f"urn:ngsi-ld:Device:AUR:{d}" for d in devices()]
    only_parking = stream.model_copy(update={"options": {
        **stream.options, "devices": {PARKING: devices()[PARKING]}}})
    assert cls.stream_entity_types(only_parking) == ("Device", "OffStreetParking")


def test_options_are_checked_with_precise_errors(tmp_path: Path) -> None:
    bad = settings(tmp_path)
    bad = bad.model_copy(update={"options": {**bad.options, "devices": {
        "x": {"type": "WaterObserved", "location": [7, 53]}}}})
    with httpx.Client() as client, pytest.raises(ValueError,
                                                 match="distance_field and sensor_height_cm"):
        LoRaWANAdapter(bad, client)


def test_threads_do_not_leak(tmp_path: Path) -> None:
    before = threading.active_count()
    port = _free_port()
    with httpx.Client() as client:
        for _ in range(2):
            adapter = LoRaWANAdapter(settings(tmp_path, url=f"mqtt://127.0.0.1:{MQTT_PORT}",
                                              webhook={"port": port}), client)
            adapter.start()
            adapter.close()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before
