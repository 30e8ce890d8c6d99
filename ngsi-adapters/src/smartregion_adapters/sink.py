"""Pushing entities to any NGSI-LD broker: skip unchanged, buffer, batch upsert, retry.

Everything goes through the durable :class:`~smartregion_adapters.buffer.Outbox` first, so
the broker being down never loses an observation: :meth:`BrokerSink.flush` sends the
oldest rows as batch upserts and removes them only once the broker has answered. Order is
kept strictly: a batch is only sent after every earlier one was answered, and a batch never
holds two versions of one entity (the broker writes a batch in one statement, and each
version must become its own temporal instance).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from .buffer import Outbox, content_hash, observation_time

UPSERT_PATH = "/ngsi-ld/v1/entityOperations/upsert"
# Entities carry their @context in the body, so the broker requires application/ld+json
# (and no Link header): context-broker/src/ngsild_broker/api/negotiation.py.
JSON_LD = "application/ld+json"
# Whole-batch answers meaning "this data will never be accepted": drop and report.
DROP_STATUSES = frozenset({400, 422})


@dataclass
class SinkReport:
    """What pushing and flushing did; ``errors`` are the broker's per-entity ProblemDetails."""

    pushed: int = 0
    skipped_unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    attempts: int = 0

    def problems(self) -> list[str]:
        lines = [f"{e.get('entityId')}: {(e.get('error') or {}).get('title') or e.get('error')}"
                 for e in self.errors]
        return lines + self.failures


@dataclass
class PushResult:
    """The fate of one :meth:`BrokerSink.push` call's entities."""

    received: int
    skipped_unchanged: int
    seqs: list[int]
    buffered: int = 0


class BrokerSink:
    """Sends entities to ``broker_url`` with ``Authorization: Bearer <token>`` if a token is set."""

    def __init__(self, broker_url: str, token: str | None, buffer: Outbox,
                 client: httpx.Client, *, batch_size: int = 100, max_attempts: int = 5,
                 backoff_base: float = 0.5, backoff_cap: float = 30.0,
                 timeout_seconds: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = broker_url.rstrip("/") + UPSERT_PATH
        self.headers = {"Content-Type": JSON_LD, "Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.buffer = buffer
        self.client = client
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout_seconds
        self.sleep = sleep
        self.report = SinkReport()

    def push(self, entities: list[dict[str, Any]]) -> PushResult:
        """Buffer what changed, then flush; the result says what is still undelivered."""
        changed: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        newest: dict[str, datetime | None] = {}
        for entity in entities:
            entity_id = entity["id"]
            observed = observation_time(entity)
            if entity_id not in newest:
                newest[entity_id] = self.buffer.latest_observation(entity_id)
            known = newest[entity_id]
            if observed is not None and known is not None and observed <= known:
                continue  # an observation already sent (a source's window of past values)
            digest = content_hash(entity)
            last = seen.get(entity_id) or self.buffer.latest_hash(entity_id)
            if digest == last:
                continue
            seen[entity_id] = digest
            if observed is not None:
                newest[entity_id] = observed
            changed.append(entity)
        skipped = len(entities) - len(changed)
        self.report.skipped_unchanged += skipped
        result = PushResult(len(entities), skipped, self.buffer.append(changed))
        self.flush()
        result.buffered = self.buffer.pending(result.seqs)
        return result

    def flush(self) -> bool:
        """Deliver the outbox in order; False if the broker stayed unreachable (rows kept)."""
        while rows := self._next_batch():
            response = self._send([entity for _, entity in rows])
            if response is None or not self._settle(rows, response):
                return False
        return True

    def _next_batch(self) -> list[tuple[int, dict[str, Any]]]:
        """The oldest rows up to the batch size, cut before a second version of an entity."""
        batch: list[tuple[int, dict[str, Any]]] = []
        ids: set[str] = set()
        for seq, entity in self.buffer.peek(self.batch_size):
            if entity["id"] in ids:
                break
            ids.add(entity["id"])
            batch.append((seq, entity))
        return batch

    def _send(self, entities: list[dict[str, Any]]) -> httpx.Response | None:
        """POST with exponential backoff on transport errors and 5xx; None after giving up."""
        for attempt in range(self.max_attempts):
            if attempt:
                self.sleep(min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))
            self.report.attempts += 1
            try:
                response = self.client.post(self.url, params={"options": "update"},
                                            json=entities, headers=self.headers,
                                            timeout=self.timeout)
            except httpx.HTTPError as error:
                problem = f"{self.url}: {error!r}"
            else:
                if response.status_code < 500:
                    return response
                problem = f"{self.url}: HTTP {response.status_code} {response.text[:200]}"
        self.report.failures.append(
            f"broker not reachable after {self.max_attempts} attempts ({problem}); "
            f"{self.buffer.pending()} entities kept in the buffer")
        return None

    def _settle(self, rows: list[tuple[int, dict[str, Any]]], response: httpx.Response) -> bool:
        """Remove what the broker answered for; False (stop flushing) if rows must wait."""
        entities = [entity for _, entity in rows]
        if response.status_code in (200, 201, 204):
            self.buffer.record_pushed(entities)
            self.buffer.remove(seq for seq, _ in rows)
            self.report.pushed += len(rows)
            return True
        if response.status_code == 207:
            body = response.json()
            failed = {e.get("entityId"): e for e in body.get("errors", [])}
            retry = {i for i, e in failed.items()
                     if (e.get("error") or {}).get("status", 400) >= 500}
            self.report.errors += [e for i, e in failed.items() if i not in retry]
            done = [(s, e) for s, e in rows if e["id"] not in failed]
            self.buffer.record_pushed(e for _, e in done)
            self.buffer.remove(s for s, e in rows if e["id"] not in retry)
            self.report.pushed += len(done)
            if retry:
                self.report.failures.append(f"broker failed on {sorted(retry)}; kept for retry")
            return not retry
        problem = _problem(response)
        if response.status_code not in DROP_STATUSES:
            # 401/403/404/413/429…: configuration or load, not the data; keep for later.
            self.report.failures.append(f"{self.url}: HTTP {response.status_code} {problem}; "
                                        f"{self.buffer.pending()} entities kept in the buffer")
            return False
        # The batch itself is malformed: the broker will not accept it on retry.
        self.report.errors += [{"entityId": e["id"], "error": problem} for e in entities]
        self.buffer.remove(seq for seq, _ in rows)
        return True


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"status": response.status_code, "title": response.text[:200]}
