"""Which tenants exist, remembered per process so that reads do not look them up each time.

Tenants are created on first write and never deleted through the API, so a tenant once
seen stays valid; only tenants not yet seen cost a lookup. A tenant is remembered only
after the transaction that created it committed, so a rolled-back write cannot leave a
tenant in memory that the database does not have.
"""

from __future__ import annotations

import asyncpg

from ..errors import NonexistentTenant

DEFAULT_TENANT = ""  # requests without an NGSILD-Tenant header; created by schema.sql


class TenantRegistry:
    def __init__(self) -> None:
        self._known: set[str] = {DEFAULT_TENANT}

    async def require(self, connection: asyncpg.Connection, tenant: str) -> None:
        """Raise NonexistentTenant unless the tenant exists (reads, updates of existing data)."""
        if tenant in self._known:
            return
        if not await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM tenants WHERE name = $1)", tenant
        ):
            raise NonexistentTenant(f"Tenant {tenant!r} does not exist")
        self._known.add(tenant)

    async def ensure(self, connection: asyncpg.Connection, tenant: str) -> bool:
        """Create the tenant inside the caller's transaction if needed; True if it may be new.

        Call :meth:`committed` after the transaction committed.
        """
        if tenant in self._known:
            return False
        await connection.execute(
            "INSERT INTO tenants (name) VALUES ($1) ON CONFLICT DO NOTHING", tenant
        )
        return True

    def committed(self, tenant: str) -> None:
        self._known.add(tenant)
