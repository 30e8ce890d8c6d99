"""Bring a whole instance up or down, in dependency order, and report its state.

``up`` is idempotent: each step checks before it acts (cluster initialised? role there? server
answering?), so running it twice restarts nothing. Only a changed ``ckan.ini`` makes the running
CKAN re-read its config (graceful gunicorn reload, same master pid).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from smartregion import (
    adapters_setup,
    catalogue_init,
    ckan_admin,
    credentials,
    harvest_setup,
    sample,
)
from smartregion.broker_service import BrokerService
from smartregion.ckan_config import DEFAULT_PLUGINS, CkanConfig
from smartregion.ckan_service import CkanService
from smartregion.live_services import AdaptersService, DemoFeedService
from smartregion.mosquitto import MosquittoBroker
from smartregion.postgres import PostgresCluster
from smartregion.process import ServiceState, ensure_dir, ensure_port_free, require_root
from smartregion.redis_server import RedisServer
from smartregion.services import PidfileService
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
    adapters_config: str | None = None


class Stack:
    """The services of one instance, in start order."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.s = settings
        self.postgres = PostgresCluster(settings)
        self.redis = RedisServer(settings)
        self.mosquitto = MosquittoBroker(settings)
        self.ckan = CkanService(settings)
        self.broker = BrokerService(settings)
        self.feed = DemoFeedService(settings)
        self.adapters = AdaptersService(settings)
        # Overridable for debugging CKAN without one of our plugins; the default is the contract.
        self.ckan_config = CkanConfig(settings, os.environ.get(PLUGINS_ENV, DEFAULT_PLUGINS))

    def live_data_enabled(self) -> bool:
        """True once ``up`` has set the instance up with live data (not with ``--no-sample``,
        as the benchmark instance is, whose broker must carry only the benchmark's load)."""
        return adapters_setup.config_path(self.s).exists()

    def services(self) -> list[PidfileService]:
        """The instance's services in start order."""
        core: list[PidfileService] = [self.postgres, self.redis, self.mosquitto, self.ckan,
                                      self.broker]
        return [*core, self.feed, self.adapters] if self.live_data_enabled() else core

    def states(self) -> list[ServiceState]:
        return [svc.state() for svc in self.services()]

    def preflight(self) -> None:
        """Fail before starting anything if a port we still need is held by someone else."""
        for svc, port_field in (
            (self.postgres, "pg_port"),
            (self.redis, "redis_port"),
            (self.mosquitto, "mqtt_port"),
            (self.ckan, "ckan_port"),
            (self.broker, "broker_port"),
            (self.feed, "feed_port"),
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
        if load_sample:
            self._up_live_data(result, note, log)
            self._up_demo_harvest(log)
        return result

    def _up_demo_harvest(self, log: Callable[[str], None]) -> None:
        """The partners' sample sources (demo feed) harvested into the catalogue; a second
        ``up`` finds them unchanged."""
        path, generated = harvest_setup.ensure_demo_config(self.s)
        if not generated:
            log(f"  harvest: eigene Konfiguration / own configuration {path} "
                "(smartregion harvest run --all)")
            return
        for line in harvest_setup.harvest_demo(self.s):
            log(f"  harvest: {line}")

    def _up_live_data(self, result: UpResult, note: Callable[[str, bool], None],
                      log: Callable[[str], None]) -> None:
        """The demo feed and the adapters on it; their entities and catalogue datasets
        appear within the adapters' first round, which ``up`` waits for."""
        if self.feed.code_is_stale():
            self.feed.stop()
        note("demo-feed", self.feed.ensure_running())
        path, generated = adapters_setup.ensure_demo_config(self.s)
        result.adapters_config = str(path)
        if not generated:
            log(f"  adapters: eigene Konfiguration / own configuration {path} (unverändert)")
        if self.adapters.code_is_stale() or self.adapters.config_is_newer(path):
            log("  adapters: Programm oder Konfiguration geändert, starte neu / "
                "code or configuration changed, restarting")
            self.adapters.stop()
        note("adapters", self.adapters.ensure_running())

    def down(self) -> list[str]:
        """Stop in reverse order; return the names of services that were running."""
        require_root()
        stopped = []
        for svc in (self.adapters, self.feed, self.broker, self.ckan, self.mosquitto,
                    self.redis, self.postgres):
            if svc.stop():
                stopped.append(svc.name)
        return stopped
