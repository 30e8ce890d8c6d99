"""A durable, ordered outbox for entities on their way to the broker (stdlib ``sqlite3``).

Why on disk: when the broker is down the adapters keep running, and what they observed must
reach the broker later, in order, even across restarts. One SQLite file (WAL mode) per data
directory holds two tables:

- ``outbox``: one row per entity version, keyed by an increasing sequence number; this is the
  delivery order. Versions of the same entity are *not* coalesced: each is an observation
  that the broker's temporal history must receive exactly once, so dropping an older one
  would lose data. (Identical versions never get here: the sink skips unchanged content.)
- ``pushed``: per entity id, the hash of the last content the broker accepted, so unchanged
  values are skipped, and a digest per attribute of what the broker holds, so that the sink
  sends only the attributes that changed (see :func:`member_digests`).
- ``observed``: per entity id, the newest observation time ever queued (see
  :func:`observation_time`), so that a source answering a window of past measurements on
  every run (PEGELONLINE's last 24 h) sends each of them once.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

FILE_NAME = "outbox.sqlite3"
# Members the broker sets or that change without the observed content changing.
VOLATILE = frozenset({"createdAt", "modifiedAt", "deletedAt", "instanceId"})
_VOLATILE_TEXT = tuple(f'"{name}"'.encode() for name in VOLATILE)
# SQLite's default limit of host parameters is 32766; look-ups go in chunks well below it.
_CHUNK = 900


def member_digests(entity: dict[str, Any]) -> dict[str, str]:
    """Per top-level member (attributes, ``id``, ``type``, ``@context``) a digest of its
    content without system/volatile members (at any depth).

    Why per member: the sink compares them with what the broker last accepted and sends only
    the attributes that changed. A gauge's new reading changes ``height`` and
    ``dateObserved``; sending the other five attributes again cost the broker a history row
    and index entries each, and made updates four times slower.
    """
    text = orjson.dumps(entity)
    if any(name in text for name in _VOLATILE_TEXT):  # rare (adapters never set them)
        entity = _strip(entity)
    return {name: hashlib.blake2b(orjson.dumps(value, option=orjson.OPT_SORT_KEYS),
                                  digest_size=16).hexdigest()
            for name, value in entity.items()}


def combined_hash(digests: dict[str, str]) -> str:
    """The content hash of an entity from its member digests (order-independent)."""
    text = "\n".join(f"{name}={digest}" for name, digest in sorted(digests.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(entity: dict[str, Any]) -> str:
    """A hash of the entity's content without system/volatile members (at any depth)."""
    return combined_hash(member_digests(entity))


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def observation_time(entity: dict[str, Any]) -> datetime | None:
    """The latest ``observedAt`` of the entity's attributes (None if it has none)."""
    latest: str | None = None
    for value in entity.values():
        for instance in value if isinstance(value, list) else [value]:
            if isinstance(instance, dict) and isinstance(instance.get("observedAt"), str):
                text = instance["observedAt"]
                if latest is None or _parse_time(text) > _parse_time(latest):
                    latest = text
    return _parse_time(latest) if latest is not None else None


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class OutboxRow:
    """One queued entity version with its content hash and member digests."""

    seq: int
    entity: dict[str, Any]
    hash: str
    digests: dict[str, str]

    @property
    def entity_id(self) -> str:
        return str(self.entity["id"])


@dataclass(frozen=True)
class KnownState:
    """What the outbox knows of an entity: the hash of its newest version (queued, else
    delivered) and the newest observation time ever queued."""

    hash: str | None = None
    observed_at: datetime | None = None


