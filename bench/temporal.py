"""Benchmark of the broker's temporal API, each figure next to its raw SQL floor.

Runs against the broker of the ``bench`` instance in the tenant ``bench-temporal``, which it
empties first. The history is inserted directly into ``attribute_history`` (the trigger on
``entities`` is what fills it in production; here only reading is measured):

* ``week_100_gauges``: 100 gauges with a height every 10 minutes for 7 days (100,800
  instances); ``GET /temporal/entities?type=WaterObserved&attrs=height`` over the 7 days in
  the simplified representation, all 100 gauges in one page. A gauge has 1,008 instances in
  the week: with the default page size (``BROKER_MAX_LIMIT`` 1000) the answer is a 206 with
  ``Content-Range``, which is how a client receives such a week.
* ``year_monthly_avg``: one sensor with a value every 10 minutes for a year (52,560
  instances); monthly averages (``aggrMethods=avg&aggrPeriodDuration=P1M``) over the year.

Each is driven by ``wrk`` and, for the floor, the statement the broker runs for it
(``store/temporal.py``) is executed by an asyncpg client with the same concurrency.
Results: ``bench/results/temporal-<timestamp>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg
from ngsild_broker.api.temporal import parse_duration
from ngsild_broker.store.repository import create_pool
from ngsild_broker.store.temporal import (
    TemporalQuery,
    TimeWindow,
    aggregation_sql,
    entity_selection_sql,
    simplified_sql,
)

from bench.load import run_sql, run_wrk
from bench.results import add_broker_arguments, save_report

TENANT = "bench-temporal"
API = "/ngsi-ld/v1"
NGSI = "https://uri.etsi.org/ngsi-ld/default-context/"
TYPE, HEIGHT = NGSI + "WaterObserved", NGSI + "height"
STEP = timedelta(minutes=10)
END = datetime(2026, 11, 1, tzinfo=UTC)
WEEK_START, YEAR_START = END - timedelta(days=7), END - timedelta(days=365)
GAUGES = 100
SENSOR = "urn:ngsi-ld:WaterObserved:bench-temporal:sensor"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def gauge(n: int) -> str:
    return f"urn:ngsi-ld:WaterObserved:bench-temporal:{n}"


async def load_history(pool: asyncpg.Pool) -> int:
    """The tenant's history: 100 gauges x 7 days and one sensor x 365 days, every 10 min."""
    rng = random.Random(7)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO tenants (name) VALUES ($1) ON CONFLICT DO NOTHING", TENANT)
        await connection.execute("DELETE FROM attribute_history WHERE tenant = $1", TENANT)
        await connection.execute("DELETE FROM history_entities WHERE tenant = $1", TENANT)
        series = [(gauge(n), WEEK_START) for n in range(GAUGES)] + [(SENSOR, YEAR_START)]
        await connection.executemany(
            "INSERT INTO history_entities (tenant, id, types) VALUES ($1, $2, $3)",
            [(TENANT, entity_id, [TYPE]) for entity_id, _ in series],
        )
        rows = 0
        for entity_id, start in series:
            records = []
            moment = start
            while moment < END:
                value = round(rng.uniform(300, 900), 1)
                records.append({"type": "Property", "value": value, "unitCode": "CMT",
                                "observedAt": iso(moment), "createdAt": iso(moment),
                                "modifiedAt": iso(moment)})
                moment += STEP
            await connection.execute(
                "INSERT INTO attribute_history (tenant, entity_id, attr, dataset_id, "
                "observed_at, modified_at, created_at, instance) "
                "SELECT $1, $2, $3, '', t, t, t, i FROM jsonb_array_elements($4::jsonb) AS i, "
                "LATERAL (SELECT (i ->> 'observedAt')::timestamptz AS t) AS x",
                TENANT, entity_id, HEIGHT, records,
            )
            rows += len(records)
    async with pool.acquire() as connection:
        await connection.execute("SELECT ngsild_history_maintain()")
        await connection.execute("ANALYZE attribute_history")
    return rows


def week_query() -> TemporalQuery:
    return TemporalQuery(
        type_groups=[[TYPE]], attrs=[HEIGHT], limit=GAUGES,
        window=TimeWindow("between", WEEK_START, END),
    )


def year_query() -> TemporalQuery:
    return TemporalQuery(
        ids=[SENSOR], attrs=[HEIGHT], window=TimeWindow("between", YEAR_START, END)
    )


