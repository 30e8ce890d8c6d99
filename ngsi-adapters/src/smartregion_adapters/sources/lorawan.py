"""LoRaWAN (The Things Stack v3) → Device, WaterObserved, OffStreetParking for configured devices.

Uplinks are pushed to us, by the network server's MQTT server and/or a webhook, at any time;
they go into a durable inbox (:mod:`smartregion_adapters.uplinks`) before they are
acknowledged, and each run of the stream turns what the inbox holds into entities. The MQTT
session is persistent (fixed client id, ``clean_session`` off, QoS 1): uplinks published
while the adapter is stopped wait in the MQTT server and arrive at the next start. Together:
nothing the network delivered is lost while the adapter, the machine or the broker is down.

Mapping, per uplink of a configured device (``decoded_payload`` as the device's payload
formatter produces it):

- a ``Device`` entity (source id: the TTS device id): ``serialNumber`` ← DevEUI,
  ``supportedProtocol`` [lora], ``deviceCategory`` [sensor], ``controlledProperty``,
  ``batteryLevel`` ← ``battery_field`` as a fraction between ``battery_empty_volts`` and
  ``battery_full_volts`` (C62), ``dateLastValueReported``, ``deviceState`` ok, ``value`` ← the
  decoded payload and the best RSSI/SNR as text, ``location`` and ``name`` from the
  configuration;
- ``type: WaterObserved``: ``height`` (cm above gauge zero) ← ``sensor_height_cm`` − the
  distance read from ``distance_field`` (an ultrasonic sensor looking down at the water),
  ``dateObserved``, ``refDevice`` → the Device entity;
- ``type: OffStreetParking``: ``totalSpotNumber`` ← ``total_spots``, ``occupiedSpotNumber`` /
  ``availableSpotNumber`` ← ``occupied_field`` or ``free_field``.

Every ``observedAt`` is the uplink's ``uplink_message.received_at`` in UTC. A value may come
as a number (in the field's unit: ``distance_unit`` mm, ``battery_unit`` V by default), as a
string with a unit (``"1230 mm"``, ``"3.31 V"``) or as a Decentlab object (``{"value": 1234,
"unit": "mm"}``). An uplink of a device not configured is a problem line and is recorded
(``UplinkInbox.unknown_devices``), never dropped silently; an uplink without a
``decoded_payload`` (no payload formatter) or with an unreadable value still updates the
Device entity, its observation is a problem line.

Stream entry (``url``: the MQTT server, ``mqtt://`` or ``mqtts://``; ``none`` for webhook
only)::

    - adapter: lorawan
      partner: landkreis-aurich
      url: mqtts://eu1.cloud.thethings.network:8883
      interval_seconds: 60
      options:
        application_id: lk-aurich-pegel
        tenant_id: ttn                      # username: lk-aurich-pegel@ttn
        password_file: secrets/tts-api-key  # a TTS API key with "read application traffic"
        data_dir: /var/lib/smartregion/default/adapters/lorawan/lk-aurich-pegel
        webhook: {port: 18090, token_file: secrets/webhook-token}   # optional
        devices:
          eui-70b3d57ed0051a2b:
            type: WaterObserved
            id: norddeich-hafen
            name: Pegelsensor Norddeich Hafen
            location: [7.146, 53.622]
            distance_field: Distance
            sensor_height_cm: 700
            battery_field: Bat

The webhook (TTS "Webhooks" integration, uplink message path): ``POST`` the uplink JSON to
``http://host:port/lorawan/uplink`` with ``Authorization: Bearer <token>`` (or
``X-Webhook-Token``): 202 once stored, 401 without the token, 400 with a problem description
for anything that is not an uplink.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from pydantic import BaseModel, ConfigDict, Field, model_validator
from smartregion_schemas.live import entity_id, partner_for

from smartregion_adapters.base import Adapter, AdapterSettings, Batch, register
from smartregion_adapters.ngsi import measured, new_entity, point, prop, relationship, utc_text
from smartregion_adapters.uplinks import Uplink, UplinkError, UplinkInbox

ObservedType = Literal["WaterObserved", "OffStreetParking", "Device"]
CONTROLLED = {"WaterObserved": ["waterLevel"], "OffStreetParking": ["occupancy"]}
_LENGTH_CM = {"mm": 0.1, "cm": 1.0, "m": 100.0}
_VOLTS = {"mv": 0.001, "v": 1.0}
_QUANTITY = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*([A-Za-z]*)\s*$")


class DeviceConfig(BaseModel):
    """One configured LoRaWAN device (by its TTS device id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ObservedType
    id: str | None = Field(default=None, description="Source id of the entities.")
    name: str | None = None
    location: tuple[float, float] = Field(description="[longitude, latitude], WGS84.")
    controlled_property: list[str] | None = None
    battery_field: str | None = None
    battery_unit: str = "V"
    battery_empty_volts: float = 3.0
    battery_full_volts: float = 3.6
    distance_field: str | None = None
    distance_unit: str = "mm"
    sensor_height_cm: float | None = None
    total_spots: int | None = Field(default=None, gt=0)
    occupied_field: str | None = None
    free_field: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> DeviceConfig:
        if self.type == "WaterObserved" and (self.distance_field is None
                                             or self.sensor_height_cm is None):
            raise ValueError("WaterObserved needs distance_field and sensor_height_cm")
        if self.type == "OffStreetParking" and (
                self.total_spots is None or (self.occupied_field is None) == (
                    self.free_field is None)):
            raise ValueError("OffStreetParking needs total_spots and one of occupied_field, "
                             "free_field")
        if self.type == "Device" and not self.controlled_property:
            raise ValueError("a Device needs controlled_property")
        if self.battery_full_volts <= self.battery_empty_volts:
            raise ValueError("battery_full_volts must be above battery_empty_volts")
        return self


class WebhookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(gt=0, lt=65536)
    path: str = "/lorawan/uplink"
    token: str | None = None
    token_file: Path | None = None

    def secret(self) -> str | None:
        if self.token_file is not None:
            return self.token_file.read_text(encoding="utf-8").strip() or None
        return self.token


class LoRaWANOptions(BaseModel):
    """``options`` of a lorawan stream (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    application_id: str
    tenant_id: str = "ttn"
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None
    client_id: str | None = None
    data_dir: Path
    drain_seconds: float = Field(default=1.0, ge=0)
    webhook: WebhookConfig | None = None
    devices: dict[str, DeviceConfig]

    @property
    def topic(self) -> str:
        return f"v3/{self.application_id}@{self.tenant_id}/devices/+/up"

    def secret(self) -> str | None:
        if self.password_file is not None:
            return self.password_file.read_text(encoding="utf-8").strip() or None
        return self.password


def read_quantity(payload: dict[str, Any], field: str, units: dict[str, float],
                  default_unit: str) -> float:
    """``payload[field]`` converted by ``units`` (factor per lower-case unit name); a number
    is in ``default_unit``. ValueError with the reason for anything else ("No Sensor")."""
    if field not in payload:
        raise ValueError(f"no field {field!r} in the decoded payload")
    value = payload[field]
    unit = default_unit
    if isinstance(value, dict):  # Decentlab: {"displayName", "unit", "value"}
        unit = str(value.get("unit") or default_unit)
        value = value.get("value")
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match is None:
            raise ValueError(f"{field} = {value!r} is not a number")
        value, unit = float(match[1].replace(",", ".")), match[2] or unit
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{field} = {value!r} is not a number")
    factor = units.get(unit.lower())
    if factor is None:
        raise ValueError(f"{field}: unit {unit!r} not one of {', '.join(units)}")
    return float(value) * factor


@register
class LoRaWANAdapter(Adapter):
    """Uplinks of one TTS application's configured devices (MQTT and/or webhook)."""

    name: ClassVar[str] = "lorawan"
    entity_types: ClassVar[tuple[str, ...]] = ("Device", "WaterObserved", "OffStreetParking")

    def __init__(self, settings: AdapterSettings, client: Any) -> None:
        super().__init__(settings, client)
        self.options = LoRaWANOptions.model_validate(settings.options)
        self.inbox: UplinkInbox | None = None
        self._mqtt: mqtt.Client | None = None
        self._webhook: _Webhook | None = None
        self._subscribed = threading.Event()
        self._drained = False
        self._problems: list[str] = []
        self._fetched: list[int] = []

    # catalogue --------------------------------------------------------------------------

    @classmethod
    def stream_entity_types(cls, settings: AdapterSettings) -> tuple[str, ...]:
        configured = {d.type for d in LoRaWANOptions.model_validate(settings.options)
                      .devices.values()}
        return tuple(t for t in cls.entity_types if t in configured | {"Device"})

    @classmethod
    def stream_entity_ids(cls, settings: AdapterSettings, entity_type: str) -> list[str]:
        devices = LoRaWANOptions.model_validate(settings.options).devices
        if entity_type == "Device":
            return [entity_id("Device", settings.partner, d) for d in devices]
        return [entity_id(entity_type, settings.partner, c.id or d)
                for d, c in devices.items() if c.type == entity_type]

    # lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self.inbox is not None:
            return
        self.inbox = UplinkInbox(self.options.data_dir)
        if self.options.webhook is not None:
            self._webhook = _Webhook(self.options.webhook, self._receive)
            self._webhook.start(self.settings.timeout_seconds)
        if self.settings.url.lower() not in ("", "none"):
            self._mqtt = self._connect()

    def close(self) -> None:
        if self._mqtt is not None:
            self._mqtt.disconnect()
            self._mqtt.loop_stop()
            self._mqtt = None
        if self._webhook is not None:
            self._webhook.stop()
            self._webhook = None
        if self.inbox is not None:
            self.inbox.close()
            self.inbox = None

    def _connect(self) -> mqtt.Client:
        server = urlsplit(self.settings.url)
        if server.scheme not in ("mqtt", "mqtts") or not server.hostname:
            raise ValueError(f"lorawan: url {self.settings.url!r} is not mqtt://host:port, "
                             "mqtts://host:port or none")
        options = self.options
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311, clean_session=False,
            client_id=options.client_id or f"smartregion-{self.settings.partner}-"
                                          f"{options.application_id}")
        client.username_pw_set(options.username
                               or f"{options.application_id}@{options.tenant_id}",
                               options.secret())
        if server.scheme == "mqtts":
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.on_disconnect = lambda *_: self._subscribed.clear()
        client.on_message = self._on_message
        client.connect_async(server.hostname, server.port or (
            8883 if server.scheme == "mqtts" else 1883), keepalive=60)
        client.loop_start()
        return client

    def _on_connect(self, client: mqtt.Client, _data: Any, _flags: Any, reason: Any,
                    _properties: Any) -> None:
        if reason.is_failure:
            self._problems.append(f"lorawan: {self.settings.url} refused the connection: "
                                  f"{reason}")
            return
        client.subscribe(self.options.topic, qos=1)  # again after a reconnect: harmless

    def _on_message(self, _client: mqtt.Client, _data: Any, message: mqtt.MQTTMessage) -> None:
        """Stored before returning: paho acknowledges a QoS 1 message after this callback.
        A message that is not an uplink is acknowledged too (it can never be read) and
        reported in the next run."""
        with contextlib.suppress(UplinkError):  # reported through self._problems
            self._receive(message.payload, "mqtt")

    def _receive(self, raw: bytes, via: str) -> None:
        """Store one message; a malformed one is remembered as a problem line and raised."""
        assert self.inbox is not None
        try:
            self.inbox.add(raw, via)
        except UplinkError as error:
            self._problems.append(f"lorawan: {via} message not stored: {error}")
            raise

    # fetch → map ------------------------------------------------------------------------

    def fetch(self) -> tuple[list[tuple[int, Uplink]], list[str]]:
        """The inbox's uplinks, and what went wrong receiving since the last run."""
        self.start()
        assert self.inbox is not None
        problems: list[str] = []
        if self._mqtt is not None:
            # messages queued in the persistent session come first; after a reconnect
            # (Mosquitto restarted, a network hiccup) paho subscribes again by itself
            if self._subscribed.wait(self.settings.timeout_seconds) and not self._drained:
                threading.Event().wait(self.options.drain_seconds)
            self._drained = True
            if not self._subscribed.is_set():
                problems.append(f"lorawan: not subscribed at {self.settings.url} "
                                f"({self.options.topic}); uplinks wait there (persistent "
                                "session) or come by webhook")
        problems += self._problems
        self._problems = []
        rows = self.inbox.peek()
        self._fetched = [row_id for row_id, _ in rows]
        return rows, problems

    def acknowledge(self) -> None:
        if self.inbox is not None and self._fetched:
            self.inbox.remove(self._fetched)
        self._fetched = []

    def map(self, payload: tuple[list[tuple[int, Uplink]], list[str]]) -> Batch:
        rows, problems = payload
        batch = Batch(problems=list(problems))
        for uplink in sorted((uplink for _, uplink in rows), key=lambda u: u.received_at):
            device = self.options.devices.get(uplink.device_id)
            if device is None:
                if self.inbox is not None:
                    self.inbox.note_unknown(uplink)
                batch.problems.append(
                    f"lorawan: unknown device {uplink.device_id} (application "
                    f"{uplink.application_id}, DevEUI {uplink.dev_eui}) — add it to "
                    "options.devices")
                continue
            batch.extend(self._entities(uplink, device))
        return batch

    def _entities(self, uplink: Uplink, device: DeviceConfig) -> Batch:
        batch = Batch()
        decoded = uplink.decoded_payload
        where = f"lorawan: device {uplink.device_id} at {utc_text(uplink.received_at)}"
        battery: float | None = None
        if decoded is not None and device.battery_field:
            try:
                volts = read_quantity(decoded, device.battery_field, _VOLTS, device.battery_unit)
                span = device.battery_full_volts - device.battery_empty_volts
                battery = round(min(1.0, max(0.0, (volts - device.battery_empty_volts) / span)),
                                3)
            except ValueError as error:
                batch.problems.append(f"{where}: battery: {error}")
        batch.entities.append(self._device(uplink, device, battery))
        if device.type == "Device":
            return batch
        if decoded is None:
            batch.problems.append(f"{where}: no decoded_payload (no payload formatter?); "
                                  f"only the Device entity was updated")
            return batch
        try:
            batch.entities.append(self._observation(uplink, device, decoded))
        except ValueError as error:
            batch.problems.append(f"{where}: {error}")
        return batch

    def _device(self, uplink: Uplink, device: DeviceConfig,
                battery: float | None) -> dict[str, Any]:
        at = uplink.received_at
        reading = ";".join(f"{k}={v}" for k, v in sorted((uplink.decoded_payload or {}).items()))
        radio = ";".join(f"{k}={v}" for k, v in (("rssi", uplink.rssi), ("snr", uplink.snr))
                         if v is not None)
        attributes: dict[str, dict[str, Any]] = {
            "name": prop(device.name or uplink.device_id),
            "location": point(*device.location),
            "controlledProperty": prop(device.controlled_property or CONTROLLED[device.type]),
            "deviceCategory": prop(["sensor"]),
            "supportedProtocol": prop(["lora"]),
            "deviceState": prop("ok", observed_at=at),
            "dateLastValueReported": prop(utc_text(at)),
            "source": prop(self._source(uplink)),
        }
        if uplink.dev_eui:
            attributes["serialNumber"] = prop(uplink.dev_eui)
        if battery is not None:
            attributes["batteryLevel"] = measured("Device", "batteryLevel", battery, at)
        if reading or radio:
            attributes["value"] = prop(";".join(p for p in (reading, radio) if p),
                                       observed_at=at)
        return new_entity(self.settings, "Device", uplink.device_id, self._provider(),
                          **attributes)

    def _observation(self, uplink: Uplink, device: DeviceConfig,
                     decoded: dict[str, Any]) -> dict[str, Any]:
        at = uplink.received_at
        common = {"name": prop(device.name or uplink.device_id),
                  "location": point(*device.location),
                  "source": prop(self._source(uplink))}
        source_id = device.id or uplink.device_id
        if device.type == "WaterObserved":
            assert device.distance_field and device.sensor_height_cm is not None
            distance = read_quantity(decoded, device.distance_field, _LENGTH_CM,
                                     device.distance_unit)
            height = round(device.sensor_height_cm - distance, 1)
            device_id = entity_id("Device", self.settings.partner, uplink.device_id)
            return new_entity(self.settings, "WaterObserved", source_id, self._provider(),
                              **common, dateObserved=prop(utc_text(at)),
                              height=measured("WaterObserved", "height", height, at),
                              refDevice=relationship(device_id))
        assert device.total_spots is not None
        field = device.occupied_field or device.free_field
        assert field is not None
        count = round(read_quantity(decoded, field, {"": 1.0}, ""))
        if not 0 <= count <= device.total_spots:
            raise ValueError(f"{field} = {count} outside 0…{device.total_spots}")
        occupied = count if device.occupied_field else device.total_spots - count
        return new_entity(self.settings, "OffStreetParking", source_id, self._provider(),
                          **common, totalSpotNumber=prop(device.total_spots),
                          occupiedSpotNumber=prop(occupied, observed_at=at),
                          availableSpotNumber=prop(device.total_spots - occupied,
                                                   observed_at=at))

    def _provider(self) -> str:
        owner = partner_for(self.settings.partner)
        return f"{owner.title if owner else self.settings.partner} (LoRaWAN, The Things Stack)"

    def _source(self, uplink: Uplink) -> str:
        """The uplink's MQTT topic as a URL (``mqtt://server/v3/…/up``); for a webhook-only
        stream a URN naming the same (application, tenant, device)."""
        application = uplink.application_id or self.options.application_id
        topic = f"v3/{application}@{self.options.tenant_id}/devices/{uplink.device_id}/up"
        if self._mqtt is None and self.settings.url.lower() in ("", "none"):
            return f"urn:x-tts:{topic.replace('/', ':')}"
        return f"{self.settings.url.rstrip('/')}/{topic}"


