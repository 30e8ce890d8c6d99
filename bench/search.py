"""Benchmark of CKAN search on ckanext-pgsearch, each figure next to its SQL floor.

Runs against the ``bench`` instance (``smartregion up --instance bench``), fills it
to 10,000 datasets once, then measures in one run:

* ``package_search`` over HTTP (what API users and the web UI get), with and without
  four facets, and the raw SQL statements the backend runs for the same request
  (executed directly on PostgreSQL: the floor);
* dataset-create throughput through the Action API (sequential and 4 clients), next to
  the index upsert alone (the search index's share of a create).

Results are written as JSON to ``bench/results/search-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import configparser
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.datasets import ORGANISATIONS, dataset
from bench.stats import measure
from ckanext.pgsearch.connection import (
    FETCH_DOCS_SQL,
    UPSERT_SQL,
    BackendSettings,
    PostgresSearchConnection,
)
from ckanext.pgsearch.documents import row_from_document
from smartregion import credentials
from smartregion.settings import PlatformSettings

FACETS = ["organization", "res_format", "tags", "license_id"]
TARGET_P95_MS = 100.0
TARGET_RATIO = 3.0
RESULTS_DIR = Path(__file__).parent / "results"


class Api:
    """A small CKAN Action API client (one keep-alive HTTP connection per instance)."""

    def __init__(self, base_url: str, token: str | None) -> None:
        headers = {"Authorization": token} if token else {}
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=120)

    def call(self, action: str, payload: dict[str, Any] | None = None) -> Any:
        if payload is None:
            response = self.client.get(f"/api/3/action/{action}")
        else:
            response = self.client.post(f"/api/3/action/{action}", json=payload)
        body = response.json()
        if not body.get("success"):
            raise RuntimeError(f"{action} failed: {body.get('error')}")
        return body["result"]


def fill(settings: PlatformSettings, token: str, size: int) -> dict[str, Any]:
    """Create the benchmark datasets that are still missing (idempotent)."""
    api = Api(settings.ckan_url, token)
    existing_orgs = set(api.call("organization_list", {"limit": 1000}))
    for name in ORGANISATIONS:
        if name not in existing_orgs:
            api.call("organization_create", {"name": name, "title": name.replace("-", " ").title()})
    existing = set(api.call("package_list", {"limit": size + 1000, "offset": 0}))
    missing = [n for n in range(size) if f"bench-{n:05d}" not in existing]
    started = time.perf_counter()
    if missing:
        print(f"creating {len(missing)} benchmark datasets …", flush=True)
        _create_many(settings.ckan_url, token, missing, clients=4)
    return {
        "datasets": size,
        "created_now": len(missing),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _create_many(base_url: str, token: str, numbers: list[int], *, clients: int) -> None:
    chunks = [numbers[i::clients] for i in range(clients)]

    def work(chunk: list[int]) -> None:
        api = Api(base_url, token)
        for number in chunk:
            api.call("package_create", dataset(number, random.Random(number)))

    with ThreadPoolExecutor(clients) as pool:
        for result in pool.map(work, chunks):
            del result


def create_throughput(settings: PlatformSettings, token: str, count: int) -> dict[str, Any]:
    """Datasets per second through ``package_create``; the datasets are purged afterwards."""
    api = Api(settings.ckan_url, token)
    results = {}
    for clients in (1, 4):
        numbers = list(range(90_000, 90_000 + count))
        started = time.perf_counter()
        _create_many(settings.ckan_url, token, numbers, clients=clients)
        elapsed = time.perf_counter() - started
        results[f"clients_{clients}"] = {
            "datasets": count,
            "seconds": round(elapsed, 2),
            "datasets_per_second": round(count / elapsed, 1),
        }
        for number in numbers:
            api.call("dataset_purge", {"id": f"bench-{number:05d}"})
    return results


def index_write_floor(settings: PlatformSettings, count: int) -> dict[str, Any]:
    """The SQL floor of a dataset create: upserting its index row, one transaction each."""
    engine = create_engine(_dsn(settings), pool_size=1)
    backend = PostgresSearchConnection(engine, BackendSettings())
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT doc, data_dict, validated_data_dict FROM pgsearch_index "
                "ORDER BY index_id LIMIT :n"
            ),
            {"n": count},
        ).all()
    params = [
        backend.row_params(
            row_from_document(
                {**doc, "data_dict": data, "validated_data_dict": validated},
                spatial_field="spatial_geom",
            )
        )
        for doc, data, validated in rows
    ]
    started = time.perf_counter()
    for values in params:
        with engine.begin() as connection:
            connection.execute(text(UPSERT_SQL), values)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return {
        "rows": len(params),
        "seconds": round(elapsed, 3),
        "rows_per_second": round(len(params) / elapsed, 1),
    }


def search_latency(settings: PlatformSettings, runs: int) -> dict[str, Any]:
    """HTTP ``package_search`` versus the SQL it runs, per scenario."""
    engine = create_engine(_dsn(settings), pool_size=2)
    backend = PostgresSearchConnection(engine, BackendSettings())
    site_id = _site_id(settings)
    anonymous = Api(settings.ckan_url, None)
    scenarios = {
        "text_query_no_facets": ("Pegelstand Emden", []),
        "text_query_4_facets": ("Pegelstand Emden", FACETS),
        "all_datasets_4_facets": ("", FACETS),
    }
    report = {}
    for name, (query, facets) in scenarios.items():
        api_params = {"q": query, "rows": 20}
        if facets:
            api_params["facet.field"] = json.dumps(facets)
        http = measure(lambda p=api_params: anonymous.call("package_search?" + _qs(p)), runs=runs)
        sql, params = backend.plan(**_solr_params(query, facets, site_id))

        def floor(sql: str = sql, params: dict[str, Any] = params) -> None:
            with engine.connect() as connection:
                row = connection.execute(text(sql), params).one()
                ids = [entry[0] for entry in row.page]
                connection.execute(text(FETCH_DOCS_SQL), {"ids": ids}).all()

        raw = measure(floor, runs=runs)
        report[name] = {
            "package_search_http": http,
            "raw_sql_floor": raw,
            "ratio_median": round(http["median_ms"] / raw["median_ms"], 2),
            "ratio_p95": round(http["p95_ms"] / raw["p95_ms"], 2),
        }
    engine.dispose()
    return report


def _solr_params(query: str, facets: list[str], site_id: str) -> dict[str, Any]:
    """The Solr parameters CKAN's package_search sends for an anonymous API request."""
    params: dict[str, Any] = {
        "q": query or "*:*",
        "fq": [
            "+capacity:public  +state:(active)",
            f'+site_id:"{site_id}"',
            '+permission_labels:("public")',
        ],
        "rows": 21,
        "start": 0,
        "sort": "score desc, metadata_modified desc",
        "fl": "id validated_data_dict",
        "facet": "true",
        "facet.limit": 50,
        "facet.mincount": 1,
        "facet.field": facets,
        "df": "text",
        "q.op": "AND",
    }
    if query and ":" not in query:
        params["defType"] = "dismax"
    return params


