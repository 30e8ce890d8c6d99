"""The embedded NGSI-LD broker (``ngsild-broker``, package ``context-broker/``) as a service.

uvicorn does not daemonise itself, so the broker is a :class:`SpawnedService` (own session,
output in ``<data>/log/broker.log``). Writes need the token in
``secrets.json`` (key ``broker_token``), which adapters and tests read.
"""

from __future__ import annotations

import os

import httpx
from smartregion_schemas.live import contexts_dir

from smartregion import credentials
from smartregion.process import ensure_dir
from smartregion.services import SpawnedService
from smartregion.settings import PlatformSettings


class BrokerService(SpawnedService):
    name = "broker"
    label = "NGSI-LD broker"
    process_marker = "ngsild-broker"

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(settings, "broker_port")

    def answers(self) -> bool:
        try:
            response = httpx.get(f"{self.s.broker_url}/version", timeout=3.0, trust_env=False)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def environment(self) -> dict[str, str]:
        secrets = self.s.secrets_file
        dsn = credentials.broker_db_dsn(
            credentials.broker_db_password(secrets), self.s.host, self.s.port("pg_port")
        )
        return {
            "BROKER_DATABASE_DSN": dsn,
            "BROKER_HOST": self.s.host,
            "BROKER_PORT": str(self.port),
            "BROKER_TOKEN": credentials.broker_token(secrets),
            "BROKER_CONTEXT_CACHE_DIR": str(self.s.data / "broker" / "contexts"),
            # the platform's own @context (smartregion_schemas.live), resolved offline
            "BROKER_CONTEXTS_DIR": str(contexts_dir()),
            # one worker process per core: the broker is CPU-bound Python (see bench/broker.py)
            "BROKER_WORKERS": str(min(4, os.cpu_count() or 1)),
        }

    def command(self) -> list[str]:
        return [str(self.s.venv_bin("ngsild-broker"))]

    def prepare(self) -> None:
        ensure_dir(self.s.data / "broker" / "contexts")
