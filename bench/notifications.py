"""Benchmark of subscription notifications: latency from an entity write to the receiver.

Runs against the broker of the ``bench`` instance (or ``--broker-url``) in the tenant
``bench_notify``, which it empties of entities and subscriptions first. It creates
``--subscriptions`` subscriptions (default 50) on ``--entities`` WaterObserved entities,
all notifying one local HTTP receiver, then PATCHes ``height`` at ``--rate`` updates per
second (default 500, open loop: sends are scheduled, not paced by answers; ``--batch``
updates per batch upsert, as adapters write) for ``--seconds``. By default each entity is
watched by one of the subscriptions (``--fanout one``); ``--fanout all`` makes every
subscription watch every entity. Each update carries its send time as the value, so each
notified entity gives one latency sample: receive time minus send time (write, commit,
trigger, match, delivery). Reported: p50/p95/p99/max, and how many of the expected
notified entities arrived within ``--drain`` seconds after the last write.

Results go to ``bench/results/notifications-<timestamp>.json`` and a summary to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import queue
import statistics
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bench.results import add_broker_arguments, save_report
from smartregion.broker_service import BrokerService
from smartregion.settings import PlatformSettings

TENANT = "bench_notify"
API = "/ngsi-ld/v1"


class Receiver:
    """A threaded HTTP server in its own process that stamps every notified entity with its
    arrival time: in the process that also drives the writes, its threads and the writer's
    event loop took turns on the GIL and the stamps measured that too."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.notifications = 0
        self.arrivals: multiprocessing.Queue[tuple[int, list[float]]] = multiprocessing.Queue()
        ready: multiprocessing.Queue[int] = multiprocessing.Queue()
        self.process = multiprocessing.Process(
            target=_serve, args=(self.arrivals, ready), daemon=True
        )
        self.process.start()
        self.url = f"http://127.0.0.1:{ready.get(timeout=30)}/notify"

    def samples(self) -> list[float]:
        """The latencies received so far (drains what the receiver process reported)."""
        while True:
            try:
                notifications, latencies = self.arrivals.get_nowait()
            except queue.Empty:
                return list(self.latencies_ms)
            self.notifications += notifications
            self.latencies_ms += latencies

    def close(self) -> None:
        self.process.terminate()


