"""LoRaWAN uplinks of The Things Stack v3: the message parser and a durable inbox.

Uplinks are pushed to us (MQTT, webhook) at any time, while the adapters run their streams on
a schedule; the inbox keeps what arrived until a run has turned it into entities and the
sink holds those in its outbox. It is a SQLite file (WAL mode) next to the outbox, written
before a message is acknowledged (MQTT QoS 1 PUBACK, webhook 202), so nothing a network
server delivered is lost when the adapter, the machine or the broker goes down.

The message format: ``../shared/reference/live-sources.md`` §8.4 (TTS "uplink message"; empty
fields are omitted by TTS, so almost everything is optional except the device and the
``uplink_message`` itself).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

FILE_NAME = "uplinks.sqlite3"
# TTS writes nanoseconds ("2025-03-14T09:31:05.123456789Z"); Python reads at most micro.
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


class UplinkError(ValueError):
    """The message is not a TTS uplink; the text says what is missing or malformed."""


@dataclass(frozen=True)
class Uplink:
    """What the adapters use of one uplink message."""

    device_id: str
    received_at: datetime
    application_id: str | None = None
    dev_eui: str | None = None
    f_port: int | None = None
    f_cnt: int | None = None
    decoded_payload: dict[str, Any] | None = None
    rssi: float | None = None
    snr: float | None = None
    gateways: tuple[str, ...] = ()


def parse_time(text: object) -> datetime:
    """A TTS timestamp (RFC 3339, up to nine fractional digits) as an aware UTC datetime."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise UplinkError(f"received_at {text!r} is not an RFC 3339 time")
    fraction = (match[2] or "")[:6].ljust(6, "0")
    zone = "+00:00" if match[3] == "Z" else match[3]
    return datetime.fromisoformat(f"{match[1]}.{fraction}{zone}").astimezone(UTC)


def parse_uplink(data: bytes | str | dict[str, Any]) -> Uplink:
    """The :class:`Uplink` of a TTS uplink message, or :class:`UplinkError`."""
    if isinstance(data, bytes | str):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise UplinkError(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise UplinkError(f"expected a JSON object, got {type(data).__name__}")
    ids = data.get("end_device_ids")
    device_id = ids.get("device_id") if isinstance(ids, dict) else None
    if not isinstance(device_id, str) or not device_id:
        raise UplinkError("no end_device_ids.device_id")
    message = data.get("uplink_message")
    if not isinstance(message, dict):
        raise UplinkError(f"device {device_id}: no uplink_message (not an uplink)")
    received = message.get("received_at", data.get("received_at"))
    application = ids.get("application_ids")
    decoded = message.get("decoded_payload")
    if decoded is not None and not isinstance(decoded, dict):
        raise UplinkError(f"device {device_id}: decoded_payload is not an object")
    metadata = [m for m in message.get("rx_metadata") or [] if isinstance(m, dict)]
    return Uplink(
        device_id=device_id,
        received_at=parse_time(received),
        application_id=application.get("application_id")
        if isinstance(application, dict) else None,
        dev_eui=ids.get("dev_eui") if isinstance(ids.get("dev_eui"), str) else None,
        f_port=_integer(message.get("f_port")),
        f_cnt=_integer(message.get("f_cnt")),
        decoded_payload=decoded,
        rssi=_best(metadata, "rssi"),
        snr=_best(metadata, "snr"),
        gateways=tuple(str(m["gateway_ids"]["gateway_id"]) for m in metadata
                       if isinstance(m.get("gateway_ids"), dict)
                       and m["gateway_ids"].get("gateway_id")),
    )


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _best(metadata: list[dict[str, Any]], key: str) -> float | None:
    """The best reception over all gateways that heard the uplink (highest value)."""
    values = [m[key] for m in metadata
              if isinstance(m.get(key), int | float) and not isinstance(m.get(key), bool)]
    return max(values, default=None)


class UplinkInbox:
    """The uplinks received and not yet turned into entities, oldest first; thread-safe
    (the MQTT client's thread and the webhook's write, the runner reads)."""

    def __init__(self, data_dir: str | Path) -> None:
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an acknowledged uplink is on disk
        with self._db:
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS uplinks (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " via TEXT NOT NULL, stored_at TEXT NOT NULL, body BLOB NOT NULL);"
                "CREATE TABLE IF NOT EXISTS unknown_devices (device_id TEXT PRIMARY KEY,"
                " application_id TEXT, dev_eui TEXT, first_seen TEXT NOT NULL,"
                " last_seen TEXT NOT NULL, count INTEGER NOT NULL, last_payload TEXT);")

    def add(self, raw: bytes, via: str) -> int:
        """Store one message (``via``: ``mqtt``, ``webhook``) if it is an uplink; its row id.
        Raises :class:`UplinkError` (nothing stored) otherwise."""
        parse_uplink(raw)
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO uplinks (via, stored_at, body) VALUES (?, ?, ?)",
                (via, datetime.now(UTC).isoformat(), bytes(raw)))
            return int(cursor.lastrowid or 0)

    def peek(self, limit: int = 10_000) -> list[tuple[int, Uplink]]:
        """The oldest ``limit`` uplinks as (row id, uplink)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM uplinks ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [(row_id, parse_uplink(body)) for row_id, body in rows]

    def remove(self, row_ids: Iterable[int]) -> None:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM uplinks WHERE id = ?", [(i,) for i in row_ids])

    def pending(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM uplinks").fetchone()[0])

    def note_unknown(self, uplink: Uplink) -> None:
        """Remember a device that is not configured, so an operator can add it."""
        seen = uplink.received_at.isoformat()
        payload = orjson.dumps(uplink.decoded_payload).decode()
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO unknown_devices VALUES (?, ?, ?, ?, ?, 1, ?)"
                " ON CONFLICT (device_id) DO UPDATE SET last_seen = max(last_seen,"
                " excluded.last_seen), count = count + 1, last_payload = excluded.last_payload,"
                " application_id = excluded.application_id, dev_eui = excluded.dev_eui",
                (uplink.device_id, uplink.application_id, uplink.dev_eui, seen, seen, payload))

    def unknown_devices(self) -> list[dict[str, Any]]:
        """Every device heard but not configured, with first/last seen and the count."""
        with self._lock:
            cursor = self._db.execute("SELECT * FROM unknown_devices ORDER BY device_id")
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()
