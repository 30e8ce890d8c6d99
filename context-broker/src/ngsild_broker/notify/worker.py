"""The notifier: turns recorded entity changes into delivered notifications.

Exactly one process delivers, whatever the number of broker processes on the database:
the one holding the session advisory lock ``NOTIFIER_LOCK`` on its own connection (the
others retry every ``LEADER_RETRY`` seconds, so a crashed leader is replaced within that
time; PostgreSQL frees the lock with the session). The leader LISTENs on the channel the
change trigger notifies and polls every ``notify_poll`` seconds as a fallback.

One cycle:

1. **match** (when the trigger NOTIFYed, at most every ``MATCH_GAP`` s, and at every
   poll) - take up to ``BATCH`` rows of ``entity_changes``, copy those matching each
   active subscription into ``notification_outbox`` (one INSERT … SELECT for up to
   ``MATCH_CHUNK`` subscriptions, see :mod:`.matching`) and delete them, all in one
   transaction: a crash before the commit leaves the changes to the next leader, after it
   the outbox holds them.
2. **periodic** - subscriptions with ``timeInterval`` queue the matching entities' state.
3. **dispatch** - the oldest ``PER_NOTIFICATION`` outbox rows of every subscription
   without a delivery under way, read in one statement; per subscription with due rows
   one delivery task (so a subscription's notifications stay in order, and a receiver
   that hangs holds only its own subscription) sends them as one notification, and goes
   on while full notifications are waiting and the receiver takes them.
   Delivered rows are deleted; on failure they wait ``0.5 s * 2^attempts`` (at most
   ``notify_retry_cap``) and are dropped once older than ``notify_max_age`` (each failed
   attempt counts in ``timesFailed``). Throttling delays (and so coalesces) notifications
   until ``throttling`` seconds after the last one; nothing is dropped for it.

Delivery is at least once: a leader that dies between a successful POST and deleting the
rows sends them again after the takeover.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from ..contexts import Contexts
from ..errors import NgsiLdError
from ..settings import BrokerSettings
from .envelope import envelope
from .http import HttpSender
from .matching import change_statement, combined_change_statement, periodic_statement
from .mqtt import MqttSender
from .render import RenderCache, notification_body
from .subscription import qos_of, status_of

log = logging.getLogger(__name__)

CHANNEL = "ngsild_changes"  # NOTIFYed by the change trigger (store/subscriptions.sql)
SUBSCRIPTIONS_CHANNEL = "ngsild_subscriptions"  # NOTIFYed by every subscription write
MATCH_GAP = 0.05
MATCH_CHUNK = 100  # subscriptions per matching statement
NOTIFIER_LOCK = 0x6E67736E  # "ngsn"
LEADER_RETRY = 5.0
BATCH = 1000
PER_NOTIFICATION = 100
BACKOFF_BASE = 0.5


#: Outcome of one delivery ($1 tenant, $2 subscription, $3 outbox ids, $4 retry delay).
DELIVERED_SQL = (
    "WITH gone AS (DELETE FROM notification_outbox WHERE id = ANY($3::bigint[])) "
    "UPDATE subscriptions SET times_sent = times_sent + 1, last_notification = now(), "
    "last_success = now() WHERE tenant = $1 AND id = $2"
)
FAILED_SQL = (
    "WITH later AS (UPDATE notification_outbox SET attempts = attempts + 1, "
    "next_attempt = now() + $4::interval WHERE id = ANY($3::bigint[])) "
    "UPDATE subscriptions SET times_failed = times_failed + 1, last_notification = now(), "
    "last_failure = now() WHERE tenant = $1 AND id = $2"
)


@dataclass
class Subscription:
    tenant: str
    id: str
    stored: dict[str, Any]
    context: Any
    terms: Any
    throttling: float | None
    time_interval: float | None
    last_notification: datetime | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.tenant, self.id)

    @property
    def status(self) -> str:
        return status_of(self.stored)


class Notifier:
    def __init__(self, settings: BrokerSettings, pool: asyncpg.Pool, contexts: Contexts) -> None:
        self.settings = settings
        self.pool = pool
        self.contexts = contexts
        self.http = HttpSender(settings.notify_timeout)
        self.mqtt = MqttSender(settings.notify_timeout)
        self.wake = asyncio.Event()
        self.rendered = RenderCache()
        self.in_flight: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.next_periodic: dict[tuple[str, str], float] = {}
        self.task: asyncio.Task[None] | None = None
        self.is_leader = False
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.subscriptions_changed = True
        self.changes_pending = True
        self.last_match = 0.0

    async def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="notifier")

    async def stop(self) -> None:
        tasks = [t for t in (self.task, *self.in_flight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.http.close()
        await asyncio.to_thread(self.mqtt.close)

    async def _run(self) -> None:
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.settings.database_dsn)
                while not await connection.fetchval("SELECT pg_try_advisory_lock($1)",
                                                    NOTIFIER_LOCK):
                    await asyncio.sleep(LEADER_RETRY)
                self.is_leader = True
                self.changes_pending = self.subscriptions_changed = True
                log.info("this process delivers notifications")
                await connection.add_listener(CHANNEL, self._changes_notified)
                await connection.add_listener(SUBSCRIPTIONS_CHANNEL, self._subscriptions_notified)
                while True:
                    await self.cycle()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), self.settings.notify_poll)
                    if not self.wake.is_set():  # the poll: look at everything again
                        await connection.execute("SELECT 1")  # the lock lives with it
                        self.changes_pending = self.subscriptions_changed = True
                    self.wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifier failed; retrying")
                await asyncio.sleep(1)
            finally:
                self.is_leader = False
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close()

    def _changes_notified(self, *args: object) -> None:
        self.changes_pending = True
        self.wake.set()

    def _subscriptions_notified(self, *args: object) -> None:
        self.subscriptions_changed = True
        self.wake.set()

    async def cycle(self) -> None:
        """Reload subscriptions only when they changed, match only when changes arrived
        (at most every ``MATCH_GAP`` seconds, so that busy writers give bigger batches
        rather than one statement per subscription per change); dispatch always (a
        finished delivery wakes the loop for the next one)."""
        if self.changes_pending:
            loop = asyncio.get_running_loop()
            await asyncio.sleep(max(0.0, self.last_match + MATCH_GAP - loop.time()))
        # after that wait: a subscription created during it must be known before its first
        # changes are matched (and deleted from entity_changes)
        if self.subscriptions_changed:
            self.subscriptions_changed = False
            self.subscriptions = await self._load()
            await self.http.forget(self.subscriptions)
        if self.changes_pending:
            self.changes_pending = False
            self.last_match = loop.time()
            await self._match(self.subscriptions)
        await self._periodic(self.subscriptions)
        await self._dispatch(self.subscriptions)

    async def _load(self) -> dict[tuple[str, str], Subscription]:
        rows = await self.pool.fetch(
            "SELECT tenant, id, body, context, throttling, time_interval, last_notification "
            "FROM subscriptions"
        )
        found = {}
        for row in rows:
            try:
                terms = await self.contexts.terms(row["context"])
            except NgsiLdError as error:
                log.warning("subscription %s: @context unusable: %s", row["id"], error.detail)
                continue
            sub = Subscription(
                tenant=row["tenant"], id=row["id"], stored=row["body"], context=row["context"],
                terms=terms, throttling=row["throttling"], time_interval=row["time_interval"],
                last_notification=row["last_notification"],
            )
            found[sub.key] = sub
        return found

    async def _match(self, subscriptions: dict[tuple[str, str], Subscription]) -> None:
        while True:
            async with self.pool.acquire() as connection, connection.transaction():
                rows = await connection.fetch(
                    "SELECT seq, tenant FROM entity_changes ORDER BY seq LIMIT $1", BATCH
                )
                if not rows:
                    return
                seqs = [row["seq"] for row in rows]
                tenants = {row["tenant"] for row in rows}
                matching = [
                    sub for sub in subscriptions.values()
                    if sub.tenant in tenants and sub.time_interval is None
                    and sub.status == "active"
                ]
                for start in range(0, len(matching), MATCH_CHUNK):
                    await self._match_chunk(connection, matching[start:start + MATCH_CHUNK], seqs)
                await connection.execute(
                    "DELETE FROM entity_changes WHERE seq = ANY($1::bigint[])", seqs
                )
            if len(rows) < BATCH:
                return

    @staticmethod
    async def _match_chunk(
        connection: asyncpg.Connection, subs: list[Subscription], seqs: list[int]
    ) -> None:
        """Subscriptions matched in one statement; if PostgreSQL rejects it (an idPattern
        its regex dialect does not take), one by one so only that subscription is skipped."""
        statement = combined_change_statement(
            [(sub.tenant, sub.id, sub.stored, sub.terms) for sub in subs]
        )
        statement.params[0] = seqs
        try:
            async with connection.transaction():
                await connection.execute(statement.sql, *statement.params)
            return
        except asyncpg.PostgresError:
            pass
        for sub in subs:
            single = change_statement(sub.tenant, sub.id, sub.stored, sub.terms)
            single.params[2] = seqs
            await _execute_guarded(connection, sub, single.sql, single.params)

    async def _periodic(self, subscriptions: dict[tuple[str, str], Subscription]) -> None:
        now = asyncio.get_running_loop().time()
        for key in set(self.next_periodic) - set(subscriptions):
            del self.next_periodic[key]
        for sub in subscriptions.values():
            if sub.time_interval is None or sub.status != "active":
                continue
            if now < self.next_periodic.get(sub.key, 0):
                continue
            self.next_periodic[sub.key] = now + sub.time_interval
            async with self.pool.acquire() as connection, connection.transaction():
                pending = await connection.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM notification_outbox "
                    "WHERE tenant = $1 AND subscription_id = $2)", sub.tenant, sub.id,
                )
                if not pending:  # a receiver that is down does not pile up snapshots
                    statement = periodic_statement(sub.tenant, sub.id, sub.stored, sub.terms)
                    await _execute_guarded(connection, sub, statement.sql, statement.params)

    async def _dispatch(self, subscriptions: dict[tuple[str, str], Subscription]) -> None:
        # The oldest rows of every subscription that is due (its oldest row's retry time
        # has come) and without a delivery under way, in one statement through the outbox
        # index (at most PER_NOTIFICATION per subscription however long a dead receiver's
        # queue has grown): a round trip per notification was the largest part of the
        # latency at hundreds of notifications per second.
        busy = list(self.in_flight)
        rows = await self.pool.fetch(
            "SELECT o.* FROM subscriptions s "
            "CROSS JOIN LATERAL (SELECT h.next_attempt FROM notification_outbox h "
            "WHERE h.tenant = s.tenant AND h.subscription_id = s.id ORDER BY h.id LIMIT 1) "
            "AS head "
            "CROSS JOIN LATERAL (SELECT * FROM notification_outbox o WHERE o.tenant = s.tenant "
            "AND o.subscription_id = s.id ORDER BY o.id LIMIT $1) AS o "
            "WHERE head.next_attempt <= now() "
            "AND (s.tenant, s.id) NOT IN (SELECT * FROM unnest($2::text[], $3::text[])) "
            "ORDER BY o.id",
            PER_NOTIFICATION, [k[0] for k in busy], [k[1] for k in busy],
        )
        waiting: dict[tuple[str, str], list[asyncpg.Record]] = {}
        for row in rows:
            waiting.setdefault((row["tenant"], row["subscription_id"]), []).append(row)
        now = datetime.now(UTC)
        for key, queued in waiting.items():
            sub = subscriptions.get(key)
            if sub is None or key in self.in_flight:
                continue
            if sub.status == "expired":
                await self.pool.execute(
                    "DELETE FROM notification_outbox WHERE tenant = $1 AND subscription_id = $2",
                    *key,
                )
                continue
            if sub.status != "active":
                continue
            if sub.throttling and sub.last_notification is not None and \
                    now < sub.last_notification + timedelta(seconds=sub.throttling):
                continue
            task = asyncio.create_task(self._deliver(sub, queued))
            self.in_flight[key] = task

    async def _deliver(self, sub: Subscription, rows: list[asyncpg.Record]) -> None:
        """Deliver the rows the dispatch found, then go on while a full notification's worth
        was waiting and the receiver takes them, so a busy subscription streams without
        waiting for the next cycle; throttled ones send one notification per dispatch."""
        try:
            while await self._deliver_once(sub, rows) and not sub.throttling \
                    and len(rows) == PER_NOTIFICATION:
                current = self.subscriptions.get(sub.key)
                if current is None or current.status != "active":
                    break
                sub = current
                rows = await self._queued(sub)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery for subscription %s failed", sub.id)
        finally:
            self.in_flight.pop(sub.key, None)
            self.wake.set()

    async def _queued(self, sub: Subscription) -> list[asyncpg.Record]:
        return await self.pool.fetch(
            "SELECT * FROM notification_outbox WHERE tenant = $1 AND subscription_id = $2 "
            "ORDER BY id LIMIT $3", sub.tenant, sub.id, PER_NOTIFICATION,
        )

    async def _deliver_once(self, sub: Subscription, rows: list[asyncpg.Record]) -> bool:
        """One notification of the given (oldest) rows; True when it was delivered."""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.settings.notify_max_age)
        too_old = [r["id"] for r in rows if r["attempts"] > 0 and r["changed_at"] < cutoff]
        if too_old:  # given up: they were counted in timesFailed at every attempt
            await self.pool.execute(
                "DELETE FROM notification_outbox WHERE id = ANY($1::bigint[])", too_old
            )
            log.warning("subscription %s: %d notifications older than %s s dropped",
                        sub.id, len(too_old), self.settings.notify_max_age)
            return False
        if not rows:
            return False
        ids = [row["id"] for row in rows]
        endpoint = sub.stored["notification"]["endpoint"]
        body = notification_body(sub.id, sub.stored, list(rows), sub.terms, self.rendered)
        message = envelope(body, endpoint, sub.context, sub.tenant)
        uri = endpoint["uri"]
        if uri.startswith("mqtt"):
            error = await self.mqtt.send(uri, message, qos_of(endpoint))
        else:
            error = await self.http.send(uri, message, sub.key)
        # Each outcome is one statement (atomic on its own): one round trip per delivery.
        sub.last_notification = datetime.now(UTC)
        if error is None:
            await self.pool.execute(DELIVERED_SQL, sub.tenant, sub.id, ids)
            return True
        attempts = rows[0]["attempts"]
        delay = min(BACKOFF_BASE * 2 ** min(attempts, 30), self.settings.notify_retry_cap)
        log.info("subscription %s: delivery to %s failed (%s); retry in %.1f s",
                 sub.id, uri, error, delay)
        await self.pool.execute(FAILED_SQL, sub.tenant, sub.id, ids, timedelta(seconds=delay))
        return False


async def _execute_guarded(
    connection: asyncpg.Connection, sub: Subscription, sql: str, params: list[object]
) -> None:
    """One subscription's statement in a savepoint: a failure (an idPattern PostgreSQL's
    regex dialect rejects) skips that subscription, not the batch."""
    try:
        async with connection.transaction():
            await connection.execute(sql, *params)
    except asyncpg.PostgresError as error:
        log.warning("subscription %s cannot be matched: %s", sub.id, error)


async def start_notifier(
    settings: BrokerSettings, pool: asyncpg.Pool, contexts: Contexts
) -> Notifier | None:
    """The notifier of this process (it delivers only while it holds the lock)."""
    if not settings.notify:
        return None
    notifier = Notifier(settings, pool, contexts)
    await notifier.start()
    return notifier
