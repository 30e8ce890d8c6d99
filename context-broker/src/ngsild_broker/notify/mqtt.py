"""Delivery of a notification by MQTT publish (NGSI-LD MQTT binding): the topic is the
path of ``mqtt://host:port/topic``, the message ``{"metadata": {headers}, "body": …}``, the
QoS from ``notifierInfo`` ``MQTT-QoS`` (0 or 1). One paho client per broker address,
kept connected between notifications; blocking calls run in threads with a timeout."""

from __future__ import annotations

import asyncio
import ssl
import threading
import uuid
from urllib.parse import unquote, urlparse

import orjson
import paho.mqtt.client as paho

from .envelope import Envelope


class MqttSender:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._clients: dict[tuple, paho.Client] = {}
        self._lock = threading.Lock()

    async def send(self, uri: str, envelope: Envelope, qos: int) -> str | None:
        """None once the message is written (QoS 0) or acknowledged (QoS 1)."""
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self._publish, uri, envelope, qos), self.timeout + 1
            )
        except TimeoutError:
            return "MQTT publish timed out"

    def _publish(self, uri: str, envelope: Envelope, qos: int) -> str | None:
        target = urlparse(uri)
        topic = unquote(target.path.lstrip("/"))
        payload = orjson.dumps({"metadata": envelope.headers, "body": envelope.body})
        try:
            client = self._client(target)
            info = client.publish(topic, payload, qos=qos)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                self._drop(target)
                return f"MQTT publish failed: {paho.error_string(info.rc)}"
            info.wait_for_publish(self.timeout)
            if not info.is_published():
                self._drop(target)
                return "MQTT publish not acknowledged"
        except (OSError, ValueError, RuntimeError) as error:
            self._drop(target)
            return f"MQTT: {type(error).__name__}: {error}"[:300]
        return None

    def _client(self, target) -> paho.Client:  # type: ignore[no-untyped-def]
        key = _key(target)
        with self._lock:
            client = self._clients.get(key)
            if client is not None and client.is_connected():
                return client
            if client is not None:
                client.loop_stop()
            client = paho.Client(
                paho.CallbackAPIVersion.VERSION2,
                client_id=f"ngsild-broker-{uuid.uuid4().hex[:12]}",
            )
            if target.username:
                client.username_pw_set(unquote(target.username), unquote(target.password or ""))
            if target.scheme == "mqtts":
                client.tls_set_context(ssl.create_default_context())
            connected = threading.Event()
            refused: list[str] = []

            def on_connect(client, userdata, flags, reason, properties):  # type: ignore[no-untyped-def]
                if reason.is_failure:
                    refused.append(str(reason))
                connected.set()

            client.on_connect = on_connect
            client.connect(target.hostname, target.port or (8883 if key[0] == "mqtts" else 1883),
                           keepalive=60)
            client.loop_start()
            if not connected.wait(self.timeout):
                client.loop_stop()
                raise OSError("MQTT broker did not accept the connection in time")
            if refused:
                client.loop_stop()
                raise OSError(f"MQTT broker refused the connection: {refused[0]}")
            self._clients[key] = client
            return client

    def _drop(self, target) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            client = self._clients.pop(_key(target), None)
        if client is not None:
            client.loop_stop()
            client.disconnect()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.disconnect()
            client.loop_stop()


def _key(target) -> tuple:  # type: ignore[no-untyped-def]
    return (target.scheme, target.hostname, target.port, target.username, target.password)
