"""Keeps the broker's worker processes in step when a hosted @context changes.

Every worker resolves @contexts with its own in-memory cache and term maps. Hosted
documents (``/jsonldContexts``) live in the shared context cache directory, so a new one
is found by every worker on first use; but a deleted or replaced one would stay in the
other workers' memory. The worker that changes a document announces the URL through
PostgreSQL ``NOTIFY``; every worker (itself included) listens and forgets it.

The listening connection is re-established when it is lost (PostgreSQL restarted, the
connection killed): announcements sent meanwhile are gone, so on reconnecting the worker
forgets every context it remembers and reads them again on next use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from .jsonld import ContextResolver

log = logging.getLogger(__name__)
CHANNEL = "ngsild_contexts"
RECONNECT_FIRST, RECONNECT_CAP = 0.5, 10.0


class ContextChangeFeed:
    def __init__(self, resolver: ContextResolver) -> None:
        self.resolver = resolver
        self.connection: asyncpg.Connection | None = None
        self.dsn = ""
        self._reconnecting: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self, dsn: str) -> None:
        self.dsn = dsn
        await self._connect()

    async def stop(self) -> None:
        self._stopped = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        if self.connection is not None and not self.connection.is_closed():
            await self.connection.close()

    @staticmethod
    async def announce(pool: asyncpg.Pool, url: str) -> None:
        await pool.execute("SELECT pg_notify($1, $2)", CHANNEL, url)

    async def _connect(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        await connection.add_listener(CHANNEL, self._changed)
        connection.add_termination_listener(self._lost)
        self.connection = connection

    def _lost(self, connection: object) -> None:
        if self._stopped or self._reconnecting is not None:
            return
        log.warning("@context change feed: connection lost; reconnecting")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = RECONNECT_FIRST
        try:
            while not self._stopped:
                try:
                    await self._connect()
                except (OSError, asyncpg.PostgresError) as error:
                    log.warning("@context change feed: %s; retrying in %.1f s", error, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RECONNECT_CAP)
                    continue
                self.resolver.forget_all()  # what changed meanwhile was not announced here
                log.info("@context change feed: listening again")
                return
        finally:
            self._reconnecting = None

    def _changed(self, connection: object, pid: int, channel: str, url: str) -> None:
        log.info("@context %s changed in broker process %s", url, pid)
        self.resolver.forget(url)