def _serve(arrivals: multiprocessing.Queue, ready: multiprocessing.Queue) -> None:
    """The receiver process: answers 204 and reports (1, latencies) per notification."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the broker reuses its connections

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            arrived = time.time()
            data = json.loads(body)["data"]
            arrivals.put((1, [(arrived - entity["height"]) * 1000 for entity in data
                              if isinstance(entity.get("height"), float)]))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # 5 by default: the broker opening a connection per subscription at once overflowed
        # the listen queue, and each dropped SYN came back after TCP's one-second timeout
        request_queue_size = 1024

    server = Server(("127.0.0.1", 0), Handler)
    ready.put(server.server_address[1])
    server.serve_forever()


def entity_id(n: int) -> str:
    return f"urn:ngsi-ld:WaterObserved:bench-notify:{n:05d}"


async def prepare(client: httpx.AsyncClient, args: argparse.Namespace, receiver: Receiver) -> None:
    """Empty the tenant, create the entities and the subscriptions."""
    listed = await client.get(f"{API}/subscriptions", params={"limit": 1000})
    if listed.status_code == 200:
        for sub in listed.json():
            await client.delete(f"{API}/subscriptions/{sub['id']}")
    batch = [
        {"id": entity_id(n), "type": "WaterObserved",
         "height": {"type": "Property", "value": 0.0}}
        for n in range(args.entities)
    ]
    response = await client.post(f"{API}/entityOperations/upsert", json=batch)
    response.raise_for_status()
    for n in range(args.subscriptions):
        if args.fanout == "all":
            selectors = [{"type": "WaterObserved", "idPattern": f"^{entity_id(0)[:-5]}"}]
        else:  # each entity is watched by exactly one subscription
            selectors = [{"type": "WaterObserved", "id": entity_id(e)}
                         for e in range(n, args.entities, args.subscriptions)]
        response = await client.post(f"{API}/subscriptions", json={
            "type": "Subscription", "subscriptionName": f"bench {n}",
            "entities": selectors,
            "watchedAttributes": ["height"],
            "notification": {"format": "keyValues", "attributes": ["height"],
                             "endpoint": {"uri": receiver.url}},
        })
        response.raise_for_status()


async def drive(client: httpx.AsyncClient, args: argparse.Namespace) -> tuple[int, int]:
    """PATCH at the target rate for the given time; (sent, failed)."""
    total = int(args.rate * args.seconds)
    interval = 1 / args.rate
    started = time.monotonic()
    limiter = asyncio.Semaphore(args.connections)
    failed = 0

    async def one(first: int) -> None:
        """``--batch`` updates in one request, as the adapters send them (batch upsert)."""
        nonlocal failed
        numbers = range(first, min(first + args.batch, total))
        async with limiter:
            if args.batch == 1:
                response = await client.patch(
                    f"{API}/entities/{entity_id(first % args.entities)}/attrs",
                    json={"height": {"type": "Property", "value": time.time()}},
                )
            else:
                response = await client.post(
                    f"{API}/entityOperations/upsert", params={"options": "update"},
                    json=[{"id": entity_id(n % args.entities), "type": "WaterObserved",
                           "height": {"type": "Property", "value": time.time()}}
                          for n in numbers],
                )
            if response.status_code not in (201, 204):
                failed += len(numbers)

    tasks = []
    for first in range(0, total, args.batch):
        delay = started + first * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first)))
    await asyncio.gather(*tasks)
    return total, failed


def percentile(samples: list[float], share: float) -> float:
    return round(samples[min(len(samples) - 1, int(share * len(samples)))], 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = PlatformSettings(instance=args.instance)
    environment = BrokerService(settings).environment()
    url = args.broker_url or settings.broker_url
    headers = {"Authorization": f"Bearer {environment['BROKER_TOKEN']}", "NGSILD-Tenant": TENANT}
    receiver = Receiver()
    limits = httpx.Limits(max_connections=args.connections)
    client = httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=limits)
    async with client:
        await prepare(client, args, receiver)
        began = time.monotonic()
        sent, failed = await drive(client, args)
        write_seconds = time.monotonic() - began
        fanout = args.subscriptions if args.fanout == "all" else 1
        expected = (sent - failed) * fanout
        deadline = time.monotonic() + args.drain
        while len(receiver.samples()) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        for sub in (await client.get(f"{API}/subscriptions", params={"limit": 1000})).json():
            await client.delete(f"{API}/subscriptions/{sub['id']}")
    samples = sorted(receiver.samples())
    receiver.close()
    return {
        "benchmark": "ngsi-ld-notifications",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "target_rate": args.rate, "achieved_rate": round(sent / write_seconds, 1),
        "seconds": args.seconds, "subscriptions": args.subscriptions, "entities": args.entities,
        "fanout": args.fanout, "batch": args.batch,
        "updates": sent, "failed_updates": failed, "notifications": receiver.notifications,
        "expected_entities": expected, "received_entities": len(samples),
        "latency_ms": {
            "p50": percentile(samples, 0.50), "p95": percentile(samples, 0.95),
            "p99": percentile(samples, 0.99), "max": round(samples[-1], 1),
            "mean": round(statistics.fmean(samples), 1),
        } if samples else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_broker_arguments(parser)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--subscriptions", type=int, default=50)
    parser.add_argument("--entities", type=int, default=200)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--drain", type=float, default=60, help="seconds to wait at the end")
    parser.add_argument(
        "--fanout", choices=("one", "all"), default="one",
        help="one: each entity is watched by one of the subscriptions (each update is one "
        "notified entity); all: every subscription watches every entity (×subscriptions)",
    )
    parser.add_argument("--batch", type=int, default=50,
                        help="updates per request (batch upsert); 1 = one PATCH each")
    args = parser.parse_args(argv)
    report = asyncio.run(run(args))
    path = save_report("notifications", report)
    print(json.dumps(report, indent=2))
    print(f"\nreport: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
