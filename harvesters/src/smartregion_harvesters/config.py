"""The harvest configuration: per partner, which sources feed which organisation, under
which defaults (licence, contributor ID, theme rules) and how often.

One YAML file for all partners, validated with pydantic; ``${VAR}`` and ``${VAR:-default}``
are replaced from the environment before validation, so URLs and credentials of a partner's
source can live outside the file. Errors name the file, the path inside it and the problem.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from smartregion_schemas import catalogue as codes

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SOURCE_NAME = r"^[a-z0-9][a-z0-9_-]{0,60}$"
#: ``schedule`` words and the interval they stand for.
SCHEDULE_WORDS = {"hourly": dt.timedelta(hours=1), "daily": dt.timedelta(days=1),
                  "weekly": dt.timedelta(weeks=1)}
_ISO_INTERVAL = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


class ConfigError(Exception):
    """The configuration cannot be used; the message says file, path and problem."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThemeRule(_Model):
    """Datasets whose title or keywords match ``match`` (a regular expression, any case)
    get the EU data theme ``theme`` (code such as ``TRAN`` or its full URI)."""

    match: str
    theme: str

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression: {error}") from error
        return value

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, value: str) -> str:
        code = value.rsplit("/", 1)[-1]
        known = {theme.code for theme in codes.eu_themes()}
        if code not in known:
            raise ValueError(f"unknown EU data theme {value!r} (one of {', '.join(sorted(known))})")
        return codes.EU_DATA_THEME_BASE + code


class SourceConfig(_Model):
    """One remote source of one partner."""

    name: str = Field(pattern=_SOURCE_NAME, description="Unique within the partner.")
    type: str = Field(description="Source type: ckan, dcat, csw, wfs or files.")
    url: str = Field(pattern=r"^(https?|file)://\S+$")
    title: str | None = None
    enabled: bool = True
    timeout_seconds: float = Field(default=30.0, gt=0)
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="Options of the source type (checked by it).")


class PartnerConfig(_Model):
    """What a partner harvests, and the defaults for its datasets."""

    organization: str = Field(description="CKAN organisation (name) that owns the datasets.")
    default_license: str = Field(default=codes.DCATAP_DE_LICENSE_BASE + "dl-by-de/2.0")
    contributor_id: str | None = Field(
        default=None, description="dcat-ap.de contributor ID URI of the partner, if it has one.")
    themes: list[ThemeRule] = Field(default_factory=list)
    default_keywords: list[str] = Field(
        default_factory=lambda: ["Ostfriesland"],
        description="Keywords given to a record that has none (DCAT-AP.de wants one).")
    schedule: str = Field(default="daily", description="hourly, daily, weekly or PT6H, P2D …")
    sources: list[SourceConfig] = Field(default_factory=list)

    @field_validator("default_license")
    @classmethod
    def _known_license(cls, value: str) -> str:
        found = codes.license_for(value)
        if found is None:
            raise ValueError(f"unknown licence {value!r} (a dcat-ap.de licence URI or id)")
        return found.uri

    @field_validator("schedule")
    @classmethod
    def _interval(cls, value: str) -> str:
        schedule_interval(value)
        return value

    @model_validator(mode="after")
    def _unique_sources(self) -> PartnerConfig:
        names = [source.name for source in self.sources]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"source names must be unique: {', '.join(doubled)}")
        return self


class HarvestConfig(_Model):
    partners: dict[str, PartnerConfig] = Field(default_factory=dict)


def schedule_interval(schedule: str) -> dt.timedelta:
    """How long a source waits between runs: ``daily`` or an ISO 8601 duration (PT6H)."""
    if schedule in SCHEDULE_WORDS:
        return SCHEDULE_WORDS[schedule]
    found = _ISO_INTERVAL.match(schedule)
    if not found or schedule in ("P", "PT") or not any(found.groups()):
        raise ValueError(f"schedule {schedule!r}: use hourly, daily, weekly or e.g. PT6H, P2D")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


def substitute(text: str, environ: dict[str, str] | None = None) -> str:
    """Replace ``${VAR}`` / ``${VAR:-default}``; a variable that is unset and has no default
    is an error naming it (an empty URL would only fail later, less clearly)."""
    env = os.environ if environ is None else environ
    missing: list[str] = []

    def replace(found: re.Match[str]) -> str:
        name, default = found.group(1), found.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    result = _VARIABLE.sub(replace, text)
    if missing:
        raise ConfigError(f"environment variable(s) not set: {', '.join(sorted(set(missing)))}")
    return result


def load_config(path: str | Path, environ: dict[str, str] | None = None) -> HarvestConfig:
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    try:
        data: Any = yaml.safe_load(substitute(raw, environ))
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'partners' at the top")
    try:
        return HarvestConfig.model_validate(data)
    except ValidationError as error:
        lines = [f"{path}: {_where(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise ConfigError("\n".join(lines)) from None


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"
