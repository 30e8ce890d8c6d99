"""Per-tenant history retention from the settings (``BROKER_HISTORY_RETENTION_TENANTS``).

``ngsild_history_prune()`` (``history.sql``) reads the retention of each tenant from the
table ``history_retention``; the settings are its only source, so at start-up the table is
made equal to them: a tenant removed from the setting loses its row and falls back to
``BROKER_HISTORY_RETENTION_DAYS``.
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg


async def apply_history_retention(pool: asyncpg.Pool, days_by_tenant: Mapping[str, int]) -> None:
    """Replace the rows of ``history_retention`` by ``days_by_tenant`` in one transaction,
    so a prune never sees half of the old and half of the new mapping. The table lock
    serialises broker processes starting together (each worker runs the lifespan): without
    it two of them would delete the same rows and then collide inserting them again."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("LOCK TABLE history_retention IN SHARE ROW EXCLUSIVE MODE")
        await connection.execute("DELETE FROM history_retention")
        await connection.executemany(
            "INSERT INTO history_retention (tenant, keep) VALUES ($1, make_interval(days => $2))",
            list(days_by_tenant.items()),
        )
