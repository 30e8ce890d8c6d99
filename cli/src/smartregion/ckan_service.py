"""CKAN's web server: gunicorn serving :mod:`smartregion.ckan_wsgi`.

gunicorn rather than ``ckan run`` because ``ckan run`` is Werkzeug's development server (one
process, no timeouts, not for production). Two sync workers fit the two-core reference machine;
the 120 s timeout leaves room for slow DCAT serialisations. ``up`` waits for the status API to
answer so that the operator's next command (or the test suite) finds a working catalogue.
"""

from __future__ import annotations

import os
import signal

import httpx

from smartregion.process import (
    PlatformError,
    ensure_dir,
    ensure_port_free,
    process_matches,
    run,
    tail,
    terminate,
    wait_until,
)
from smartregion.services import PidfileService
from smartregion.settings import PORT_ENV_VARS, PlatformSettings

WSGI_APP = "smartregion.ckan_wsgi:create_app()"
STATUS_PATH = "/api/3/action/status_show"


class CkanService(PidfileService):
    name = "ckan"
    process_marker = "smartregion.ckan_wsgi"

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(settings, "ckan_port", settings.ckan_pidfile)
        self.error_log = settings.log_dir / "ckan.log"
        self.access_log = settings.log_dir / "ckan-access.log"

    def answers(self, timeout: float = 5.0) -> bool:
        try:
            response = httpx.get(
                self.s.ckan_url + STATUS_PATH, timeout=timeout, trust_env=False
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def ensure_running(self, reload: bool = False) -> bool:
        """Start gunicorn unless ours runs; return True if started now.

        ``reload`` (after ckan.ini changed) makes a running server re-read its config with a
        graceful SIGHUP: the master keeps its pid, workers are replaced one by one.
        """
        pid = self.pid()
        if pid is not None:
            if reload:
                os.kill(pid, signal.SIGHUP)
                self._wait_ready(pid)
            elif not wait_until(self.answers, 10.0, interval=1.0):
                self._wait_ready(pid)
            return False
        ensure_port_free(self.s.host, self.port, "CKAN", PORT_ENV_VARS["ckan_port"])
        ensure_dir(self.s.log_dir)
        self.pidfile.unlink(missing_ok=True)
        run(
            [
                self.s.venv_bin("gunicorn"),
                "--workers", str(self.s.ckan_workers),
                "--bind", f"{self.s.host}:{self.port}",
                "--timeout", "120",
                "--daemon",
                "--pid", self.pidfile,
                # Recent gunicorn (26+) opens a control socket, by default one per $HOME:
                # the default and test instances would fight over it.
                "--control-socket", self.s.run_dir / "ckan-gunicorn.ctl",
                "--chdir", self.s.ckan_dir,
                "--access-logfile", self.access_log,
                "--error-logfile", self.error_log,
                "--capture-output",
                WSGI_APP,
            ],
            env={"CKAN_INI": str(self.s.ckan_ini)},
        )
        if not wait_until(lambda: self.pid() is not None, 15.0):
            raise PlatformError(
                f"gunicorn did not start. Last lines of {self.error_log}:\n{tail(self.error_log)}"
            )
        pid = self.pid()
        assert pid is not None
        self._wait_ready(pid)
        self.record_loaded_code()
        return True

    def _wait_ready(self, pid: int) -> None:
        """Wait for status_show to answer 200; fail early if the master dies."""

        def ready() -> bool:
            if not process_matches(pid, "smartregion.ckan_wsgi"):
                raise PlatformError(
                    f"CKAN (gunicorn) exited while starting. Last lines of {self.error_log}:\n"
                    f"{tail(self.error_log, 40)}"
                )
            return self.answers(timeout=3.0)

        if not wait_until(ready, self.s.ckan_start_timeout, interval=1.0):
            raise PlatformError(
                f"CKAN did not answer {self.s.ckan_url}{STATUS_PATH} within "
                f"{self.s.ckan_start_timeout:.0f} s. Last lines of {self.error_log}:\n"
                f"{tail(self.error_log, 40)}"
            )

    def stop(self) -> bool:
        pid = self.pid()
        if pid is None:
            self.pidfile.unlink(missing_ok=True)
            return False
        terminate(pid, timeout=60.0)
        self.pidfile.unlink(missing_ok=True)
        return True