class _Webhook:
    """The webhook receiver: a Starlette app served by uvicorn in a daemon thread."""

    def __init__(self, config: WebhookConfig, receive: Callable[[bytes, str], None]) -> None:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        secret = config.secret()

        def problem(status: int, title: str, detail: str) -> JSONResponse:
            return JSONResponse({"type": "about:blank", "title": title, "status": status,
                                 "detail": detail}, status_code=status,
                                media_type="application/problem+json")

        async def uplink(request: Request) -> JSONResponse:
            given = request.headers.get("x-webhook-token") or request.headers.get(
                "authorization", "").removeprefix("Bearer ").strip()
            if secret is not None and given != secret:
                return problem(401, "Unauthorized", "missing or wrong webhook token")
            body = await request.body()
            try:
                await run_in_threadpool(receive, body, "webhook")
            except UplinkError as error:
                return problem(400, "Not an uplink message", str(error))
            return JSONResponse({"stored": True}, status_code=202)

        app = Starlette(routes=[Route(config.path, uplink, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(
            app, host=config.host, port=config.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="lorawan-webhook",
                                       daemon=True)

    def start(self, timeout: float) -> None:
        self.thread.start()
        started = threading.Event()
        for _ in range(int(timeout * 20)):
            if self.server.started or not self.thread.is_alive():
                break
            started.wait(0.05)
        if not self.server.started:
            raise OSError("lorawan: the webhook server did not start (port in use?)")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
