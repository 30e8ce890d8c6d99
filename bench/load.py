"""Load from a separate process: ``wrk`` for HTTP, an asyncpg client for the SQL floor.

``wrk`` (Debian package) is a C load generator with Lua request scripts; it costs the
machine far less CPU per request than a Python client would, so on two cores the broker
gets most of the machine. Both runners report the same :class:`LoadResult`.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg

#: Lua ``done`` hook: one JSON line with counts and latency percentiles (microseconds).
_WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def report(self, unit_per_request: int = 1) -> dict[str, float | int]:
        return {
            **asdict(self),
            "per_second": round(self.per_second * unit_per_request, 1),
        }


def run_wrk(
    base_url: str, lua_request: str, *, seconds: int, connections: int, threads: int = 1,
    environment: dict[str, str] | None = None,
) -> LoadResult:
    """Run ``wrk`` with a Lua ``request`` function for ``seconds``; non-2xx count as errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_request + _WRK_REPORT)
    try:
        completed = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
             "-s", script.name, base_url],
            capture_output=True, text=True, check=True,
            env={**os.environ, **(environment or {})},
        )
    finally:
        Path(script.name).unlink()
    line = next(ln for ln in completed.stdout.splitlines() if ln.startswith('{"requests"'))
    data = json.loads(line)
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["socket_errors"] + data["non_2xx"],
        p50_ms=data["p50_us"] / 1000, p95_ms=data["p95_us"] / 1000, p99_ms=data["p99_us"] / 1000,
    )


async def run_sql(
    pool: asyncpg.Pool,
    statement: Callable[[asyncpg.Connection, random.Random], Awaitable[object]],
    *, seconds: float, connections: int, total: int | None = None,
) -> LoadResult:
    """Run ``statement`` from ``connections`` concurrent clients for ``seconds`` (or until
    ``total`` statements ran), timing each call."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    issued = 0

    async def client(seed: int) -> None:
        nonlocal issued
        rng = random.Random(seed)
        async with pool.acquire() as connection:
            while time.perf_counter() < deadline and (total is None or issued < total):
                issued += 1
                started = time.perf_counter()
                await statement(connection, rng)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client(seed) for seed in range(connections)))
    elapsed = time.perf_counter() - started
    return summarise(latencies, elapsed)


def summarise(latencies: list[float], elapsed: float, errors: int = 0) -> LoadResult:
    ordered = sorted(latencies) or [0.0]

    def percentile(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 3)

    return LoadResult(
        requests=len(latencies), seconds=round(elapsed, 3), errors=errors,
        p50_ms=percentile(50), p95_ms=percentile(95), p99_ms=percentile(99),
    )
