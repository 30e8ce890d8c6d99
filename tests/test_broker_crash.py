"""A broker killed with SIGKILL in the middle of a batch leaves no partially written entity.

A second broker process runs against the test instance's broker database on a free port,
receives batch upserts, and is killed while they are being written. After a restart every
entity of the batches is either complete (all attributes and its geometry row) or absent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg2
import pytest

from smartregion import credentials
from smartregion.broker_service import BrokerService
from smartregion.settings import PlatformSettings

ATTRIBUTES = 20
BATCHES, BATCH_SIZE = 40, 250  # 250 entities ≈ 400 kB, under the 1 MB body limit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_broker(settings: PlatformSettings, port: int, log_path) -> subprocess.Popen:
    env = {**os.environ, **BrokerService(settings).environment(), "BROKER_PORT": str(port)}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [str(settings.venv_bin("ngsild-broker"))], env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/version", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"broker did not start; see {log_path}")


def entity(entity_id: str) -> dict:
    body = {
        "id": entity_id, "type": "WaterObserved",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [7.2, 53.3]}},
    }
    for n in range(ATTRIBUTES):
        body[f"reading{n}"] = {"type": "Property", "value": n, "unitCode": "CMT"}
    return body


@pytest.fixture
def database(platform_settings: PlatformSettings) -> Iterator:
    dsn = credentials.broker_db_dsn(
        credentials.broker_db_password(platform_settings.secrets_file),
        platform_settings.host, platform_settings.port("pg_port"),
    )
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    yield connection
    connection.close()


def test_sigkill_mid_batch_leaves_only_complete_entities(
    platform_settings: PlatformSettings, database, tmp_path
) -> None:
    port, tenant, run = free_port(), f"crash{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
    headers = {
        "Authorization": f"Bearer {credentials.broker_token(platform_settings.secrets_file)}",
        "NGSILD-Tenant": tenant,
    }
    ids = [f"urn:ngsi-ld:WaterObserved:{run}:{n}" for n in range(BATCHES * BATCH_SIZE)]
    broker = start_broker(platform_settings, port, tmp_path / "broker.log")

    refused: list[int] = []

    def send_batches() -> None:
        with httpx.Client(timeout=120) as client:
            for start in range(0, len(ids), BATCH_SIZE):
                try:
                    response = client.post(
                        f"http://127.0.0.1:{port}/ngsi-ld/v1/entityOperations/upsert",
                        json=[entity(i) for i in ids[start:start + BATCH_SIZE]], headers=headers,
                    )
                except httpx.HTTPError:
                    return  # the broker is gone
                if response.status_code not in (201, 204):
                    refused.append(response.status_code)
                    return

    def stored() -> int:
        with database.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM entities WHERE tenant = %s", (tenant,))
            return cursor.fetchone()[0]

    sender = threading.Thread(target=send_batches)
    sender.start()
    try:
        deadline = time.monotonic() + 60
        while stored() < BATCH_SIZE // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(broker.pid, signal.SIGKILL)  # mid-batch, no chance to clean up
        broker.wait(timeout=10)
        sender.join(timeout=120)

        broker = start_broker(platform_settings, port, tmp_path / "broker.log")
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT e.id, (SELECT count(*) FROM jsonb_object_keys(e.attrs)), "
                "(SELECT count(*) FROM entity_geo g WHERE g.tenant = e.tenant "
                "AND g.entity_id = e.id) FROM entities e WHERE e.tenant = %s",
                (tenant,),
            )
            rows = cursor.fetchall()
        present = {row[0] for row in rows}
        assert not refused, f"batches refused with status {refused}"
        assert 0 < len(present) < len(ids), "the kill must land in the middle of the batches"
        incomplete = [row for row in rows if row[1] != ATTRIBUTES + 1 or row[2] != 1]
        assert not incomplete, incomplete[:5]
        answered = httpx.get(f"http://127.0.0.1:{port}/ngsi-ld/v1/entities/{next(iter(present))}",
                             headers={"NGSILD-Tenant": tenant})
        assert answered.status_code == 200 and len(answered.json()) == ATTRIBUTES + 3
    finally:
        with database.cursor() as cursor:
            cursor.execute("DELETE FROM entities WHERE tenant = %s", (tenant,))
            cursor.execute("DELETE FROM tenants WHERE name = %s", (tenant,))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(broker.pid, signal.SIGTERM)
        broker.wait(timeout=30)
