"""Attribute history in PostgreSQL: the SQL of the temporal API (clause 5.7.3/5.7.4, 6.18-6.21).

The history table ``attribute_history`` is filled by a trigger on ``entities`` (see
``history.sql``), so every write of the normal API is recorded in its own transaction. This
module reads it (instances, aggregations computed by PostgreSQL per time bucket) and writes
it directly for the temporal create/append/delete operations.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from ..errors import BadRequestData, ResourceNotFound
from ..query.geo_query import GeoQuery, geo_to_sql
from ..query.q_language import q_to_sql
from .tenants import TenantRegistry

log = logging.getLogger(__name__)

#: timeproperty → history column (clause 6.18.3.2).
TIME_COLUMNS = {"observedAt": "observed_at", "modifiedAt": "modified_at", "createdAt": "created_at"}
AGGREGATIONS = ("totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq")
INSTANCE_PREFIX = "urn:ngsi-ld:attribute:instance:"

#: The value of an instance, whatever its attribute type (extracted once per row).
_VALUE = (
    "coalesce(h.instance -> 'value', h.instance -> 'object', h.instance -> 'languageMap', "
    "h.instance -> 'valueList', h.instance -> 'vocab')"
)
_NUMBER = "(CASE WHEN jsonb_typeof(h.v) = 'number' THEN (h.v #>> '{}')::float8 END)"
#: Aggregation method → SQL aggregate over the instances of one bucket (column ``v``).
AGGREGATE_SQL = {
    "totalCount": "count(*)",
    "distinctCount": "count(DISTINCT h.v)",
    "sum": f"sum({_NUMBER})",
    "avg": f"avg({_NUMBER})",
    "min": f"min({_NUMBER})",
    "max": f"max({_NUMBER})",
    "stddev": f"stddev_samp({_NUMBER})",
    "sumsq": f"sum({_NUMBER} * {_NUMBER})",
}


@dataclass(frozen=True)
class TimeWindow:
    """``timerel``/``timeAt``/``endTimeAt``/``timeproperty``, validated."""

    timerel: str | None = None  # before | after | between | None (all time)
    time_at: datetime | None = None
    end_time_at: datetime | None = None
    column: str = "observed_at"


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration split the way PostgreSQL adds it: months, days, microseconds."""

    months: int = 0
    days: int = 0
    seconds: float = 0.0

    @property
    def is_zero(self) -> bool:
        return not (self.months or self.days or self.seconds)

    @property
    def interval(self) -> str:
        """Text PostgreSQL reads as an interval."""
        return f"{self.months} months {self.days} days {self.seconds} seconds"


@dataclass(frozen=True)
class TemporalQuery:
    """Entity selection (on the history's entities; q/geo on their current state) and window."""

    type_groups: list[list[str]] | None = None
    ids: list[str] | None = None
    id_pattern: str | None = None
    attrs: list[str] | None = None
    q: Any = None
    geo: GeoQuery | None = None
    expand: Any = None
    window: TimeWindow = field(default_factory=TimeWindow)
    limit: int = 20  # entities per page
    offset: int = 0
    count: bool = False
    dataset_id: str | None = None


@dataclass
class HistoryEntity:
    """One entity's history as read: instances per attribute in time order."""

    id: str
    types: list[str]
    attrs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Instance:
    instance: dict[str, Any]
    instance_id: str
    time: datetime  # the value of the chosen timeproperty


@dataclass(frozen=True)
class SimplifiedAttribute:
    """One attribute's ``temporalValues`` as PostgreSQL wrote them (JSON text)."""

    count: int  # instances in it
    has_vocab: bool  # a VocabProperty among them: IRIs to compact
    json: str


