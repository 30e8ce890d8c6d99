"""Subscriptions in PostgreSQL (table ``subscriptions`` of ``store/subscriptions.sql``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from ..errors import AlreadyExists, ResourceNotFound
from ..store.tenants import TenantRegistry

_COLUMNS = (
    "id, body, context, times_sent, times_failed, last_notification, last_success, "
    "last_failure"
)


def counters(row: asyncpg.Record) -> dict[str, Any]:
    """The delivery counters of a row, named as in the notification member."""
    return {
        "timesSent": row["times_sent"], "timesFailed": row["times_failed"],
        "lastNotification": row["last_notification"], "lastSuccess": row["last_success"],
        "lastFailure": row["last_failure"],
    }


def _columns(stored: dict[str, Any]) -> tuple[bool, datetime | None, float | None, float | None]:
    expires = stored.get("expiresAt")
    return (
        stored.get("isActive", True),
        datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None,
        stored.get("timeInterval"),
        stored.get("throttling"),
    )


#: Tells the notifier (notify/worker.py) to reload; sent in the writing transaction, so it
#: arrives once the change is visible.
_ANNOUNCE = "SELECT pg_notify('ngsild_subscriptions', '')"


class SubscriptionStore:
    def __init__(self, pool: asyncpg.Pool, tenants: TenantRegistry) -> None:
        self.pool = pool
        self.tenants = tenants

    async def create(self, tenant: str, stored: dict[str, Any], context: Any) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            new_tenant = await self.tenants.ensure(connection, tenant)
            inserted = await connection.fetchval(
                "INSERT INTO subscriptions (tenant, id, body, context, is_active, expires_at, "
                "time_interval, throttling) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT DO NOTHING RETURNING true",
                tenant, stored["id"], stored, context, *_columns(stored),
            )
            if not inserted:
                raise AlreadyExists(f"Subscription {stored['id']} already exists")
            await connection.execute(_ANNOUNCE)
        if new_tenant:
            self.tenants.committed(tenant)

    async def get(self, tenant: str, sub_id: str) -> asyncpg.Record:
        async with self.pool.acquire() as connection:
            await self.tenants.require(connection, tenant)
            row = await connection.fetchrow(
                f"SELECT {_COLUMNS} FROM subscriptions WHERE tenant = $1 AND id = $2",
                tenant, sub_id,
            )
        if row is None:
            raise ResourceNotFound(f"Subscription {sub_id} not found")
        return row

    async def list(
        self, tenant: str, limit: int, offset: int
    ) -> tuple[list[asyncpg.Record], int]:
        async with self.pool.acquire() as connection:
            await self.tenants.require(connection, tenant)
            rows = await connection.fetch(
                f"SELECT {_COLUMNS} FROM subscriptions WHERE tenant = $1 ORDER BY created_at, id "
                "LIMIT $2 OFFSET $3",
                tenant, limit, offset,
            )
            total = await connection.fetchval(
                "SELECT count(*) FROM subscriptions WHERE tenant = $1", tenant
            )
        return rows, total

    async def replace(self, tenant: str, stored: dict[str, Any], context: Any) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            done = await connection.fetchval(
                "UPDATE subscriptions SET body = $3, context = $4, is_active = $5, "
                "expires_at = $6, time_interval = $7, throttling = $8, modified_at = now() "
                "WHERE tenant = $1 AND id = $2 RETURNING true",
                tenant, stored["id"], stored, context, *_columns(stored),
            )
            await connection.execute(_ANNOUNCE)
        if not done:
            raise ResourceNotFound(f"Subscription {stored['id']} not found")

    async def delete(self, tenant: str, sub_id: str) -> None:
        async with self.pool.acquire() as connection:
            await self.tenants.require(connection, tenant)
            async with connection.transaction():
                done = await connection.fetchval(
                    "DELETE FROM subscriptions WHERE tenant = $1 AND id = $2 RETURNING true",
                    tenant, sub_id,
                )
                await connection.execute(_ANNOUNCE)
        if not done:
            raise ResourceNotFound(f"Subscription {sub_id} not found")
