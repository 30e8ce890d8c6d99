"""What every server of an instance has in common: a pidfile, a health check, a stop.

PostgreSQL, Redis, Mosquitto and CKAN differ in how they start and how one asks them
whether they work; finding "our" process (pidfile + command line, so a recycled pid is
never mistaken for ours), reporting its state and stopping it are the same for all.
Redis and Mosquitto are also started the same way: from a generated config file, as a
daemon under their own OS user, then polled until they answer.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from smartregion.process import (
    PlatformError,
    ServiceState,
    ensure_dir,
    ensure_file,
    ensure_port_free,
    process_matches,
    read_pid,
    tail,
    terminate,
    wait_until,
)
from smartregion.settings import PORT_ENV_VARS, PlatformSettings


class PidfileService(ABC):
    """A server of the instance, found through its pidfile."""

    name: ClassVar[str]
    #: Text that must occur in the process's command line for the pid to be ours.
    process_marker: ClassVar[str]
    #: State detail when the process lives but does not answer.
    unresponsive_detail: ClassVar[str] = "not answering"

    def __init__(self, settings: PlatformSettings, port_field: str | None,
                 pidfile: Path) -> None:
        self.s = settings
        self.port_field = port_field
        # 0: a client without a port of its own (the adapters)
        self.port = settings.port(port_field) if port_field else 0
        self.pidfile = pidfile

    @abstractmethod
    def answers(self) -> bool:
        """True if the server does its job (speaks its protocol), not merely listens."""

    def pid(self) -> int | None:
        pid = read_pid(self.pidfile)
        if pid is not None and process_matches(pid, self.process_marker):
            return pid
        return None

    def state(self) -> ServiceState:
        pid = self.pid()
        running = pid is not None and self.answers()
        detail = "" if running else (self.unresponsive_detail if pid else "stopped")
        return ServiceState(self.name, running, pid, self.port, detail)

    @property
    def code_stamp(self) -> Path:
        """Records the version of the project's code the running server has loaded."""
        return self.s.run_dir / f"{self.name}-code.json"

    def code_is_stale(self) -> bool:
        """True if the virtualenv changed after the running server loaded its code.

        ``make`` reinstalls a changed package into the virtualenv, but a running server
        keeps serving the old code; without this, ``make test`` would test stale code.
        """
        if self.pid() is None:
            return False
        try:
            loaded = json.loads(self.code_stamp.read_text())["newest_mtime"]
        except (OSError, ValueError, KeyError):
            return True
        return installed_project_code_mtime() > loaded

    def record_loaded_code(self) -> None:
        self.code_stamp.write_text(json.dumps({"newest_mtime": installed_project_code_mtime()}))

    def stop(self) -> bool:
        """Stop the server if ours runs; return True if it was running."""
        pid = self.pid()
        if pid is None:
            return False
        terminate(pid)
        return True


class ConfiguredDaemon(PidfileService):
    """A daemon started from a config file we generate on every ``up`` (Redis, Mosquitto)."""

    #: Human name used in messages.
    label: ClassVar[str]
    #: OS user owning the data directory and log (the daemon runs as, or drops to, it).
    os_user: ClassVar[str]

    def __init__(
        self, settings: PlatformSettings, port_field: str, directory: Path, stem: str
    ) -> None:
        super().__init__(settings, port_field, directory / f"{stem}.pid")
        self.dir = directory
        self.conf = directory / f"{stem}.conf"
        self.log_file = settings.log_dir / f"{stem}.log"

    @abstractmethod
    def config_text(self) -> str:
        """The complete config file."""

    @abstractmethod
    def start(self) -> None:
        """Launch the daemon (it detaches and writes :attr:`pidfile`)."""

    def ensure_running(self) -> bool:
        """Start the daemon unless ours already runs; return True if it was started now."""
        ensure_dir(self.s.log_dir)
        ensure_dir(self.dir, owner=self.os_user, mode=0o750)
        ensure_file(self.log_file, owner=self.os_user, mode=0o640)
        self._write_config()
        if self.pid() is not None:
            if wait_until(self.answers, 5.0):
                return False
            raise PlatformError(
                f"{self.label} (pid {self.pid()}) runs but does not answer on port "
                f"{self.port}; see {self.log_file}"
            )
        ensure_port_free(self.s.host, self.port, self.label, PORT_ENV_VARS[self.port_field])
        self.pidfile.unlink(missing_ok=True)
        self.start()
        if not wait_until(self.answers, 20.0):
            raise PlatformError(
                f"{self.label} did not start on port {self.port}. Last log lines "
                f"({self.log_file}):\n{tail(self.log_file)}"
            )
        return True

    def _write_config(self) -> None:
        text = self.config_text()
        if not self.conf.exists() or self.conf.read_text() != text:
            self.conf.write_text(text)
            ensure_file(self.conf, owner=self.os_user, mode=0o640)



class SpawnedService(PidfileService):
    """A Python program of ours that does not daemonise itself (broker, demo feed, adapters).

    It is started in its own session with its output appended to ``<data>/log/<name>.log``;
    the pid goes into ``<data>/run/<name>.pid``. Subclasses give the command line and the
    environment; ``answers`` says when it is ready.
    """

    #: Human name used in messages.
    label: ClassVar[str]
    #: Seconds to wait for ``answers`` after the start.
    start_timeout: ClassVar[float] = 30.0

    def __init__(self, settings: PlatformSettings, port_field: str | None) -> None:
        super().__init__(settings, port_field, settings.run_dir / f"{self.name}.pid")
        self.log_file = settings.log_dir / f"{self.name}.log"

    @abstractmethod
    def command(self) -> list[str]:
        """The program and its arguments."""

    def environment(self) -> dict[str, str]:
        """Variables added to the caller's environment."""
        return {}

    def prepare(self) -> None:
        """Create what the program needs before it starts (directories, config files)."""

    def ensure_running(self) -> bool:
        """Start the program unless ours runs; return True if it was started now."""
        if self.pid() is not None:
            if wait_until(self.answers, 10.0):
                return False
            raise PlatformError(
                f"{self.label} (pid {self.pid()}) does not answer; see {self.log_file}")
        if self.port_field:
            ensure_port_free(self.s.host, self.port, self.label, PORT_ENV_VARS[self.port_field])
        ensure_dir(self.s.log_dir)
        self.prepare()
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                self.command(),
                env={**os.environ, **self.environment()},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pidfile.write_text(f"{process.pid}\n")
        if not wait_until(lambda: process.poll() is not None or self.answers(),
                          self.start_timeout):
            raise PlatformError(f"{self.label} did not answer within {self.start_timeout:.0f} s:"
                                f"\n{tail(self.log_file, 30)}")
        if process.poll() is not None:
            raise PlatformError(f"{self.label} exited while starting:\n{tail(self.log_file, 30)}")
        self.record_loaded_code()
        return True


def installed_project_code_mtime() -> float:
    """Newest time the virtualenv's code changed.

    That is the newest file of the packages installed from local folders (the project's own:
    pip records a ``direct_url.json`` with a ``file://`` URL for them), or the last install,
    upgrade or removal of any package (each adds or removes a ``*.dist-info`` entry, which
    changes the time of the site-packages directory itself).
    """
    site_packages = Path(importlib.metadata.distribution("ckan").locate_file(""))
    newest = os.stat(site_packages).st_mtime
    for dist in importlib.metadata.distributions():
        direct_url = dist.read_text("direct_url.json") or ""
        if '"file://' not in direct_url:
            continue
        for file in dist.files or []:
            try:
                newest = max(newest, os.stat(dist.locate_file(file)).st_mtime)
            except OSError:
                continue
    return newest
