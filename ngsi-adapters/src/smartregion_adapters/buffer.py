"""A durable, ordered outbox for entities on their way to the broker (stdlib ``sqlite3``).

Why on disk: when the broker is down the adapters keep running, and what they observed must
reach the broker later, in order, even across restarts. One SQLite file (WAL mode) per data
directory holds two tables:

- ``outbox``: one row per entity version, keyed by an increasing sequence number; this is the
  delivery order. Versions of the same entity are *not* coalesced: each is an observation
  that the broker's temporal history must receive exactly once, so dropping an older one
  would lose data. (Identical versions never get here: the sink skips unchanged content.)
- ``pushed``: per entity id, the hash of the last content the broker accepted, so unchanged
  values are skipped.
- ``observed``: per entity id, the newest observation time ever queued (see
  :func:`observation_time`), so that a source answering a window of past measurements on
  every run (PEGELONLINE's last 24 h) sends each of them once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

FILE_NAME = "outbox.sqlite3"
# Members the broker sets or that change without the observed content changing.
VOLATILE = frozenset({"createdAt", "modifiedAt", "deletedAt", "instanceId"})


def content_hash(entity: dict[str, Any]) -> str:
    """A hash of the entity's content without system/volatile members (at any depth)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    text = json.dumps(strip(entity), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def observation_time(entity: dict[str, Any]) -> datetime | None:
    """The latest ``observedAt`` of the entity's attributes (None if it has none)."""
    times = []
    for value in entity.values():
        for instance in value if isinstance(value, list) else [value]:
            if isinstance(instance, dict) and isinstance(instance.get("observedAt"), str):
                times.append(datetime.fromisoformat(instance["observedAt"].replace("Z", "+00:00")))
    return max(times, default=None)


class Outbox:
    """The outbox in ``data_dir``; rows come back from :meth:`peek` in arrival order."""

    def __init__(self, data_dir: str | Path) -> None:
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
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

    def close(self) -> None:
        self._db.close()

    def append(self, entities: Iterable[dict[str, Any]]) -> list[int]:
        """Store the entities (in this order, in one transaction); their sequence numbers."""
        seqs: list[int] = []
        with self._transaction():
            for entity in entities:
                cursor = self._db.execute(
                    "INSERT INTO outbox (entity_id, hash, body) VALUES (?, ?, ?)",
                    (entity["id"], content_hash(entity), json.dumps(entity, ensure_ascii=False)))
                seqs.append(int(cursor.lastrowid or 0))
                observed = observation_time(entity)
                if observed is not None:
                    self._db.execute(
                        "INSERT INTO observed (entity_id, observed_at) VALUES (?, ?)"
                        " ON CONFLICT (entity_id) DO UPDATE SET observed_at ="
                        " max(observed_at, excluded.observed_at)",
                        (entity["id"], observed.isoformat()))
        return seqs

    def latest_observation(self, entity_id: str) -> datetime | None:
        """The newest observation time of the entity ever queued (delivered or waiting)."""
        row = self._db.execute("SELECT observed_at FROM observed WHERE entity_id = ?",
                               (entity_id,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def peek(self, n: int) -> list[tuple[int, dict[str, Any]]]:
        """The oldest ``n`` rows as (sequence number, entity), oldest first."""
        rows = self._db.execute("SELECT seq, body FROM outbox ORDER BY seq LIMIT ?", (n,))
        return [(seq, json.loads(body)) for seq, body in rows]

    def remove(self, seqs: Iterable[int]) -> None:
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    def pending(self, seqs: Iterable[int] | None = None) -> int:
        """How many rows are waiting (of ``seqs`` if given, else all)."""
        if seqs is None:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        wanted = list(seqs)
        return sum(1 for s in wanted
                   if self._db.execute("SELECT 1 FROM outbox WHERE seq = ?", (s,)).fetchone())

    def latest_hash(self, entity_id: str) -> str | None:
        """The hash of the newest known version: still waiting in the outbox, else pushed."""
        row = self._db.execute(
            "SELECT hash FROM outbox WHERE entity_id = ? ORDER BY seq DESC LIMIT 1", (entity_id,)
        ).fetchone() or self._db.execute(
            "SELECT hash FROM pushed WHERE entity_id = ?", (entity_id,)).fetchone()
        return row[0] if row else None

    def record_pushed(self, entities: Iterable[dict[str, Any]]) -> None:
        """Remember the content the broker accepted, for skipping unchanged values."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO pushed (entity_id, hash) VALUES (?, ?) ON CONFLICT (entity_id)"
                " DO UPDATE SET hash = excluded.hash",
                [(e["id"], content_hash(e)) for e in entities])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT/ROLLBACK (the connection runs in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
