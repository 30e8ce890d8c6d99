"""Benchmark of the embedded NGSI-LD broker, each figure next to its raw SQL floor.

Runs against the broker of the ``bench`` instance (``smartregion up --instance bench``)
in the tenant ``bench``, which it empties first. In one run:

* batch upsert of 100,000 WaterObserved entities in batches of 100 (first creating them,
  then replacing them), from an asyncio HTTP client with several connections;
* single-entity PATCH of an attribute, GET by id, a ``q`` query and a geo ``near`` query
  at 100,000 entities, each for a fixed time from ``wrk`` on loopback;
* for each, the SQL statements the broker executes for it, run by an asyncpg client with
  the same concurrency directly on PostgreSQL: the floor.

Results go to ``bench/results/broker-<timestamp>.json`` and a table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import orjson
from ngsild_broker.jsonld import ContextService
from ngsild_broker.model.entity import parse_attributes, parse_entity
from ngsild_broker.query.geo_query import parse_geo_query
from ngsild_broker.query.q_language import parse_q
from ngsild_broker.settings import BrokerSettings
from ngsild_broker.store.geometries import replace_geometries
from ngsild_broker.store.repository import (
    ATTRIBUTE_UPDATE_SQL,
    GET_SQL,
    WRITE_SQL,
    EntityQuery,
    create_pool,
    entity_document,
    query_statement,
)

from bench.load import LoadResult, run_sql, run_wrk, summarise
from bench.observations import DEVICE_PREFIX, ENTITY_PREFIX, REGION, water_observed
from bench.results import add_broker_arguments, save_report
from smartregion.broker_service import BrokerService
from smartregion.settings import PlatformSettings

TENANT = "bench"
API = "/ngsi-ld/v1"
#: Figures FIWARE published for Orion-LD on one CPU, and the issue's own targets.
TARGETS = {
    "batch_upsert": ("entities/s", 20_000),
    "patch": ("requests/s", 1_800),
    "get_by_id": ("requests/s", 4_200),
    "q_query": ("requests/s", 2_500),
    "geo_near": ("p95 ms", 50),
}
NEAR_METRES = 2000


def lua_request(method: str, path_expression: str, body_expression: str | None = None) -> str:
    """A wrk ``request`` function; the expressions are Lua using ``n`` (random entity)
    and ``lon``/``lat`` (random point in the region)."""
    west, south, east, north = REGION
    body = body_expression or "nil"
    return f"""
local entities = {{}}
local headers = {{["NGSILD-Tenant"] = "{TENANT}", ["Content-Type"] = "application/json",
                  ["Authorization"] = os.getenv("BENCH_BROKER_AUTH") or ""}}
math.randomseed(os.time())
request = function()
  local n = math.random(0, tonumber(os.getenv("BENCH_ENTITIES")) - 1)
  local lon = {west} + math.random() * {east - west}
  local lat = {south} + math.random() * {north - south}
  return wrk.format("{method}", {path_expression}, headers, {body})
