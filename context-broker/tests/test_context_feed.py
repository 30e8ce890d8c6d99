"""The @context change feed survives losing its database connection (ngsild_broker.context_feed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from ngsild_broker.context_feed import ContextChangeFeed
from ngsild_broker.jsonld import ContextResolver

URL = "https://contexts.example.org/feed-test.jsonld"
DOCUMENT = {"@context": {"height": "https://smartdatamodels.org/height"}}


async def eventually(condition, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def test_feed_listens_again_after_its_connection_is_killed(
    database_dsn: str, tmp_path: Path
) -> None:
    async def main() -> None:
        resolver = ContextResolver(cache_dir=tmp_path)
        resolver.add(URL, DOCUMENT)
        forgotten: list[str] = []
        resolver.add_listener(forgotten.append)
        feed = ContextChangeFeed(resolver)
        await feed.start(database_dsn)
        other = await asyncpg.connect(database_dsn)
        try:
            assert feed.connection is not None
            first_pid = feed.connection.get_server_pid()
            await other.execute("SELECT pg_terminate_backend($1)", first_pid)
            # reconnected, and what it remembered is forgotten (changes may have been missed)
            assert await eventually(lambda: feed.connection is not None
                                    and not feed.connection.is_closed()
                                    and feed.connection.get_server_pid() != first_pid)
            assert await eventually(lambda: URL in forgotten)
            forgotten.clear()
            # and announcements arrive again
            await other.execute("SELECT pg_notify($1, $2)", "ngsild_contexts", URL)
            assert await eventually(lambda: URL in forgotten)
        finally:
            await other.close()
            await feed.stop()

    asyncio.run(main())
