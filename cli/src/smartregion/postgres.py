"""The instance's own PostgreSQL 15 cluster (with PostGIS), independent of any system cluster.

Why an own cluster: the platform must run on machines where PostgreSQL already listens on 5432
and must not touch that server's data. The cluster lives in ``<data>/postgres``, belongs to
the ``postgres`` OS user (initdb refuses root), listens on 127.0.0.1 at the instance port only
and has its unix socket in ``<data>/run``. Superuser work goes through that socket with peer
authentication as OS user postgres, so no superuser password exists anywhere.
"""

from __future__ import annotations

from smartregion import credentials
from smartregion.process import (
    PlatformError,
    ServiceState,
    ensure_dir,
    ensure_file,
    ensure_port_free,
    process_matches,
    read_pid,
    run,
    tail,
)
from smartregion.settings import PORT_ENV_VARS, PlatformSettings

PG_USER = "postgres"
CONF_NAME = "smartregion.conf"


class PostgresCluster:
    """Create, start, stop and provision the cluster of one instance."""

    name = "postgresql"

    def __init__(self, settings: PlatformSettings) -> None:
        self.s = settings
        self.port = settings.port("pg_port")
        self.pgdata = settings.pg_data_dir
        self.log_file = settings.log_dir / "postgresql.log"

    # state --------------------------------------------------------------------------------

    def pid(self) -> int | None:
        """Postmaster pid from ``postmaster.pid`` if that process is a live postgres."""
        pid = read_pid(self.pgdata / "postmaster.pid")
        if pid is not None and process_matches(pid, "postgres"):
            return pid
        return None

    def ready(self) -> bool:
        """Accepting connections on the TCP port (what CKAN uses)."""
        result = run(
            [self.s.pg_bin("pg_isready"), "-q", "-h", self.s.host, "-p", str(self.port)],
            check=False,
        )
        return result.returncode == 0

    def state(self) -> ServiceState:
        pid = self.pid()
        running = pid is not None and self.ready()
        detail = "" if running else ("starting or hung" if pid else "stopped")
        return ServiceState(self.name, running, pid, self.port, detail)

    # lifecycle ----------------------------------------------------------------------------

    def ensure_running(self) -> bool:
        """Initialise and start the cluster if needed; return True if it was started now."""
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._write_config()
        if self.pid() is not None:
            if self.ready():
                return False
            raise PlatformError(
                f"PostgreSQL (pid {self.pid()}) runs but does not answer on port {self.port}; "
                f"see {self.log_file}"
            )
        ensure_port_free(self.s.host, self.port, "PostgreSQL", PORT_ENV_VARS["pg_port"])
        result = run(
            [
                self.s.pg_bin("pg_ctl"), "-D", self.pgdata, "-l", self.log_file,
                "-w", "-t", "60", "start",
            ],
            user=PG_USER,
            check=False,
        )
        if result.returncode != 0 or not self.ready():
            raise PlatformError(
                f"PostgreSQL did not start on port {self.port}. Last log lines "
                f"({self.log_file}):\n{tail(self.log_file)}"
            )
        return True

    def stop(self) -> bool:
        """Fast shutdown (disconnect clients, no data loss); return True if it was running."""
        if self.pid() is None:
            return False
        run(
            [self.s.pg_bin("pg_ctl"), "-D", self.pgdata, "-m", "fast", "-w", "-t", "60", "stop"],
            user=PG_USER,
        )
        return True

    def _prepare_dirs(self) -> None:
        ensure_dir(self.s.data)
        ensure_dir(self.s.log_dir)
        ensure_dir(self.s.run_dir, owner=PG_USER, mode=0o755)
        ensure_dir(self.pgdata, owner=PG_USER, mode=0o700)
        ensure_file(self.log_file, owner=PG_USER, mode=0o640)
        probe = run(["test", "-x", self.s.data], user=PG_USER, check=False)
        if probe.returncode != 0:
            raise PlatformError(
                f"The postgres OS user cannot enter {self.s.data}. Choose a data directory "
                "outside /root, e.g. SMARTREGION_DATA_DIR=/var/lib/smartregion/<instance>."
            )

    def _initdb(self) -> None:
        run(
            [
                self.s.pg_bin("initdb"), "-D", self.pgdata, "--username", PG_USER,
                "--auth-local=peer", "--auth-host=scram-sha-256",
                "--encoding=UTF8", "--locale=C.UTF-8",
            ],
            user=PG_USER,
        )
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a") as handle:
            handle.write(f"\n# Smart Region Ostfriesland: our settings\ninclude '{CONF_NAME}'\n")

    def _write_config(self) -> None:
        """Rewritten on every ``up`` so port changes apply at the next (re)start."""
        text = (
            "# Generated by smartregion on every `up`; edit the SMARTREGION_* settings instead.\n"
            f"listen_addresses = '{self.s.host}'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.s.run_dir}'\n"
            "logging_collector = off\n"
            "log_line_prefix = '%m [%p] %q%u@%d '\n"
            "log_timezone = 'UTC'\n"
            "timezone = 'UTC'\n"
        )
        target = self.pgdata / CONF_NAME
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            ensure_file(target, owner=PG_USER, mode=0o600)

    # provisioning -------------------------------------------------------------------------

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as superuser over the unix socket (peer auth as OS user postgres).

        SQL goes through stdin so passwords never show up in the process list.
        """
        result = run(
            [
                self.s.pg_bin("psql"), "-h", self.s.run_dir, "-p", str(self.port),
                "-d", database, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
            ],
            user=PG_USER,
            input_text=sql,
        )
        return result.stdout.strip()

    def ensure_ckan_database(self) -> None:
        """Role ``ckan`` (login, generated password), database ``ckan``, PostGIS and pg_trgm."""
        password = credentials.ckan_db_password(self.s.secrets_file)
        quoted = password.replace("'", "''")
        role, db = credentials.CKAN_DB_USER, credentials.CKAN_DB_NAME
        self.psql(
            "DO $$ BEGIN\n"
            f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN\n"
            f"    CREATE ROLE {role} LOGIN PASSWORD '{quoted}';\n"
            "  ELSE\n"
            f"    ALTER ROLE {role} WITH LOGIN PASSWORD '{quoted}';\n"
            "  END IF;\n"
            "END $$;\n"
            f"SELECT 'CREATE DATABASE {db} OWNER {role} ENCODING ''UTF8'' TEMPLATE template0'\n"
            f"  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{db}')\\gexec\n"
        )
        self.psql(
            "CREATE EXTENSION IF NOT EXISTS postgis;\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\n",
            database=db,
        )

    def dsn(self) -> str:
        password = credentials.ckan_db_password(self.s.secrets_file)
        return credentials.ckan_db_dsn(password, self.s.host, self.port)
