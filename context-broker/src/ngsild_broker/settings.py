"""Settings of one broker process (environment variables ``BROKER_*``).

Nothing is read or connected at import time; ``BrokerSettings()`` reads the environment
when the app is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BrokerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BROKER_", extra="ignore")

    database_dsn: str = Field(description="PostgreSQL DSN of the broker's own database (PostGIS).")
    host: str = "127.0.0.1"
    port: int = 1026
    token: SecretStr | None = Field(
        default=None, description="Bearer token required for every write request."
    )
    open_writes: bool = Field(
        default=False,
        description="Accept writes without a token. Only for closed networks and tests.",
    )
    max_body_bytes: int = Field(default=1_048_576, description="Larger request bodies get 413.")
    max_limit: int = Field(default=1000, description="Largest page size a query may ask for.")
    temporal_page_size: int = Field(
        default=5000, ge=1,
        description="Instances per attribute in one temporal answer; more give 206 and "
        "Content-Range. A week of 10-minute values (1,008) fits in one answer.",
    )
    cors_origins: list[str] = Field(default_factory=list)
    contexts_dir: Path | None = Field(
        default=None, description="Preloaded @context documents (index.json maps URL → file)."
    )
    context_cache_dir: Path | None = None
    allow_context_download: bool = Field(
        default=True, description="Download unknown @context URLs (off for air-gapped sites)."
    )
    access_log: bool = Field(
        default=False,
        description="Log every request (uvicorn's access log). Off by default: at thousands "
        "of requests per second it costs a tenth of the broker's CPU and fills the disk.",
    )
    pool_size: int = Field(default=10, description="Database connections per worker process.")
    synchronous_commit: bool = Field(
        default=False,
        description="Acknowledge a write only once PostgreSQL has flushed it to disk. Off "
        "(the default): a write is acknowledged once committed, and a crash of PostgreSQL "
        "or of the machine (not of the broker) can lose the writes of the last ~0.6 s, "
        "never part of one; the durability Orion-LD has on MongoDB's default write concern, "
        "for a fifth more writes per second.",
    )
    workers: int = Field(
        default=1,
        description="Worker processes; `smartregion up` runs one per core (at most 4). "
        "Several workers need context_cache_dir: hosted @contexts are shared through it.",
    )

    notify: bool = Field(
        default=True,
        description="Deliver subscription notifications (one process of all brokers on the "
        "database does it, chosen by an advisory lock).",
    )
    notify_timeout: float = Field(
        default=5.0, description="Seconds one HTTP or MQTT delivery attempt may take."
    )
    notify_retry_cap: float = Field(
        default=10.0,
        description="Longest wait between two attempts (exponential backoff from 0.5 s), so "
        "a receiver that is back gets its notifications within this time.",
    )
    notify_max_age: float = Field(
        default=3600.0,
        description="A notification not delivered after this many seconds is dropped and "
        "counted as failed (timesFailed counts every failed attempt).",
    )
    notify_poll: float = Field(
        default=1.0, description="Seconds between polls when no change NOTIFY arrives."
    )
    history_retention_days: int = Field(
        default=0, ge=0,
        description="Days of attribute history kept (temporal API) for tenants without a row "
        "in history_retention; 0 keeps it forever.",
    )
    history_retention_tenants: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict,
        description="Days of attribute history kept per tenant, as a JSON object tenant → "
        'days, e.g. {"urn:ngsi-ld:tenant:emden": 30}; "" is the default tenant (requests '
        "without NGSILD-Tenant). Written to history_retention at start-up, replacing its "
        "rows; other tenants keep history_retention_days.",
    )

    @model_validator(mode="after")
    def _workers_share_contexts(self) -> BrokerSettings:
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.workers > 1 and self.context_cache_dir is None:
            raise ValueError("BROKER_WORKERS > 1 needs BROKER_CONTEXT_CACHE_DIR")
        return self