def _locked(method: Any) -> Any:
    """Serialize the outbox's operations: the sink delivers batches from worker threads, and
    a transaction (BEGIN … COMMIT) must not interleave with another on the one connection."""

    @functools.wraps(method)
    def call(self: Outbox, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return call


class Outbox:
    """The outbox in ``data_dir``; rows come back from :meth:`peek` in arrival order.
    Safe to use from several threads."""

    def __init__(self, data_dir: str | Path) -> None:
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " entity_id TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS outbox_entity ON outbox (entity_id, seq);"
            "CREATE TABLE IF NOT EXISTS pushed (entity_id TEXT PRIMARY KEY, hash TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS observed (entity_id TEXT PRIMARY KEY,"
            " observed_at TEXT NOT NULL);"
        )
        # Columns added later; an outbox file of an earlier version gets them here (rows
        # without digests are sent whole, as before).
        self._add_column("outbox", "digests")
        self._add_column("pushed", "digests")

    def _add_column(self, table: str, column: str) -> None:
        columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    @_locked
    def close(self) -> None:
        self._db.close()

    @_locked
    def append(self, entities: Sequence[dict[str, Any]],
               digests: Sequence[dict[str, str]] | None = None,
               observed: Sequence[datetime | None] | None = None) -> list[int]:
        """Store the entities (in this order, in one transaction); their sequence numbers.
        ``digests`` and ``observed``: their :func:`member_digests` and
        :func:`observation_time`, if the caller has them already."""
        if not entities:
            return []
        all_digests = digests if digests is not None else [member_digests(e) for e in entities]
        times = observed if observed is not None else [observation_time(e) for e in entities]
        newest: dict[str, datetime] = {}
        for entity, moment in zip(entities, times, strict=True):
            if moment is not None and (entity["id"] not in newest or moment > newest[entity["id"]]):
                newest[entity["id"]] = moment
        with self._transaction():
            self._db.executemany(
                "INSERT INTO outbox (entity_id, hash, body, digests) VALUES (?, ?, ?, ?)",
                [(entity["id"], combined_hash(entity_digests), orjson.dumps(entity).decode(),
                  orjson.dumps(entity_digests).decode())
                 for entity, entity_digests in zip(entities, all_digests, strict=True)])
            # AUTOINCREMENT numbers the rows of one (exclusive) transaction consecutively
            last = int(self._db.execute("SELECT max(seq) FROM outbox").fetchone()[0])
            self._db.executemany(
                "INSERT INTO observed (entity_id, observed_at) VALUES (?, ?)"
                " ON CONFLICT (entity_id) DO UPDATE SET observed_at ="
                " max(observed_at, excluded.observed_at)",
                [(entity_id, moment.isoformat()) for entity_id, moment in newest.items()])
        return list(range(last - len(entities) + 1, last + 1))

    @_locked
    def known(self, entity_ids: Iterable[str]) -> dict[str, KnownState]:
        """:class:`KnownState` of each of the ids the outbox knows anything of, looked up a
        chunk of ids per query (one query per entity cost more than the broker's write)."""
        hashes: dict[str, str] = {}
        observed: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(entity_ids))):
            marks = ",".join("?" * len(chunk))
            hashes.update(self._db.execute(
                f"SELECT entity_id, hash FROM pushed WHERE entity_id IN ({marks})", chunk))
            hashes.update(self._db.execute(  # a waiting version is newer than the pushed one
                f"SELECT entity_id, hash FROM outbox WHERE entity_id IN ({marks})"
                " ORDER BY seq", chunk))
            observed.update(self._db.execute(
                f"SELECT entity_id, observed_at FROM observed WHERE entity_id IN ({marks})",
                chunk))
        return {entity_id: KnownState(hashes.get(entity_id), datetime.fromisoformat(observed[
            entity_id]) if entity_id in observed else None)
            for entity_id in hashes.keys() | observed.keys()}

    def latest_observation(self, entity_id: str) -> datetime | None:
        """The newest observation time of the entity ever queued (delivered or waiting)."""
        return self.known([entity_id]).get(entity_id, KnownState()).observed_at

    def latest_hash(self, entity_id: str) -> str | None:
        """The hash of the newest known version: still waiting in the outbox, else pushed."""
        return self.known([entity_id]).get(entity_id, KnownState()).hash

    def peek(self, n: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest ``n`` rows as (sequence number, entity), oldest first."""
        return [(row.seq, row.entity) for row in self.peek_rows(n)]

    @_locked
    def peek_rows(self, n: int, after: int = 0) -> list[OutboxRow]:
        """The oldest ``n`` rows after sequence number ``after``, with their hashes and
        member digests, oldest first."""
        rows = self._db.execute(
            "SELECT seq, body, hash, digests FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, n))
        result = []
        for seq, body, digest, digests in rows:
            entity = orjson.loads(body)
            result.append(OutboxRow(seq, entity, digest, orjson.loads(digests) if digests
                                    else member_digests(entity)))
        return result

    @_locked
    def remove(self, seqs: Iterable[int]) -> None:
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    @_locked
    def pending(self, seqs: Iterable[int] | None = None) -> int:
        """How many rows are waiting (of ``seqs`` if given, else all)."""
        if seqs is None:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        waiting = 0
        for chunk in _chunks(list(seqs)):
            marks = ",".join("?" * len(chunk))
            waiting += int(self._db.execute(
                f"SELECT count(*) FROM outbox WHERE seq IN ({marks})", chunk).fetchone()[0])
        return waiting

    @_locked
    def delivered_digests(self, entity_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """Per entity id the member digests of what the broker holds (from earlier
        deliveries); ids never delivered, or delivered before digests were kept, are absent."""
        found: dict[str, dict[str, str]] = {}
        for chunk in _chunks(list(dict.fromkeys(entity_ids))):
            marks = ",".join("?" * len(chunk))
            for entity_id, digests in self._db.execute(
                    f"SELECT entity_id, digests FROM pushed WHERE entity_id IN ({marks})"
                    " AND digests IS NOT NULL", chunk):
                found[entity_id] = orjson.loads(digests)
        return found

    def record_pushed(self, entities: Iterable[dict[str, Any]]) -> None:
        """Remember the content the broker accepted (whole entities)."""
        delivered = []
        for entity in entities:
            digests = member_digests(entity)
            delivered.append((combined_hash(digests), entity["id"], digests))
        self.record_delivered(delivered)

    @_locked
    def record_delivered(self, delivered: Iterable[tuple[str, str, dict[str, str]]]) -> None:
        """Remember (hash, entity id, member digests the broker now holds) per delivery."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO pushed (entity_id, hash, digests) VALUES (?, ?, ?)"
                " ON CONFLICT (entity_id) DO UPDATE SET hash = excluded.hash,"
                " digests = excluded.digests",
                [(entity_id, digest, orjson.dumps(digests).decode())
                 for digest, entity_id, digests in delivered])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT/ROLLBACK (the connection runs in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
