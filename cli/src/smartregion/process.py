"""Process, pidfile and port helpers shared by the service modules.

A service counts as *ours and running* only when its pidfile names a live process whose command
line is the expected program, and its port answers. Checking all three keeps ``up`` idempotent
(nothing is restarted that already runs) without mistaking a recycled pid or a foreign server
on the same port for ours.
"""

from __future__ import annotations

import errno
import os
import pwd
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


class PlatformError(RuntimeError):
    """An error the operator can act on; the CLI prints its message without a traceback."""


@dataclass(frozen=True)
class ServiceState:
    """What ``status`` reports for one service."""

    name: str
    running: bool
    pid: int | None
    port: int
    detail: str = ""


def read_pid(pidfile: Path) -> int | None:
    """First line of a pidfile as int, or None if missing or unreadable."""
    try:
        first = pidfile.read_text().split("\n", 1)[0].strip()
        return int(first)
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def process_matches(pid: int, needle: str) -> bool:
    """True if the process is alive and ``needle`` occurs in its command line (pid reuse guard)."""
    return pid_alive(pid) and needle in " ".join(cmdline(pid))


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    """True if we could bind host:port now (also catches listeners on 0.0.0.0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def ensure_port_free(host: str, port: int, service: str, env_var: str) -> None:
    """Fail with an actionable message if a process that is not ours holds the port."""
    if not port_free(host, port):
        raise PlatformError(
            f"Port {port} ({service}) on {host} ist belegt von einem fremden Prozess / is taken "
            f"by a process that is not ours. Stop it or choose another port: {env_var}=<port> "
            f"(e.g. `{env_var}={port + 1} smartregion up`). See: ss -ltnp 'sport = :{port}'"
        )


def wait_until(
    check: Callable[[], bool], timeout: float, interval: float = 0.25
) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds pass; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def terminate(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM, wait, then SIGKILL: services get the chance to shut down cleanly."""
    if not pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_until(lambda: not pid_alive(pid), timeout):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_until(lambda: not pid_alive(pid), 5.0)


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    user: str | None = None,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
    capture: bool = True,
    check: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, optionally as another OS user via ``runuser``.

    Output is captured so that a failure can be reported with the program's own message.
    Commands run as another user start in ``/`` unless told otherwise, because the caller's
    working directory (e.g. under /root) may be closed to that user.
    """
    argv = [str(a) for a in args]
    if user is not None and user != current_user():
        argv = ["runuser", "-u", user, "--", *argv]
        cwd = cwd or Path("/")
    result = subprocess.run(
        argv,
        cwd=cwd,
        input=input_text,
        env=None if env is None else {**os.environ, **env},
        capture_output=capture,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        output = "\n".join(s for s in (result.stdout, result.stderr) if s).strip()
        raise PlatformError(
            f"Command failed ({result.returncode}): {' '.join(argv)}\n{output[-3000:]}"
        )
    return result


def current_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def require_root() -> None:
    if os.geteuid() != 0:
        raise PlatformError(
            "smartregion muss als root laufen / must run as root "
            "(it starts PostgreSQL as the postgres user and Mosquitto as mosquitto)."
        )


def ensure_dir(path: Path, owner: str | None = None, mode: int = 0o755) -> None:
    """Create a directory (and parents) with the given owner and mode; fix them if they differ."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    if owner is not None:
        pw = pwd.getpwnam(owner)
        if (path.stat().st_uid, path.stat().st_gid) != (pw.pw_uid, pw.pw_gid):
            os.chown(path, pw.pw_uid, pw.pw_gid)


def ensure_file(path: Path, owner: str | None = None, mode: int = 0o644) -> None:
    """Create an empty file owned by a service user, e.g. a log it must be able to append to."""
    path.touch(exist_ok=True)
    os.chmod(path, mode)
    if owner is not None:
        pw = pwd.getpwnam(owner)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
