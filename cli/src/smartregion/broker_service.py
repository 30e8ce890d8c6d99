"""The embedded NGSI-LD broker (``ngsild-broker``, package ``context-broker/``) as a service.

uvicorn does not daemonise itself, so the broker is started in its own session with its
output in ``<data>/log/broker.log`` and its pid written here. Writes need the token in
``secrets.json`` (key ``broker_token``), which adapters and tests read.
"""

from __future__ import annotations

import os
import subprocess

import httpx
from smartregion_schemas.live import contexts_dir

from smartregion import credentials
from smartregion.process import PlatformError, ensure_dir, ensure_port_free, tail, wait_until
from smartregion.services import PidfileService
from smartregion.settings import PORT_ENV_VARS, PlatformSettings


class BrokerService(PidfileService):
    name = "broker"
    process_marker = "ngsild-broker"

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(settings, "broker_port", settings.run_dir / "broker.pid")
        self.log_file = settings.log_dir / "broker.log"

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

    def ensure_running(self) -> bool:
        """Start the broker unless ours runs; return True if it was started now."""
        if self.pid() is not None:
            if wait_until(self.answers, 10.0):
                return False
            raise PlatformError(f"Broker (pid {self.pid()}) does not answer; see {self.log_file}")
        ensure_port_free(self.s.host, self.port, "NGSI-LD broker", PORT_ENV_VARS["broker_port"])
        ensure_dir(self.s.log_dir)
        ensure_dir(self.s.data / "broker" / "contexts")
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                [str(self.s.venv_bin("ngsild-broker"))],
                env={**os.environ, **self.environment()},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pidfile.write_text(f"{process.pid}\n")
        if not wait_until(lambda: process.poll() is not None or self.answers(), 30.0):
            raise PlatformError(f"Broker did not answer within 30 s:\n{tail(self.log_file, 30)}")
        if process.poll() is not None:
            raise PlatformError(f"Broker exited while starting:\n{tail(self.log_file, 30)}")
        self.record_loaded_code()
        return True
