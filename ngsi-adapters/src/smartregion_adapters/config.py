"""The adapters' YAML configuration: where the broker is, where the buffer lives, which
streams run. Loading errors name the file, the path inside it and the problem, because a
partner editing the file needs to know exactly which line to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .base import AdapterSettings


class ConfigError(Exception):
    """The configuration cannot be used; the message says file, path and problem."""


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    broker_url: str = Field(description="NGSI-LD broker base URL, e.g. http://127.0.0.1:1026")
    token: str | None = Field(default=None, description="Bearer token (inline).")
    token_file: Path | None = Field(default=None, description="File holding the token.")
    data_dir: Path = Field(description="Directory of the durable buffer (outbox.sqlite3).")
    batch_size: int = Field(default=100, gt=0, le=1000)
    parallel_requests: int = Field(
        default=3, gt=0, le=8,
        description="Batches on their way to the broker at once (order per entity kept).")
    max_attempts: int = Field(default=5, gt=0)
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_cap_seconds: float = Field(default=30.0, ge=0)
    timeout_seconds: float = Field(default=10.0, gt=0)
    streams: list[AdapterSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_token_source(self) -> Config:
        if self.token and self.token_file:
            raise ValueError("give either token or token_file, not both")
        return self

    def bearer_token(self) -> str | None:
        """The token, read from ``token_file`` if that is how it is configured."""
        if self.token_file is None:
            return self.token
        try:
            return self.token_file.read_text(encoding="utf-8").strip() or None
        except OSError as error:
            raise ConfigError(f"token_file {self.token_file}: {error.strerror}") from error


def load_config(path: str | Path) -> Config:
    """Read and check ``path``; relative ``data_dir``/``token_file`` are relative to it."""
    path = Path(path)
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top, got {type(data).__name__}")
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        lines = [f"{path}: {_where(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise ConfigError("\n".join(lines)) from None
    base = path.parent
    updates: dict[str, Any] = {"data_dir": base / config.data_dir}
    if config.token_file is not None:
        updates["token_file"] = base / config.token_file
    return config.model_copy(update=updates)


def _where(loc: tuple[Any, ...]) -> str:
    """``streams[1].interval_seconds`` from pydantic's location tuple."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"