async def week_floor(connection: asyncpg.Connection, _: random.Random) -> None:
    """The broker's two statements: the page of entities, then their ``temporalValues``
    (built by PostgreSQL; a page of 5,000 instances per attribute and one more)."""
    query = week_query()
    sql, params, _count = entity_selection_sql(TENANT, query)
    ids = [row["id"] for row in await connection.fetch(sql, *params)]
    sql, params = simplified_sql(TENANT, ids, query, 5001, newest_first=False)
    await connection.fetch(sql, *params)


async def year_floor(connection: asyncpg.Connection, _: random.Random) -> None:
    query = year_query()
    sql, params, _count = entity_selection_sql(TENANT, query)
    ids = [row["id"] for row in await connection.fetch(sql, *params)]
    sql, params = aggregation_sql(TENANT, ids, query, ["avg"], parse_duration("P1M"))
    await connection.fetch(sql, *params)


def wrk_get(path: str) -> str:
    return f"""
local headers = {{["NGSILD-Tenant"] = "{TENANT}"}}
request = function()
  return wrk.format("GET", "{path}", headers, nil)
end
"""


SCENARIOS = {
    "week_100_gauges": (
        API + "/temporal/entities?" + urlencode({
            "type": "WaterObserved", "attrs": "height", "options": "temporalValues",
            "timerel": "between", "timeAt": iso(WEEK_START), "endTimeAt": iso(END),
            "limit": GAUGES,
        }),
        week_floor,
    ),
    "year_monthly_avg": (
        API + f"/temporal/entities/{SENSOR}?" + urlencode({
            "attrs": "height", "options": "aggregatedValues", "aggrMethods": "avg",
            "aggrPeriodDuration": "P1M", "timerel": "between", "timeAt": iso(YEAR_START),
            "endTimeAt": iso(END),
        }),
        year_floor,
    ),
}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.dsn:
        dsn, broker_url = args.dsn, args.broker_url
    else:
        from smartregion.broker_service import BrokerService
        from smartregion.settings import PlatformSettings

        settings = PlatformSettings(instance=args.instance)
        dsn = BrokerService(settings).environment()["BROKER_DATABASE_DSN"]
        broker_url = args.broker_url or settings.broker_url
    pool = await create_pool(dsn, args.connections)
    report: dict[str, Any] = {
        "benchmark": "ngsi-ld-temporal", "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "connections": args.connections, "seconds_per_scenario": args.seconds,
        "instances": await load_history(pool),
    }
    for name, (path, floor) in SCENARIOS.items():
        http = run_wrk(broker_url, wrk_get(path), seconds=args.seconds,
                       connections=args.connections)
        # one client for the whole scenario time: a week of 100 gauges takes over a second
        single = run_wrk(broker_url, wrk_get(path), seconds=args.seconds, connections=1)
        sql = await run_sql(pool, floor, seconds=args.seconds, connections=args.connections)
        report[name] = {"path": path, "http": http.report(), "http_one_client": single.report(),
                        "sql_floor": sql.report()}
    await pool.close()
    return report


def print_table(report: dict[str, Any]) -> None:
    print(f"\nNGSI-LD temporal API, {report['instances']:,} instances, "
          f"{report['connections']} connections\n")
    print(f"{'scenario':<20}{'HTTP /s':>10}{'p50 ms':>9}{'p95 ms':>9}{'1 client p50':>14}"
          f"{'p95':>7}{'SQL /s':>10}{'p50 ms':>9}{'p95 ms':>9}")
    for name in SCENARIOS:
        http, one, sql = (report[name][k] for k in ("http", "http_one_client", "sql_floor"))
        print(f"{name:<20}{http['per_second']:>10,.1f}{http['p50_ms']:>9.1f}{http['p95_ms']:>9.1f}"
              f"{one['p50_ms']:>14.1f}{one['p95_ms']:>7.1f}{sql['per_second']:>10,.1f}"
              f"{sql['p50_ms']:>9.1f}"
              f"{sql['p95_ms']:>9.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_broker_arguments(parser)
    parser.add_argument("--dsn", help="the broker's database (then --broker-url is needed)")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    if args.dsn and not args.broker_url:
        parser.error("--dsn needs --broker-url")
    report = asyncio.run(run(args))
    path = save_report("temporal", report)
    print_table(report)
    print(f"\nreport: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
