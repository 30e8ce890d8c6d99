"""Keeps the broker's worker processes in step when a hosted @context changes.

Every worker resolves @contexts with its own in-memory cache and term maps. Hosted
documents (``/jsonldContexts``) live in the shared context cache directory, so a new one
is found by every worker on first use; but a deleted or replaced one would stay in the
other workers' memory. The worker that changes a document announces the URL through
PostgreSQL ``NOTIFY``; every worker (itself included) listens and forgets it.
"""

from __future__ import annotations

import logging

import asyncpg

from .jsonld import ContextResolver

log = logging.getLogger(__name__)
CHANNEL = "ngsild_contexts"


class ContextChangeFeed:
    def __init__(self, resolver: ContextResolver) -> None:
        self.resolver = resolver
        self.connection: asyncpg.Connection | None = None

    async def start(self, dsn: str) -> None:
        self.connection = await asyncpg.connect(dsn)
        await self.connection.add_listener(CHANNEL, self._changed)

    async def stop(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    @staticmethod
    async def announce(pool: asyncpg.Pool, url: str) -> None:
        await pool.execute("SELECT pg_notify($1, $2)", CHANNEL, url)

    def _changed(self, connection: object, pid: int, channel: str, url: str) -> None:
        log.info("@context %s changed in broker process %s", url, pid)
        self.resolver.forget(url)