end
"""


SCENARIOS: dict[str, str] = {
    "patch": lua_request(
        "PATCH", f'"{API}/entities/{ENTITY_PREFIX}" .. n .. "/attrs"',
        "'{\"height\":{\"type\":\"Property\",\"value\":' .. math.random(300, 900) .. "
        "',\"unitCode\":\"CMT\",\"observedAt\":\"2026-11-22T11:00:00Z\"}}'",
    ),
    "get_by_id": lua_request("GET", f'"{API}/entities/{ENTITY_PREFIX}" .. n'),
    "q_query": lua_request(
        "GET",
        f'"{API}/entities?type=WaterObserved&q=refDevice%3D%3D%22'
        f'{quote(DEVICE_PREFIX, safe="")}" .. n .. "%22"',
    ),
    "geo_near": lua_request(
        "GET",
        f'"{API}/entities?type=WaterObserved&georel=near%3BmaxDistance%3D%3D{NEAR_METRES}'
        '&geometry=Point&coordinates=%5B" .. lon .. "%2C" .. lat .. "%5D"',
    ),
}


#: Scenarios the broker runs on its pool of queries (custom plans).
QUERIES = frozenset({"q_query", "geo_near"})


class Floor:
    """The broker's own SQL for each scenario, run directly on PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool, entities: int) -> None:
        self.pool = pool
        self.entities = entities
        self.terms: Any = None

    async def prepare(self) -> None:
        self.terms = await ContextService().term_map_for(None)

    def documents(self, bodies: list[dict]) -> tuple[list[Any], list[dict]]:
        """Entities in stored form and as the JSON rows of the upsert statement (prepared
        before timing: the floor is the database's share alone)."""
        parsed = [parse_entity(body, self.terms) for body in bodies]
        return parsed, [entity_document(e) for e in parsed]

    async def batch(self, connection: asyncpg.Connection, prepared: tuple[list, list]) -> None:
        parsed, rows = prepared
        async with connection.transaction():
            await connection.fetch(WRITE_SQL["replace"], TENANT, rows)
            await replace_geometries(connection, TENANT, parsed, whole=True)

    async def patch(self, connection: asyncpg.Connection, rng: random.Random) -> None:
        attrs = parse_attributes({"height": {
            "type": "Property", "value": rng.randint(300, 900), "unitCode": "CMT",
            "observedAt": "2026-11-22T11:00:00Z",
        }}, self.terms, depth=0)
        await connection.fetchval(
            ATTRIBUTE_UPDATE_SQL["update"], TENANT, self._id(rng), attrs, list(attrs), [],
        )

    async def get_by_id(self, connection: asyncpg.Connection, rng: random.Random) -> None:
        await connection.fetchrow(GET_SQL, TENANT, self._id(rng))

    async def q_query(self, connection: asyncpg.Connection, rng: random.Random) -> None:
        device = f"{DEVICE_PREFIX}{rng.randrange(self.entities)}"
        await self._query(connection, EntityQuery(
            type_groups=[[self.terms.expand("WaterObserved")]],
            q=parse_q(f'refDevice=="{device}"'), expand=self.terms.expand,
        ))

    async def geo_near(self, connection: asyncpg.Connection, rng: random.Random) -> None:
        west, south, east, north = REGION
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        await self._query(connection, EntityQuery(
            type_groups=[[self.terms.expand("WaterObserved")]],
            geo=parse_geo_query(
                f"near;maxDistance=={NEAR_METRES}", "Point", f"[{lon},{lat}]", None
            ),
            expand=self.terms.expand,
        ))

    async def _query(self, connection: asyncpg.Connection, query: EntityQuery) -> None:
        statement = query_statement(TENANT, query)
        await connection.fetch(statement.sql, *statement.params)

    def _id(self, rng: random.Random) -> str:
        return f"{ENTITY_PREFIX}{rng.randrange(self.entities)}"


