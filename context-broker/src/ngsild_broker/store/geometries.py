"""Rows of ``entity_geo``: one PostGIS geometry per GeoProperty instance, for geo-queries.

Written in the same transaction as the entity rows they belong to. Whole batches are
handled by one statement each (arrays as parameters), so a batch of 100 entities costs
two round trips here, not 200.
"""

from __future__ import annotations

import asyncpg
import orjson

from ..model.entity import Entity


async def replace_geometries(
    connection: asyncpg.Connection, tenant: str, entities: list[Entity], *, whole: bool
) -> None:
    """Make the geometry rows match the entities' GeoProperties.

    ``whole``: the entities were replaced, so any other geometry row of theirs goes; else
    only rows of the attributes they carry are in question (merge semantics). Unchanged
    geometries are not rewritten: sensors rarely move, and every rewrite costs two GiST
    index insertions.
    """
    rows = _rows(entities)
    keep = [_key(entity_id, attr, dataset_id) for entity_id, attr, dataset_id, _ in rows]
    if whole:
        await connection.execute(
            "DELETE FROM entity_geo g WHERE g.tenant = $1 AND g.entity_id = ANY($2::text[]) "
            f"AND {_KEY_SQL} <> ALL($3::text[])",
            tenant, [entity.id for entity in entities], keep,
        )
    else:
        await connection.execute(
            "DELETE FROM entity_geo g WHERE g.tenant = $1 AND g.entity_id = ANY($2::text[]) "
            f"AND g.entity_id || {_SEP} || g.attr = ANY($3::text[]) "
            f"AND {_KEY_SQL} <> ALL($4::text[])",
            tenant, [entity.id for entity in entities],
            [_key(entity.id, attr) for entity in entities for attr in entity.attrs], keep,
        )
    await _write(connection, tenant, rows, _UPSERT)


async def insert_geometries(
    connection: asyncpg.Connection, tenant: str, entities: list[Entity]
) -> None:
    """Geometry rows of entities that have none yet (just created)."""
    await _write(connection, tenant, _rows(entities), "")


#: Keys of geometry rows as one text, for array membership tests. Ids and attribute names
#: cannot contain control characters (see ngsild_broker.model.entity), so the separator
#: is unambiguous.
_SEP = "E'\\x1f'"
_KEY_SQL = f"(g.entity_id || {_SEP} || g.attr || {_SEP} || g.dataset_id)"


def _key(*parts: str) -> str:
    return "\x1f".join(parts)


_INSERT = (
    "INSERT INTO entity_geo AS g (tenant, entity_id, attr, dataset_id, geom) "
    "SELECT $1, e, a, d, ST_SetSRID(ST_GeomFromGeoJSON(j), 4326) "
    "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS x(e, a, d, j)"
)
_UPSERT = (
    " ON CONFLICT (tenant, entity_id, attr, dataset_id) DO UPDATE SET geom = EXCLUDED.geom "
    "WHERE g.geom IS DISTINCT FROM EXCLUDED.geom"
)


async def _write(
    connection: asyncpg.Connection, tenant: str, rows: list[tuple], conflict: str
) -> None:
    if rows:
        await connection.execute(_INSERT + conflict, tenant, *_columns(rows, 4))


def _rows(entities: list[Entity]) -> list[tuple[str, str, str, str]]:
    return [
        (entity.id, attr, dataset_id, orjson.dumps(geometry).decode())
        for entity in entities
        for attr, dataset_id, geometry in entity.geo_instances()
    ]


def _columns(rows: list[tuple], width: int) -> list[list]:
    """Rows as column lists, for ``unnest`` of array parameters."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]
