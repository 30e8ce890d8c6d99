"""Typed settings of one platform instance.

One object holds everything an operator may change (instance name, data directory, ports) so
that every module takes its values from the same place and tests can read the running test
instance exactly as the CLI sees it. Values come from ``SMARTREGION_*`` environment variables
(see ``cli/smartregion.env.example``); defaults depend on the instance so that the ``test``
instance never touches the data or ports of ``default``. Nothing is read until a
``PlatformSettings`` object is built: importing this module has no side effects.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

InstanceName = Literal["default", "test", "bench"]
INSTANCES: tuple[InstanceName, ...] = ("default", "test", "bench")

DEFAULT_DATA_ROOT = Path("/var/lib/smartregion")

# Loopback ports per instance. Chosen away from the system services a developer machine may
# already run (PostgreSQL 5432, Redis 6379, Mosquitto 1883). The NGSI-LD broker listens on
# 1026 (default) and 21026 (test).
DEFAULT_PORTS: dict[InstanceName, dict[str, int]] = {
    "default": {
        "pg_port": 15432, "redis_port": 16379, "mqtt_port": 11883, "ckan_port": 5000,
        "broker_port": 1026, "feed_port": 18080,
    },
    "test": {
        "pg_port": 25432, "redis_port": 26379, "mqtt_port": 21883, "ckan_port": 25000,
        "broker_port": 21026, "feed_port": 28080,
    },
    # `make bench` fills its own instance with 10,000 datasets, away from tests and users.
    "bench": {
        "pg_port": 35432, "redis_port": 36379, "mqtt_port": 31883, "ckan_port": 35000,
        "broker_port": 31026, "feed_port": 38080,
    },
}

# Where `smartregion catalogue validate` looks for the DCAT-AP.de shapes when shacl_dir is unset.
# The shapes are AGPL-licensed and not part of this repository; they live in the project's shared
# folder next to the checkout (relative to the working directory, because the CLI is installed
# non-editable and cannot find the checkout from its own location).
SHACL_DIR_FALLBACKS: tuple[Path, ...] = (Path("../shared/conformance/dcat-ap-de"),)

# Environment variable that changes each port: named in "port taken" errors.
PORT_ENV_VARS: dict[str, str] = {
    "pg_port": "SMARTREGION_PG_PORT",
    "redis_port": "SMARTREGION_REDIS_PORT",
    "mqtt_port": "SMARTREGION_MQTT_PORT",
    "ckan_port": "SMARTREGION_CKAN_PORT",
    "broker_port": "SMARTREGION_BROKER_PORT",
    "feed_port": "SMARTREGION_FEED_PORT",
}


class PlatformSettings(BaseSettings):
    """Settings of one instance; unset ports and paths get the instance's defaults."""

    model_config = SettingsConfigDict(env_prefix="SMARTREGION_", extra="ignore")

    instance: InstanceName = "default"
    data_root: Path = Field(
        default=DEFAULT_DATA_ROOT,
        description="Parent of the per-instance data directories.",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Data directory of this instance; default <data_root>/<instance>. Must be "
        "traversable by the postgres OS user, hence not under /root.",
    )
    host: str = Field(default="127.0.0.1", description="Every service listens on loopback only.")
    pg_port: int | None = None
    redis_port: int | None = None
    mqtt_port: int | None = None
    ckan_port: int | None = None
    broker_port: int | None = None
    feed_port: int | None = None
    ckan_workers: int = 2
    dcat_page_size: int | None = Field(
        default=None,
        description="Datasets per page of /catalog.{ttl,rdf,jsonld}; default 100, and 5 on the "
        "test instance so that the tests follow hydra:next across pages.",
    )
    ckan_start_timeout: float = 90.0
    pg_bin_dir: Path = Path("/usr/lib/postgresql/15/bin")
    venv_bin_dir: Path | None = Field(
        default=None,
        description="bin/ of the virtualenv holding ckan and gunicorn; default: the one this "
        "CLI runs from.",
    )
    shacl_dir: Path | None = Field(
        default=None,
        description="Folder with GovData's DCAT-AP.de SHACL shapes (shapes/, vocab/) for "
        "`smartregion catalogue validate`; default: the first of SHACL_DIR_FALLBACKS that exists.",
    )

    @model_validator(mode="after")
    def _fill_instance_defaults(self) -> PlatformSettings:
        defaults = DEFAULT_PORTS[self.instance]
        for name, port in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, port)
        if self.data_dir is None:
            self.data_dir = self.data_root / self.instance
        if self.dcat_page_size is None:
            self.dcat_page_size = 5 if self.instance == "test" else 100
        return self

    # The validator guarantees these are set; the properties give callers non-optional types.
    @property
    def data(self) -> Path:
        assert self.data_dir is not None
        return self.data_dir

    def port(self, name: str) -> int:
        """Port of a service by its field name (``pg_port``, ...), never None after validation."""
        value = getattr(self, name)
        assert isinstance(value, int)
        return value

    @property
    def ckan_url(self) -> str:
        return f"http://{self.host}:{self.port('ckan_port')}"

    @property
    def broker_url(self) -> str:
        return f"http://{self.host}:{self.port('broker_port')}"

    @property
    def feed_url(self) -> str:
        """The demo feed: local stand-ins of the public live sources (``make run``)."""
        return f"http://{self.host}:{self.port('feed_port')}"

    # Layout of the data directory -------------------------------------------------------

    @property
    def run_dir(self) -> Path:
        """Unix sockets and pidfiles; owned by postgres because the server puts its socket here."""
        return self.data / "run"

    @property
    def log_dir(self) -> Path:
        return self.data / "log"

    @property
    def pg_data_dir(self) -> Path:
        return self.data / "postgres"

    @property
    def redis_dir(self) -> Path:
        return self.data / "redis"

    @property
    def mosquitto_dir(self) -> Path:
        return self.data / "mosquitto"

    @property
    def ckan_dir(self) -> Path:
        return self.data / "ckan"

    @property
    def ckan_ini(self) -> Path:
        return self.ckan_dir / "ckan.ini"

    @property
    def licenses_file(self) -> Path:
        """CKAN's licence register (``licenses_group_url``), generated from schemas/."""
        return self.ckan_dir / "licenses.json"

    @property
    def ckan_pidfile(self) -> Path:
        return self.run_dir / "ckan.pid"

    @property
    def secrets_file(self) -> Path:
        return self.data / "secrets.json"

    @property
    def api_token_file(self) -> Path:
        return self.data / "api-token"

    def shacl_dir_candidates(self) -> list[Path]:
        """Folders to look for the SHACL shapes in, best first: the configured one only, if set."""
        if self.shacl_dir is not None:
            return [self.shacl_dir]
        return [Path.cwd() / path for path in SHACL_DIR_FALLBACKS]  # absolute ones stay as they are

    def venv_bin(self, program: str) -> Path:
        """Path of a program installed in the platform's virtualenv (ckan, gunicorn)."""
        base = self.venv_bin_dir or Path(sys.executable).parent
        return base / program

    def pg_bin(self, program: str) -> Path:
        return self.pg_bin_dir / program