async def http_batches(
    broker_url: str, token: str, bodies: list[bytes], connections: int
) -> LoadResult:
    """POST the batch bodies to /entityOperations/upsert from ``connections`` clients."""
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(bodies))
    headers = {"Authorization": f"Bearer {token}", "NGSILD-Tenant": TENANT,
               "Content-Type": "application/json"}

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=broker_url, headers=headers, timeout=60) as http:
            while queue:
                body = queue.pop()
                started = time.perf_counter()
                response = await http.post(f"{API}/entityOperations/upsert", content=body)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code not in (201, 204)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return summarise(latencies, time.perf_counter() - started, errors)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = PlatformSettings(instance=args.instance)
    broker = BrokerService(settings)
    environment = broker.environment()
    broker_url, token = args.broker_url or settings.broker_url, environment["BROKER_TOKEN"]
    # the floor's pools are the broker's: writes and GET by id with the default durability
    # (BROKER_SYNCHRONOUS_COMMIT) and cached plans, queries with custom plans
    dsn = environment["BROKER_DATABASE_DSN"]
    pool = await create_pool(dsn, args.connections, synchronous_commit=BrokerSettings
                             .model_fields["synchronous_commit"].default)
    query_pool = await create_pool(dsn, args.connections, custom_plans=True, migrate=False)
    floor = Floor(pool, args.entities)
    await floor.prepare()
    report: dict[str, Any] = {
        "benchmark": "ngsi-ld-broker", "entities": args.entities,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "connections": args.connections, "seconds_per_scenario": args.seconds,
    }
    async with pool.acquire() as connection:
        # a clean start: earlier runs' entities and their history (a run adds about a
        # million history rows; left in place, every run wrote into bigger indexes)
        await connection.execute("DELETE FROM entities WHERE tenant = $1", TENANT)
        await connection.execute("DELETE FROM attribute_history WHERE tenant = $1", TENANT)
        await connection.execute("DELETE FROM history_entities WHERE tenant = $1", TENANT)
        for table in ("entities", "entity_geo", "attribute_history", "history_entities"):
            await connection.execute(f"VACUUM ANALYZE {table}")

    rng = random.Random(4)
    batches = [
        [water_observed(n, rng) for n in range(start, min(start + args.batch, args.entities))]
        for start in range(0, args.entities, args.batch)
    ]
    encoded = [orjson.dumps(batch) for batch in batches]
    created = await http_batches(broker_url, token, encoded, args.connections)
    replaced = await http_batches(broker_url, token, encoded, args.connections)

    prepared = [floor.documents(batch) for batch in batches]

    async def replay(connection: asyncpg.Connection, _: random.Random) -> None:
        await floor.batch(connection, prepared[next(order) % len(prepared)])

    order = iter(range(10**9))
    batch_floor = await run_sql(
        pool, replay, seconds=3600, connections=args.connections, total=len(batches)
    )
    report["batch_upsert"] = {
        "unit": "entities/s", "batch": args.batch,
        "http_create": created.report(args.batch), "http_replace": replaced.report(args.batch),
        "sql_floor_replace": batch_floor.report(args.batch),
    }
    async with pool.acquire() as connection:
        await connection.execute("VACUUM ANALYZE entities")
        await connection.execute("VACUUM ANALYZE entity_geo")

    wrk_env = {"BENCH_BROKER_AUTH": f"Bearer {token}", "BENCH_ENTITIES": str(args.entities)}
    for name, script in SCENARIOS.items():
        http = run_wrk(
            broker_url, script, seconds=args.seconds, connections=args.connections,
            environment=wrk_env,
        )
        single = run_wrk(
            broker_url, script, seconds=max(3, args.seconds // 3), connections=1,
            environment=wrk_env,
        )
        sql = await run_sql(
            query_pool if name in QUERIES else pool, getattr(floor, name),
            seconds=args.seconds, connections=args.connections,
        )
        report[name] = {
            "http": http.report(), "http_one_client": single.report(), "sql_floor": sql.report(),
            "ratio_throughput": round(sql.per_second / http.per_second, 2)
            if http.per_second else None,
            "ratio_p95": round(http.p95_ms / sql.p95_ms, 2) if sql.p95_ms else None,
        }
    await query_pool.close()
    await pool.close()
    report["verdict"] = verdict(report)
    return report


def verdict(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target of the broker issue with the measured figure and whether it is met."""
    figures = {
        "batch_upsert": min(
            report["batch_upsert"]["http_create"]["per_second"],
            report["batch_upsert"]["http_replace"]["per_second"],
        ),
        "patch": report["patch"]["http"]["per_second"],
        "get_by_id": report["get_by_id"]["http"]["per_second"],
        "q_query": report["q_query"]["http"]["per_second"],
        # latency as one client sees it; under saturation it is mostly queueing
        "geo_near": report["geo_near"]["http_one_client"]["p95_ms"],
    }
    result = {}
    for name, (unit, target) in TARGETS.items():
        value = figures[name]
        met = value <= target if unit.startswith("p95") else value >= target
        result[name] = {"measured": value, "target": target, "unit": unit, "met": met}
    return result


def print_table(report: dict[str, Any]) -> None:
    print(f"\nNGSI-LD broker, {report['entities']:,} entities, "
          f"{report['connections']} connections\n")
    print(f"{'scenario':<26}{'HTTP /s':>11}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'SQL /s':>11}{'p50 ms':>9}{'p95 ms':>9}")
    upsert = report["batch_upsert"]
    rows = [
        ("batch upsert: create", upsert["http_create"], upsert["sql_floor_replace"]),
        ("batch upsert: replace", upsert["http_replace"], upsert["sql_floor_replace"]),
        *[(name, report[name]["http"], report[name]["sql_floor"]) for name in SCENARIOS],
    ]
    for name, http, sql in rows:
        print(f"{name:<26}{http['per_second']:>11,.0f}{http['p50_ms']:>9.2f}{http['p95_ms']:>9.2f}"
              f"{sql['per_second']:>11,.0f}{sql['p50_ms']:>9.2f}{sql['p95_ms']:>9.2f}")
    print("\n(batch upsert figures are entities/s; the others requests/s)\n")
    print(f"{'one client':<26}{'HTTP /s':>11}{'p50 ms':>9}{'p95 ms':>9}")
    for name in SCENARIOS:
        one = report[name]["http_one_client"]
        print(f"{name:<26}{one['per_second']:>11,.0f}{one['p50_ms']:>9.2f}{one['p95_ms']:>9.2f}")
    print()
    for name, check in report["verdict"].items():
        mark = "ok  " if check["met"] else "MISS"
        print(f"  {mark} {name}: {check['measured']:,} {check['unit']} "
              f"(target {check['target']:,})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_broker_arguments(parser)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    report = asyncio.run(run(args))
    path = save_report("broker", report)
    print_table(report)
    print(f"\nreport: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