def _qs(params: dict[str, Any]) -> str:
    return str(httpx.QueryParams(params))


def _dsn(settings: PlatformSettings) -> str:
    password = credentials.ckan_db_password(settings.secrets_file)
    return credentials.ckan_db_dsn(password, settings.host, settings.port("pg_port"))


def _site_id(settings: PlatformSettings) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(settings.ckan_ini)
    return parser.get("app:main", "ckan.site_id", fallback="default") or "default"


def verdict(latency: dict[str, Any]) -> dict[str, Any]:
    """Check the targets of the search issue: 4 facets p95 ≤ 100 ms and ≤ 3× the floor."""
    checks = {}
    for name, figures in latency.items():
        if "4_facets" not in name:
            continue
        checks[name] = {
            "p95_within_100ms": figures["package_search_http"]["p95_ms"] <= TARGET_P95_MS,
            "within_3x_of_floor": figures["ratio_median"] <= TARGET_RATIO,
        }
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--create-count", type=int, default=100)
    args = parser.parse_args(argv)

    settings = PlatformSettings(instance="bench")
    token = credentials.read_token(settings.api_token_file)
    report: dict[str, Any] = {
        "benchmark": "ckan-package-search",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "fill": fill(settings, token, args.datasets),
    }
    report["create_throughput"] = create_throughput(settings, token, args.create_count)
    report["create_throughput"]["index_upsert_floor"] = index_write_floor(
        settings, args.create_count
    )
    report["search_latency"] = search_latency(settings, args.runs)
    report["targets"] = verdict(report["search_latency"])

    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"search-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
