"""Settings of one broker process (environment variables ``BROKER_*``).

Nothing is read or connected at import time; ``BrokerSettings()`` reads the environment
when the app is created.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
    cors_origins: list[str] = Field(default_factory=list)
    contexts_dir: Path | None = Field(
        default=None, description="Preloaded @context documents (index.json maps URL → file)."
    )
    context_cache_dir: Path | None = None
    allow_context_download: bool = Field(
        default=True, description="Download unknown @context URLs (off for air-gapped sites)."
    )
    pool_size: int = 10
