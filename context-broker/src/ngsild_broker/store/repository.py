"""Entities in PostgreSQL: one transaction per entity write, geometries in PostGIS.

An entity row and its GeoProperty rows are written in one transaction, so a crash or a
failing statement never leaves half an entity behind.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from ..errors import AlreadyExists, BadRequestData, NonexistentTenant, ResourceNotFound
from ..model.entity import Entity
from ..model.render import StoredEntity
from ..query.geo_query import GeoQuery, distance_order_sql, geo_to_sql
from ..query.q_language import q_to_sql

log = logging.getLogger(__name__)

_SCHEMA_LOCK = 0x6E67736C  # "ngsl"


@dataclass(frozen=True)
class EntityQuery:
    """What ``GET /entities`` filters on (already expanded)."""

    type_groups: list[list[str]] | None = None  # OR of AND-groups of type IRIs
    ids: list[str] | None = None
    id_pattern: str | None = None
    attrs: list[str] | None = None  # entity must have at least one of them
    limit: int = 20
    offset: int = 0
    geo: GeoQuery | None = None
    q: Any = None  # a parsed q expression (ngsild_broker.query.q_language)
    expand: Callable[[str], str] | None = None  # term expansion for geoproperty and q paths


async def create_pool(dsn: str, size: int) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size, init=_init_connection)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
        ddl = resources.files("ngsild_broker.store").joinpath("schema.sql").read_text("utf-8")
        await connection.execute(ddl)
    return pool


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


class EntityRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, tenant: str, entity: Entity) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO tenants (name) VALUES ($1) ON CONFLICT DO NOTHING", tenant
            )
            try:
                await connection.execute(
                    "INSERT INTO entities (tenant, id, types, attrs, scope) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    tenant, entity.id, entity.types, entity.attrs, entity.scope,
                )
            except asyncpg.UniqueViolationError as error:
                raise AlreadyExists(f"Entity {entity.id} already exists") from error
            await self._write_geometries(connection, tenant, entity)

    async def upsert(self, tenant: str, entity: Entity, *, replace: bool) -> bool:
        """Create the entity, or replace it / merge its attributes; True if it was created."""
        async with self.pool.acquire() as connection, connection.transaction():
            return await self._upsert(connection, tenant, entity, replace=replace)

    async def _upsert(
        self, connection: asyncpg.Connection, tenant: str, entity: Entity, *, replace: bool
    ) -> bool:
        await connection.execute(
            "INSERT INTO tenants (name) VALUES ($1) ON CONFLICT DO NOTHING", tenant
        )
        merge = "EXCLUDED.attrs" if replace else "entities.attrs || EXCLUDED.attrs"
        types = "EXCLUDED.types" if replace else (
            "ARRAY(SELECT DISTINCT unnest(entities.types || EXCLUDED.types))"
        )
        created = await connection.fetchval(
            "INSERT INTO entities (tenant, id, types, attrs, scope) VALUES ($1, $2, $3, $4, $5) "
            f"ON CONFLICT (tenant, id) DO UPDATE SET types = {types}, attrs = {merge}, "
            "scope = coalesce(EXCLUDED.scope, entities.scope), modified_at = now() "
            "RETURNING (xmax = 0)",
            tenant, entity.id, entity.types, entity.attrs, entity.scope,
        )
        replaced = None if replace else list(entity.attrs)
        await self._delete_geometries(connection, tenant, entity.id, replaced)
        await self._write_geometries(connection, tenant, entity)
        return bool(created)

    async def update_attributes(
        self, tenant: str, entity_id: str, attrs: dict[str, list[dict]], *, mode: str
    ) -> list[str]:
        """Change attributes of one entity atomically; return the names NOT updated.

        ``mode``: ``append`` (add or overwrite), ``append_keep`` (add only, noOverwrite),
        ``update`` (overwrite existing only).
        """
        async with self.pool.acquire() as connection, connection.transaction():
            current = await self._locked_attrs(connection, tenant, entity_id)
            if mode == "append":
                accepted = dict(attrs)
            elif mode == "append_keep":
                accepted = {k: v for k, v in attrs.items() if k not in current}
            else:
                accepted = {k: v for k, v in attrs.items() if k in current}
            if accepted:
                await connection.execute(
                    "UPDATE entities SET attrs = attrs || $3, modified_at = now() "
                    "WHERE tenant = $1 AND id = $2",
                    tenant, entity_id, accepted,
                )
                await self._delete_geometries(connection, tenant, entity_id, list(accepted))
                await self._write_geometries(
                    connection, tenant, Entity(id=entity_id, types=[], attrs=accepted)
                )
        return [name for name in attrs if name not in accepted]

    async def delete_attribute(
        self, tenant: str, entity_id: str, attr: str, dataset_id: str | None, delete_all: bool
    ) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            current = await self._locked_attrs(connection, tenant, entity_id)
            instances = current.get(attr)
            if instances is None:
                raise ResourceNotFound(f"Entity {entity_id} has no attribute {attr}")
            if delete_all:
                kept: list[dict] = []
            else:
                wanted = dataset_id or ""
                kept = [i for i in instances if i.get("datasetId", "") != wanted]
                if len(kept) == len(instances):
                    raise ResourceNotFound(f"No instance of {attr} with datasetId {wanted!r}")
            if kept:
                await connection.execute(
                    "UPDATE entities SET attrs = jsonb_set(attrs, ARRAY[$3], $4), "
                    "modified_at = now() WHERE tenant = $1 AND id = $2",
                    tenant, entity_id, attr, kept,
                )
            else:
                await connection.execute(
                    "UPDATE entities SET attrs = attrs - $3, modified_at = now() "
                    "WHERE tenant = $1 AND id = $2",
                    tenant, entity_id, attr,
                )
            await connection.execute(
                "DELETE FROM entity_geo WHERE tenant = $1 AND entity_id = $2 AND attr = $3 "
                "AND (dataset_id = $4 OR $5)",
                tenant, entity_id, attr, dataset_id or "", delete_all,
            )

    async def type_summary(self, tenant: str) -> dict[str, dict]:
        """Per entity type: entity count and attribute name → attribute types seen."""
        async with self.pool.acquire() as connection:
            await self._require_tenant(connection, tenant)
            rows = await connection.fetch(
                "SELECT t AS type, count(DISTINCT e.id) AS entities, a.key AS attr, "
                "array_agg(DISTINCT i ->> 'type') FILTER (WHERE a.key IS NOT NULL) AS kinds "
                "FROM entities e CROSS JOIN LATERAL unnest(e.types) AS t "
                "LEFT JOIN LATERAL jsonb_each(e.attrs) AS a ON true "
                "LEFT JOIN LATERAL jsonb_array_elements(a.value) AS i ON true "
                "WHERE e.tenant = $1 GROUP BY t, a.key",
                tenant,
            )
            counts = {
                r["type"]: r["n"]
                for r in await connection.fetch(
                    "SELECT t AS type, count(*) AS n FROM entities, unnest(types) AS t "
                    "WHERE tenant = $1 GROUP BY t",
                    tenant,
                )
            }
        summary: dict[str, dict] = {}
        for row in rows:
            info = summary.setdefault(row["type"], {"count": counts[row["type"]], "attrs": {}})
            if row["attr"] is not None:
                info["attrs"][row["attr"]] = set(row["kinds"] or [])
        return summary

    async def attribute_summary(self, tenant: str) -> dict[str, dict]:
        """Per attribute: number of entities having it, its attribute types, entity types."""
        async with self.pool.acquire() as connection:
            await self._require_tenant(connection, tenant)
            rows = await connection.fetch(
                "SELECT a.key AS attr, count(DISTINCT e.id) AS n, "
                "array_agg(DISTINCT i ->> 'type') AS kinds, "
                "array_agg(DISTINCT t) AS types "
                "FROM entities e CROSS JOIN LATERAL jsonb_each(e.attrs) AS a "
                "CROSS JOIN LATERAL jsonb_array_elements(a.value) AS i "
                "CROSS JOIN LATERAL unnest(e.types) AS t "
                "WHERE e.tenant = $1 GROUP BY a.key",
                tenant,
            )
        return {
            r["attr"]: {"count": r["n"], "kinds": set(r["kinds"]), "types": set(r["types"])}
            for r in rows
        }

    async def get(self, tenant: str, entity_id: str) -> StoredEntity:
        async with self.pool.acquire() as connection:
            await self._require_tenant(connection, tenant)
            row = await connection.fetchrow(
                "SELECT id, types, attrs, scope, created_at, modified_at FROM entities "
                "WHERE tenant = $1 AND id = $2",
                tenant, entity_id,
            )
        if row is None:
            raise ResourceNotFound(f"Entity {entity_id} not found")
        return _stored(row)

    async def delete(self, tenant: str, entity_id: str) -> None:
        async with self.pool.acquire() as connection:
            await self._require_tenant(connection, tenant)
            status = await connection.execute(
                "DELETE FROM entities WHERE tenant = $1 AND id = $2", tenant, entity_id
            )
        if status.endswith(" 0"):
            raise ResourceNotFound(f"Entity {entity_id} not found")

    async def query(self, tenant: str, query: EntityQuery) -> tuple[list[StoredEntity], int]:
        conditions = ["tenant = $1"]
        params: list[object] = [tenant]

        def bind(value: object) -> str:
            params.append(value)
            return f"${len(params)}"

        if query.type_groups:
            alternatives = [f"types @> {bind(group)}::text[]" for group in query.type_groups]
            conditions.append("(" + " OR ".join(alternatives) + ")")
        if query.ids:
            conditions.append(f"id = ANY({bind(query.ids)}::text[])")
        if query.id_pattern:
            conditions.append(f"id ~ {bind(query.id_pattern)}")
        if query.attrs:
            conditions.append(f"attrs ?| {bind(query.attrs)}::text[]")
        expand = query.expand or (lambda term: term)
        if query.geo is not None:
            conditions.append(geo_to_sql(query.geo, expand, bind))
        if query.q is not None:
            conditions.append(q_to_sql(query.q, expand, bind))
        where = " AND ".join(conditions)
        filter_params = len(params)
        order = "id"
        if query.geo is not None and (distance := distance_order_sql(query.geo, bind, expand)):
            order = f"{distance}, id"  # near: closest first (clause 4.10)
        limit, offset = bind(query.limit), bind(query.offset)
        async with self.pool.acquire() as connection:
            await self._require_tenant(connection, tenant)
            try:
                rows = await connection.fetch(
                    "SELECT id, types, attrs, scope, created_at, modified_at, "
                    f"count(*) OVER () AS total FROM entities WHERE {where} "
                    f"ORDER BY {order} LIMIT {limit} OFFSET {offset}",
                    *params,
                )
            except asyncpg.InvalidRegularExpressionError as error:
                raise BadRequestData(
                    f"A regular expression (idPattern or ~= in q) is not valid: {error}"
                ) from error
            total = (
                rows[0]["total"] if rows
                else await self._count(connection, where, params[:filter_params])
            )
        return [_stored(row) for row in rows], total

    async def _count(self, connection: asyncpg.Connection, where: str, params: list) -> int:
        sql = f"SELECT count(*) FROM entities WHERE {where}"
        return await connection.fetchval(sql, *params)

    async def _locked_attrs(
        self, connection: asyncpg.Connection, tenant: str, entity_id: str
    ) -> dict[str, list[dict]]:
        """The entity's attributes, its row locked until the transaction ends."""
        await self._require_tenant(connection, tenant)
        current = await connection.fetchval(
            "SELECT attrs FROM entities WHERE tenant = $1 AND id = $2 FOR UPDATE",
            tenant, entity_id,
        )
        if current is None:
            raise ResourceNotFound(f"Entity {entity_id} not found")
        return current

    @staticmethod
    async def _delete_geometries(
        connection: asyncpg.Connection, tenant: str, entity_id: str, attrs: list[str] | None
    ) -> None:
        """Geometry rows of an entity (all, or of the named attributes)."""
        if attrs is None:
            await connection.execute(
                "DELETE FROM entity_geo WHERE tenant = $1 AND entity_id = $2", tenant, entity_id
            )
        else:
            await connection.execute(
                "DELETE FROM entity_geo WHERE tenant = $1 AND entity_id = $2 "
                "AND attr = ANY($3::text[])",
                tenant, entity_id, attrs,
            )

    async def _write_geometries(
        self, connection: asyncpg.Connection, tenant: str, entity: Entity
    ) -> None:
        rows = [
            (tenant, entity.id, attr, dataset_id, json.dumps(geometry))
            for attr, dataset_id, geometry in entity.geo_instances()
        ]
        if rows:
            await connection.executemany(
                "INSERT INTO entity_geo (tenant, entity_id, attr, dataset_id, geom) "
                "VALUES ($1, $2, $3, $4, ST_SetSRID(ST_GeomFromGeoJSON($5), 4326))",
                rows,
            )

    @staticmethod
    async def _require_tenant(connection: asyncpg.Connection, tenant: str) -> None:
        if tenant and not await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM tenants WHERE name = $1)", tenant
        ):
            raise NonexistentTenant(f"Tenant {tenant!r} does not exist")


def _stored(row: asyncpg.Record) -> StoredEntity:
    return StoredEntity(
        id=row["id"], types=list(row["types"]), attrs=row["attrs"], scope=row["scope"],
        created_at=row["created_at"], modified_at=row["modified_at"],
    )
