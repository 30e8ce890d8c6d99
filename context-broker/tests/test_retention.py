"""Per-tenant history retention (``BROKER_HISTORY_RETENTION_TENANTS``): the setting, its
copy into ``history_retention`` at start-up, and ``prune`` honouring it per tenant.

The database tests run against the test instance's broker database. ``history_retention``
is one table for all tenants and applying a mapping replaces all of it, so each test puts
back the rows it found; history rows are written only for tenants of the test's own
(unique names) and deleted afterwards.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from ngsild_broker.settings import BrokerSettings
from ngsild_broker.store.retention import apply_history_retention
from ngsild_broker.store.temporal import prune
from pydantic import ValidationError

ATTR = "https://uri.etsi.org/ngsi-ld/default-context/height"


def test_setting_is_a_json_object_of_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKER_HISTORY_RETENTION_TENANTS", '{"urn:ngsi-ld:tenant:emden": 30, '
                       '"": 7}')
    settings = BrokerSettings(database_dsn="postgresql://unused")
    assert settings.history_retention_tenants == {"urn:ngsi-ld:tenant:emden": 30, "": 7}
    monkeypatch.delenv("BROKER_HISTORY_RETENTION_TENANTS")
    assert BrokerSettings(database_dsn="postgresql://unused").history_retention_tenants == {}
    for days in (0, -1):
        monkeypatch.setenv("BROKER_HISTORY_RETENTION_TENANTS", json.dumps({"t": days}))
        with pytest.raises(ValidationError):
            BrokerSettings(database_dsn="postgresql://unused")


def with_pool(dsn: str, test: Callable[[asyncpg.Pool, str, str], Awaitable[None]]) -> None:
    """Run ``test(pool, tenant_a, tenant_b)`` with two fresh tenant names; afterwards delete
    their history and restore ``history_retention`` as it was."""

    async def main() -> None:
        try:
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2, timeout=10)
        except (OSError, asyncpg.PostgresError) as error:  # pragma: no cover
            pytest.fail(f"test instance database not reachable (make test starts it): {error}",
                        pytrace=False)
        prefix = f"test_retention_{uuid.uuid4().hex[:12]}"
        tenants = (f"{prefix}_a", f"{prefix}_b")
        before = await pool.fetch("SELECT tenant, keep FROM history_retention")
        try:
            await test(pool, *tenants)
        finally:
            await pool.execute("DELETE FROM attribute_history WHERE tenant = ANY($1)", tenants)
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute("DELETE FROM history_retention")
                await connection.executemany(
                    "INSERT INTO history_retention (tenant, keep) VALUES ($1, $2)",
                    [(row["tenant"], row["keep"]) for row in before],
                )
            await pool.close()

    asyncio.run(main())


async def retention(pool: asyncpg.Pool) -> dict[str, timedelta]:
    return {row["tenant"]: row["keep"]
            for row in await pool.fetch("SELECT tenant, keep FROM history_retention")}


def test_applying_replaces_the_table(database_dsn: str) -> None:
    async def check(pool: asyncpg.Pool, a: str, b: str) -> None:
        await apply_history_retention(pool, {a: 30, b: 400})
        assert await retention(pool) == {a: timedelta(days=30), b: timedelta(days=400)}
        await apply_history_retention(pool, {a: 7})  # b removed from the setting
        assert await retention(pool) == {a: timedelta(days=7)}
        await apply_history_retention(pool, {})
        assert await retention(pool) == {}

    with_pool(database_dsn, check)


async def add_history(pool: asyncpg.Pool, tenant: str, entity_id: str, age: timedelta) -> None:
    """One history row observed ``age`` ago (it lands in its month's partition or in the
    default one; ``prune`` runs ``ngsild_history_maintain()`` first either way)."""
    observed = datetime.now(UTC) - age
    instance = {"type": "Property", "value": age.days, "observedAt": observed.isoformat()}
    await pool.execute(
        "INSERT INTO attribute_history (tenant, entity_id, attr, observed_at, modified_at, "
        "created_at, instance) VALUES ($1, $2, $3, $4, $4, $4, $5::jsonb)",
        tenant, entity_id, ATTR, observed, json.dumps(instance),
    )


async def ages(pool: asyncpg.Pool, tenant: str) -> list[int]:
    rows = await pool.fetch(
        "SELECT (instance ->> 'value')::int AS days FROM attribute_history "
        "WHERE tenant = $1 ORDER BY 1", tenant,
    )
    return [row["days"] for row in rows]


def test_prune_keeps_each_tenants_own_retention(database_dsn: str) -> None:
    async def check(pool: asyncpg.Pool, a: str, b: str) -> None:
        for tenant in (a, b):
            for days in (1, 20, 45):
                await add_history(pool, tenant, f"urn:ngsi-ld:Gauge:{tenant}", timedelta(days=days))
        await apply_history_retention(pool, {a: 10, b: 30})
        await prune(pool, None)  # no default retention: only the two tenants' rows go
        assert await ages(pool, a) == [1]
        assert await ages(pool, b) == [1, 20]
        await apply_history_retention(pool, {a: 10})  # b falls back to "keep forever"
        await add_history(pool, b, "urn:ngsi-ld:Gauge:b2", timedelta(days=45))
        await prune(pool, None)
        assert await ages(pool, b) == [1, 20, 45]

    with_pool(database_dsn, check)
