"""Bring a whole instance up or down, in dependency order, and report its state.

``up`` is idempotent: each step checks before it acts (cluster initialised? role there? server
answering?), so running it twice restarts nothing. Only a changed ``ckan.ini`` makes the running
CKAN re-read its config (graceful gunicorn reload, same master pid).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from smartregion import catalogue_init, ckan_admin, credentials, sample
from smartregion.broker_service import BrokerService
from smartregion.ckan_config import DEFAULT_PLUGINS, CkanConfig
from smartregion.ckan_service import CkanService
from smartregion.mosquitto import MosquittoBroker
from smartregion.postgres import PostgresCluster
from smartregion.process import ServiceState, ensure_dir, ensure_port_free, require_root
from smartregion.redis_server import RedisServer
from smartregion.settings import PORT_ENV_VARS, PlatformSettings

PLUGINS_ENV = "SMARTREGION_CKAN_PLUGINS"


@dataclass
class UpResult:
    started: list[str] = field(default_factory=list)
    already_running: list[str] = field(default_factory=list)
    admin_password: str | None = None
    token_created: bool = False
    catalogue_report: catalogue_init.InitReport | None = None
    sample_report: sample.LoadReport | None = None


class Stack:
    """The services of one instance, in start order."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.s = settings
        self.postgres = PostgresCluster(settings)
        self.redis = RedisServer(settings)
        self.mosquitto = MosquittoBroker(settings)
        self.ckan = CkanService(settings)
        self.broker = BrokerService(settings)
        # Overridable for debugging CKAN without one of our plugins; the default is the contract.
        self.ckan_config = CkanConfig(settings, os.environ.get(PLUGINS_ENV, DEFAULT_PLUGINS))

    def states(self) -> list[ServiceState]:
        return [
            svc.state()
            for svc in (self.postgres, self.redis, self.mosquitto, self.ckan, self.broker)
        ]

    def preflight(self) -> None:
        """Fail before starting anything if a port we still need is held by someone else."""
        for svc, port_field in (
            (self.postgres, "pg_port"),
            (self.redis, "redis_port"),
            (self.mosquitto, "mqtt_port"),
            (self.ckan, "ckan_port"),
            (self.broker, "broker_port"),
        ):
            if svc.pid() is None:
                ensure_port_free(self.s.host, svc.port, svc.name, PORT_ENV_VARS[port_field])

    def up(self, load_sample: bool = True, log: Callable[[str], None] = print) -> UpResult:
        require_root()
        result = UpResult()
        self.preflight()
        ensure_dir(self.s.data)

        def note(name: str, started: bool) -> None:
            (result.started if started else result.already_running).append(name)
            what = "gestartet / started" if started else "läuft bereits / already running"
            log(f"  {name}: {what}")

        note("postgresql", self.postgres.ensure_running())
        self.postgres.ensure_ckan_database()
        self.postgres.ensure_broker_database()
        note("redis", self.redis.ensure_running())
        note("mosquitto", self.mosquitto.ensure_running())

        log("  ckan: Konfiguration und Datenbankschema / config and database schema ...")
        config_changed = self.ckan_config.ensure()
        self.ckan_config.init_db()
        self.ckan_config.index_missing_datasets()
        result.admin_password = ckan_admin.ensure_sysadmin(self.ckan_config)
        result.token_created = ckan_admin.ensure_api_token(self.ckan_config)
        if self.ckan.code_is_stale():
            # A full restart rather than a graceful reload: no request may still reach a
            # worker with the old code once `up` returns.
            log("  ckan: Programmcode aktualisiert, starte neu / code updated, restarting")
            self.ckan.stop()
        reload = config_changed and self.ckan.pid() is not None
        if reload:
            log("  ckan: ckan.ini geändert, lade neu / ckan.ini changed, reloading workers")
        note("ckan", self.ckan.ensure_running(reload=reload))
        if self.broker.code_is_stale():
            log("  broker: Programmcode aktualisiert, starte neu / code updated, restarting")
            self.broker.stop()
        note("broker", self.broker.ensure_running())

        # The catalogue's structure (organisations, theme groups from schemas/) belongs to the
        # platform, not to the sample: kept in step on every up. The licence register it also
        # needs was written in the config step above, before CKAN (re)started.
        token = credentials.read_token(self.s.api_token_file)
        with sample.remote(self.s.ckan_url, token) as client:
            result.catalogue_report = catalogue_init.init_catalogue(client)
            if load_sample:
                result.sample_report = sample.load(client, sample.load_bundled())
        return result

    def down(self) -> list[str]:
        """Stop in reverse order; return the names of services that were running."""
        require_root()
        stopped = []
        for svc in (self.broker, self.ckan, self.mosquitto, self.redis, self.postgres):
            if svc.stop():
                stopped.append(svc.name)
        return stopped