def _iso(expression: str) -> str:
    """SQL: a timestamptz as ISO 8601 text in UTC (parsed by :func:`utc_time`), clamped to the
    years 1-9999 that Python's datetime and asyncpg can hold (an observedAt of
    9999-12-31T23:00-12:00 is in the year 10000 in UTC)."""
    return (
        f"to_char(greatest(least(({expression}), '9999-12-31T23:59:59.999999Z'::timestamptz), "
        "'0001-01-01T00:00:00Z'::timestamptz) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    )


def _time_text(expression: str) -> str:
    """SQL: a timestamptz as the API writes times (:func:`format_time`): UTC, ``Z``,
    microseconds only when there are any; clamped like :func:`_iso`."""
    return f"replace({_iso(expression)}, '.000000Z', 'Z')"


def format_time(moment: datetime) -> str:
    """A time as the temporal API writes it: ISO 8601 in UTC with ``Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _window_sql(window: TimeWindow, bind: Any, alias: str = "h") -> str:
    column = f"{alias}.{window.column}"
    if window.timerel == "before":
        return f" AND {column} < {bind(window.time_at)}"
    if window.timerel == "after":
        return f" AND {column} > {bind(window.time_at)}"
    if window.timerel == "between":
        return f" AND {column} >= {bind(window.time_at)} AND {column} < {bind(window.end_time_at)}"
    return ""


def entity_selection_sql(tenant: str, query: TemporalQuery) -> tuple[str, list[object], str]:
    """SELECT of one page of entities with history matching the query; and its count SQL."""
    params: list[object] = [tenant]

    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    conditions = ["e.tenant = $1"]
    if query.type_groups:
        conditions.append(
            "(" + " OR ".join(f"e.types @> {bind(g)}::text[]" for g in query.type_groups) + ")"
        )
    if query.ids:
        conditions.append(f"e.id = ANY({bind(query.ids)}::text[])")
    if query.id_pattern:
        conditions.append(f"e.id ~ {bind(query.id_pattern)}")
    expand = query.expand or (lambda term: term)
    current = []  # conditions on the current state (the entities table)
    if query.q is not None:
        current.append(q_to_sql(query.q, expand, bind))
    if query.geo is not None:
        current.append(geo_to_sql(query.geo, expand, bind))
    if current:
        conditions.append(
            "EXISTS (SELECT 1 FROM entities WHERE entities.tenant = e.tenant "
            f"AND entities.id = e.id AND {' AND '.join(current)})"
        )
    history = "h.tenant = e.tenant AND h.entity_id = e.id"
    if query.attrs:
        history += f" AND h.attr = ANY({bind(query.attrs)}::text[])"
    if query.dataset_id is not None:
        history += f" AND h.dataset_id = {bind(query.dataset_id)}"
    history += _window_sql(query.window, bind)
    conditions.append(f"EXISTS (SELECT 1 FROM attribute_history h WHERE {history})")
    where = " AND ".join(conditions)
    count_sql = f"SELECT count(*) FROM history_entities e WHERE {where}"
    limit, offset = bind(query.limit), bind(query.offset)
    sql = (
        f"SELECT e.id, e.types FROM history_entities e WHERE {where} "
        f"ORDER BY e.id LIMIT {limit} OFFSET {offset}"
    )
    return sql, params, count_sql


def _per_attribute_sql(
    tenant: str, entity_ids: list[str], query: TemporalQuery, per_attribute: int,
    newest_first: bool, columns: str, fold: Callable[[str], str],
) -> tuple[str, list[object]]:
    """One row per (entity, attribute) with instances in the window: ``fold`` turns the
    SELECT of at most ``per_attribute`` of them (``newest_first``: the last ones; each row
    with ``columns`` of the history row ``h`` and ``t``, the chosen time) into the SELECT of
    one row that has a column ``n``, the number of instances folded.
    """
    params: list[object] = [tenant, entity_ids]

    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    column = f"h.{query.window.column}"
    where = "h.tenant = $1"
    if query.dataset_id is not None:
        where += f" AND h.dataset_id = {bind(query.dataset_id)}"
    where += _window_sql(query.window, bind)
    direction = "DESC" if newest_first else "ASC"
    # Per (entity, attribute) the first/last n by the index on (tenant, entity_id, attr,
    # time): a window function over all rows of the window sorted every wide row instead.
    limit = bind(per_attribute)
    attrs = (
        f"unnest({bind(query.attrs)}::text[])" if query.attrs
        else "(SELECT DISTINCT a.attr FROM attribute_history a "
        "WHERE a.tenant = $1 AND a.entity_id = e.id)"
    )
    limited = (
        f"SELECT {columns}, {column} AS t "
        f"FROM attribute_history h WHERE {where} AND h.entity_id = e.id AND h.attr = k.attr "
        f"ORDER BY {column} {direction}, h.instance_id LIMIT {limit}"
    )
    sql = (
        "SELECT e.id AS entity_id, k.attr, x.* "
        f"FROM unnest($2::text[]) AS e(id) CROSS JOIN LATERAL {attrs} AS k(attr) "
        f"CROSS JOIN LATERAL ({fold(limited)}) AS x WHERE x.n > 0"
    )
    return sql, params


def instances_sql(
    tenant: str, entity_ids: list[str], query: TemporalQuery, per_attribute: int, newest_first: bool
) -> tuple[str, list[object]]:
    """At most ``per_attribute`` instances of each (entity, attribute) in the window
    (``newest_first``, lastN: the last ones), as one JSON array per (entity, attribute) of
    ``[instance id, time, instance]`` in ascending time: decoding 100,000 rows one by one
    cost the broker five times more than the query itself.
    """
    return _per_attribute_sql(
        tenant, entity_ids, query, per_attribute, newest_first,
        columns="h.instance_id, h.instance",
        fold=lambda limited: (
            "SELECT count(*) AS n, jsonb_agg(jsonb_build_array(y.instance_id, "
            f"{_iso('y.t')}, y.instance) ORDER BY y.t, y.instance_id) AS items "
            f"FROM ({limited}) AS y"
        ),
    )


#: Member of the simplified representation per attribute type (clause 4.5.9).
VALUES_MEMBER = {
    "Property": "values", "GeoProperty": "values", "Relationship": "objects",
    "LanguageProperty": "languageMaps", "ListProperty": "valueLists", "VocabProperty": "vocabs",
}
_MEMBER_SQL = (
    "CASE g.kind " + " ".join(
        f"WHEN '{kind}' THEN '{member}'" for kind, member in VALUES_MEMBER.items()
        if member != "values"
    ) + " ELSE 'values' END"
)
_GROUP_SQL = (
    "CASE WHEN g.dataset_id = '' THEN "
    f"json_build_object('type', g.kind, {_MEMBER_SQL}, g.pairs) "
    f"ELSE json_build_object('type', g.kind, 'datasetId', g.dataset_id, {_MEMBER_SQL}, "
    "g.pairs) END"
)


def simplified_sql(
    tenant: str, entity_ids: list[str], query: TemporalQuery, per_attribute: int,
    newest_first: bool,
) -> tuple[str, list[object]]:
    """``temporalValues`` (clause 4.5.9) built by PostgreSQL. Per (entity, attribute): the
    number of instances ``n``, whether one is a VocabProperty (``vocab``: its IRIs still
    need compacting) and the simplified representation as JSON text (``simplified``): one
    ``{type, [datasetId], values|objects|…: [[value, time], …]}`` per datasetId and
    attribute type, in order of first appearance, or that object alone when there is one.

    Only values and times leave the database, the times as :func:`format_time` writes
    them: a week of 10-minute values of 100 gauges took 0.35 s to fetch as whole
    instances and another second to turn into JSON in Python; this way about 0.13 s.
    """
    def fold(limited: str) -> str:
        groups = (
            "SELECT count(*) AS n, min(y.t) AS first, y.dataset_id, y.kind, "
            f"json_agg(json_build_array(y.v, {_time_text('y.t')}) "
            "ORDER BY y.t, y.instance_id) AS pairs "
            f"FROM ({limited}) AS y GROUP BY y.dataset_id, y.kind"
        )
        return (
            "SELECT coalesce(sum(g.n), 0)::int AS n, "
            "coalesce(bool_or(g.kind = 'VocabProperty'), false) AS vocab, "
            f"CASE WHEN count(*) = 1 THEN min(({_GROUP_SQL})::text) "
            f"ELSE json_agg({_GROUP_SQL} ORDER BY g.first, g.dataset_id, g.kind)::text END "
            f"AS simplified FROM ({groups}) AS g"
        )

    return _per_attribute_sql(
        tenant, entity_ids, query, per_attribute, newest_first,
        columns="h.instance_id, h.dataset_id, "
        f"coalesce(h.instance ->> 'type', 'Property') AS kind, {_VALUE} AS v",
        fold=fold,
    )


def aggregation_sql(
    tenant: str, entity_ids: list[str], query: TemporalQuery, methods: list[str],
    period: Duration,
) -> tuple[str, list[object]]:
    """Aggregated values per (entity, attribute, bucket), computed by PostgreSQL.

    Buckets (clause 4.5.19): consecutive periods of ``aggrPeriodDuration`` starting at
    ``timeAt`` (after/between) or else at the attribute's first instance in the window;
    ``PT0S`` is one bucket over the whole window. Time arithmetic is done in UTC, so that a
    month is a calendar month of UTC. Periods without months/years use ``date_bin``;
    with months, the bucket number is computed from the month difference (P1M, P3M, P1Y);
    mixed periods (P1M2D) join generated buckets.
    """
    params: list[object] = [tenant, entity_ids]

    def bind(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    window = query.window
    column = f"(h.{window.column} AT TIME ZONE 'UTC')"
    # deletions (value NGSI-LD Null, deletedAt) are not values to aggregate
    where = "h.tenant = $1 AND h.entity_id = ANY($2::text[]) AND NOT h.instance ? 'deletedAt'"
    if query.attrs:
        where += f" AND h.attr = ANY({bind(query.attrs)}::text[])"
    if query.dataset_id is not None:
        where += f" AND h.dataset_id = {bind(query.dataset_id)}"
    where += _window_sql(window, bind)
    start_given = window.timerel in ("after", "between")
    origin = (
        f"({bind(window.time_at)}::timestamptz AT TIME ZONE 'UTC')" if start_given
        else "min(t) OVER (PARTITION BY entity_id, attr)"
    )
    aggregates = ", ".join(
        f"{AGGREGATE_SQL[m]} AS \"{m}\"" for m in methods
    )
    base = (
        f"SELECT h.entity_id, h.attr, {column} AS t, {_VALUE} AS v FROM attribute_history h "
        f"WHERE {where}"
    )
    with_origin = f"SELECT b.*, {origin} AS origin FROM ({base}) AS b"
    if period.is_zero:
        end = "max(o.t) OVER (PARTITION BY o.entity_id, o.attr)"
        if window.timerel == "between":
            end = f"({bind(window.end_time_at)}::timestamptz AT TIME ZONE 'UTC')"
        elif window.timerel == "before":
            end = f"({bind(window.time_at)}::timestamptz AT TIME ZONE 'UTC')"
        bucketed = (
            f"SELECT o.*, o.origin AS start, {end} AS stop FROM ({with_origin}) AS o"
        )
    elif not period.months:
        stride = f"({bind(period.interval)}::text)::interval"
        bucketed = (
            f"SELECT o.*, date_bin({stride}, o.t, o.origin) AS start, "
            f"date_bin({stride}, o.t, o.origin) + {stride} AS stop "
            f"FROM ({with_origin}) AS o"
        )
    elif not period.days and not period.seconds:
        months = bind(period.months)
        # whole months between origin and t, one less if t is before origin + that many
        # (never when the origin is the first instant of a month, the usual case: skipped)
        diff = (
            "((extract(year FROM o.t) - extract(year FROM o.origin)) * 12 "
            "+ extract(month FROM o.t) - extract(month FROM o.origin))::int"
        )
        elapsed = (
            "(d.diff - CASE WHEN d.origin + make_interval(months => d.diff) > d.t "
            "THEN 1 ELSE 0 END)"
        )
        if start_given and _month_start(window.time_at):
            elapsed = "d.diff"
        start = f"d.origin + make_interval(months => ({elapsed} / {months}::int) * {months}::int)"
        bucketed = (
            f"SELECT s.*, s.start + make_interval(months => {months}::int) AS stop FROM ("
            f"SELECT d.*, {start} AS start FROM ("
            f"SELECT o.*, {diff} AS diff FROM ({with_origin}) AS o) AS d) AS s"
        )
    else:
        stride = f"({bind(period.interval)}::text)::interval"
        bucketed = (
            f"SELECT o.*, s.start, s.start + {stride} AS stop FROM ({with_origin}) AS o "
            f"CROSS JOIN LATERAL (SELECT max(g) AS start FROM generate_series(o.origin, o.t, "
            f"{stride}) AS g) AS s"
        )
    start_text, stop_text = _iso("h.start AT TIME ZONE 'UTC'"), _iso("h.stop AT TIME ZONE 'UTC'")
    sql = (
        f"SELECT h.entity_id, h.attr, {start_text} AS start, {stop_text} AS stop, {aggregates} "
        f"FROM ({bucketed}) AS h GROUP BY h.entity_id, h.attr, h.start, h.stop "
        "ORDER BY h.entity_id, h.attr, h.start"
    )
    return sql, params


def utc_time(text: str) -> datetime:
    """A time as :func:`_iso` wrote it (UTC, microseconds, ``Z``)."""
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def _month_start(moment: datetime | None) -> bool:
    """Whether ``moment`` is 00:00 UTC on the first of a month."""
    if moment is None:
        return False
    utc = moment.astimezone(UTC)
    return (utc.day, utc.hour, utc.minute, utc.second, utc.microsecond) == (1, 0, 0, 0, 0)


class TemporalRepository:
    """Reads and writes of the attribute history, per tenant."""

    def __init__(
        self, pool: asyncpg.Pool, tenants: TenantRegistry,
        query_pool: asyncpg.Pool | None = None,
    ) -> None:
        self.pool = pool
        self.query_pool = query_pool or pool  # reads: custom plans (see create_pool)
        self.tenants = tenants

    async def select_entities(
        self, tenant: str, query: TemporalQuery
    ) -> tuple[list[HistoryEntity], int | None]:
        sql, params, count_sql = entity_selection_sql(tenant, query)
        async with self.query_pool.acquire() as connection:
            await self.tenants.require(connection, tenant)
            try:
                rows = await connection.fetch(sql, *params)
                total = None
                if query.count:
                    total = await connection.fetchval(count_sql, *params[:-2])
            except asyncpg.InvalidRegularExpressionError as error:
                raise BadRequestData(f"A regular expression is not valid: {error}") from error
        return [HistoryEntity(id=r["id"], types=list(r["types"])) for r in rows], total

    async def entity(self, tenant: str, entity_id: str) -> HistoryEntity:
        async with self.query_pool.acquire() as connection:
            await self.tenants.require(connection, tenant)
            row = await connection.fetchrow(
                "SELECT id, types FROM history_entities WHERE tenant = $1 AND id = $2",
                tenant, entity_id,
            )
        if row is None:
            raise ResourceNotFound(f"No history of entity {entity_id}")
        return HistoryEntity(id=row["id"], types=list(row["types"]))

    async def instances(
        self, tenant: str, entity_ids: list[str], query: TemporalQuery, per_attribute: int,
        newest_first: bool,
    ) -> dict[str, dict[str, list[Instance]]]:
        """entity id → attribute IRI → instances (ascending time), at most per_attribute."""
        sql, params = instances_sql(tenant, entity_ids, query, per_attribute, newest_first)
        async with self.query_pool.acquire() as connection:
            rows = await connection.fetch(sql, *params)
        found: dict[str, dict[str, list[Instance]]] = {}
        for row in rows:
            found.setdefault(row["entity_id"], {})[row["attr"]] = [
                Instance(instance, INSTANCE_PREFIX + key, utc_time(moment))
                for key, moment, instance in row["items"]
            ]
        return found

    async def simplified(
        self, tenant: str, entity_ids: list[str], query: TemporalQuery, per_attribute: int,
        newest_first: bool,
    ) -> dict[str, dict[str, SimplifiedAttribute]]:
        """entity id → attribute IRI → its ``temporalValues`` from :func:`simplified_sql`."""
        sql, params = simplified_sql(tenant, entity_ids, query, per_attribute, newest_first)
        async with self.query_pool.acquire() as connection:
            rows = await connection.fetch(sql, *params)
        found: dict[str, dict[str, SimplifiedAttribute]] = {}
        for row in rows:
            found.setdefault(row["entity_id"], {})[row["attr"]] = SimplifiedAttribute(
                row["n"], row["vocab"], row["simplified"]
            )
        return found

    async def aggregate(
        self, tenant: str, entity_ids: list[str], query: TemporalQuery, methods: list[str],
        period: Duration,
    ) -> dict[str, dict[str, list[asyncpg.Record]]]:
        """entity id → attribute IRI → bucket rows (start, stop as ISO text in UTC, one
        column per method)."""
        sql, params = aggregation_sql(tenant, entity_ids, query, methods, period)
        async with self.query_pool.acquire() as connection:
            try:
                rows = await connection.fetch(sql, *params)
            except (asyncpg.DataError, asyncpg.ProgramLimitExceededError) as error:
                raise BadRequestData(f"Aggregation not possible: {error}") from error
        found: dict[str, dict[str, list[asyncpg.Record]]] = {}
        for row in rows:
            found.setdefault(row["entity_id"], {}).setdefault(row["attr"], []).append(row)
        return found

    async def add(
        self, tenant: str, entity_id: str, types: list[str] | None,
        attrs: dict[str, list[dict[str, Any]]], *, create: bool,
    ) -> bool:
        """Record instances (temporal create/append); True if the entity's history is new.

        ``create``: types given and the history may be created; else it must exist.
        """
        rows = []
        for attr, instances in attrs.items():
            for instance in instances:
                observed = instance.get("observedAt") or instance["modifiedAt"]
                rows.append((attr, instance.get("datasetId", ""), observed,
                             instance["modifiedAt"], instance))
        async with self.pool.acquire() as connection, connection.transaction():
            new_tenant = False
            if create:
                new_tenant = await self.tenants.ensure(connection, tenant)
                assert types is not None
                created = await connection.fetchval(
                    "INSERT INTO history_entities AS h (tenant, id, types) VALUES ($1, $2, $3) "
                    "ON CONFLICT (tenant, id) DO UPDATE SET types = ARRAY(SELECT DISTINCT "
                    "unnest(h.types || EXCLUDED.types)) RETURNING (xmax = 0)",
                    tenant, entity_id, types,
                )
            else:
                await self.tenants.require(connection, tenant)
                exists = await connection.fetchval(
                    "SELECT true FROM history_entities WHERE tenant = $1 AND id = $2 FOR UPDATE",
                    tenant, entity_id,
                )
                if not exists:
                    raise ResourceNotFound(f"No history of entity {entity_id}")
                created = False
            await connection.execute(
                "INSERT INTO attribute_history (tenant, entity_id, attr, dataset_id, observed_at, "
                "modified_at, created_at, instance) "
                "SELECT $1, $2, r.attr, r.dataset_id, r.observed::timestamptz, "
                "r.modified::timestamptz, r.modified::timestamptz, r.instance "
                "FROM jsonb_to_recordset($3::jsonb) AS r(attr text, dataset_id text, "
                "observed text, modified text, instance jsonb)",
                tenant, entity_id,
                [
                    {"attr": a, "dataset_id": d, "observed": o, "modified": m, "instance": i}
                    for a, d, o, m, i in rows
                ],
            )
        if new_tenant:
            self.tenants.committed(tenant)
        return bool(created)

    async def delete_entity(self, tenant: str, entity_id: str) -> None:
        """Forget an entity's whole history (DELETE /temporal/entities/{id}); the current
        entity, if any, stays (it is the other API's resource)."""
        async with self.pool.acquire() as connection, connection.transaction():
            await self.tenants.require(connection, tenant)
            gone = await connection.fetchval(
                "DELETE FROM history_entities WHERE tenant = $1 AND id = $2 RETURNING true",
                tenant, entity_id,
            )
            if not gone:
                raise ResourceNotFound(f"No history of entity {entity_id}")
            await connection.execute(
                "DELETE FROM attribute_history WHERE tenant = $1 AND entity_id = $2",
                tenant, entity_id,
            )

    async def delete_attribute(
        self, tenant: str, entity_id: str, attr: str, dataset_id: str | None, delete_all: bool
    ) -> None:
        async with self.pool.acquire() as connection:
            await self.tenants.require(connection, tenant)
            status = await connection.execute(
                "DELETE FROM attribute_history WHERE tenant = $1 AND entity_id = $2 "
                "AND attr = $3 AND ($5 OR dataset_id = $4)",
                tenant, entity_id, attr, dataset_id or "", delete_all,
            )
        if status.endswith(" 0"):
            raise ResourceNotFound(f"No history of attribute {attr} of entity {entity_id}")

    async def delete_instance(
        self, tenant: str, entity_id: str, attr: str, instance_id: str
    ) -> None:
        key = _instance_uuid(instance_id)
        async with self.pool.acquire() as connection:
            await self.tenants.require(connection, tenant)
            status = await connection.execute(
                "DELETE FROM attribute_history WHERE tenant = $1 AND entity_id = $2 "
                "AND attr = $3 AND instance_id = $4",
                tenant, entity_id, attr, key,
            )
        if status.endswith(" 0"):
            raise ResourceNotFound(f"No instance {instance_id} of {attr} of {entity_id}")

    async def replace_instance(
        self, tenant: str, entity_id: str, attr: str, instance_id: str, instance: dict[str, Any]
    ) -> None:
        """PATCH of one instance: its content is replaced, it keeps its instanceId; a moved
        observedAt moves it in time (delete and insert: it may change partition)."""
        key = _instance_uuid(instance_id)
        observed = instance.get("observedAt") or instance["modifiedAt"]
        async with self.pool.acquire() as connection, connection.transaction():
            await self.tenants.require(connection, tenant)
            old = await connection.fetchrow(
                "DELETE FROM attribute_history WHERE tenant = $1 AND entity_id = $2 "
                "AND attr = $3 AND instance_id = $4 RETURNING created_at, instance",
                tenant, entity_id, attr, key,
            )
            if old is None:
                raise ResourceNotFound(f"No instance {instance_id} of {attr} of {entity_id}")
            instance["createdAt"] = old["instance"].get("createdAt", instance["createdAt"])
            await connection.execute(
                "INSERT INTO attribute_history (tenant, entity_id, attr, dataset_id, observed_at, "
                "modified_at, created_at, instance_id, instance) "
                "VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6::text::timestamptz, $7, $8, $9)",
                tenant, entity_id, attr, instance.get("datasetId", ""), observed,
                instance["modifiedAt"], old["created_at"], key, instance,
            )


def _instance_uuid(instance_id: str) -> uuid.UUID:
    text = instance_id.removeprefix(INSTANCE_PREFIX)
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise ResourceNotFound(f"No instance {instance_id[:200]!r}") from error


async def prune(pool: asyncpg.Pool, retention_days: int | None) -> int:
    """One maintenance round: partitions for the coming months, then retention."""
    keep = f"{retention_days} days" if retention_days else None
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT ngsild_history_maintain()")
        return int(await connection.fetchval("SELECT ngsild_history_prune($1::interval)", keep))


async def history_maintenance(
    pool: asyncpg.Pool, retention_days: int, every: float = 3600.0
) -> None:
    """Run :func:`prune` every ``every`` seconds until cancelled (start it in the lifespan).

    Several broker processes may run it: the SQL functions serialise on an advisory lock.
    """
    while True:
        try:
            deleted = await prune(pool, retention_days or None)
            if deleted:
                log.info("history retention: %d instances deleted", deleted)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round must not end the task; the next one retries
            log.exception("history maintenance failed")
        await asyncio.sleep(every)


def start_history_maintenance(pool: asyncpg.Pool, retention_days: int) -> asyncio.Task[None]:
    """The maintenance task for the app lifespan; cancel it on shutdown."""
    return asyncio.create_task(history_maintenance(pool, retention_days), name="history")
