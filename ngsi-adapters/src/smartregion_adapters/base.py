"""The one base class of all adapters, and their registry.

An adapter knows one source: how to ``fetch`` its payload and how to ``map`` it to NGSI-LD
entities (normalized, built with :mod:`smartregion_adapters.ngsi`). Everything else is
shared and lives here or in the sink: validation against the platform's schemas
(``smartregion_schemas.live``), the report of what was skipped and why, and pushing,
skipping unchanged values, retrying and buffering (``smartregion_adapters.sink``). So an
adapter is a fetch and a map, and a source that misbehaves (HTTP 500, a timeout, a record
without a value) costs a line in the report, never the other records.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field
from smartregion_schemas.live import EntityValidationError, validate_entity


class SourceError(Exception):
    """The source could not be read (unreachable, HTTP error, unreadable payload); the
    message says which source and what happened, for the run report."""


class AdapterSettings(BaseModel):
    """One configured stream: an adapter for one partner (from the YAML configuration)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adapter: str = Field(description="Registered adapter name, e.g. 'pegelonline'.")
    partner: str = Field(description="Partner (CKAN organisation name or short code).")
    url: str = Field(description="Base URL of the source (live, or the local sample server).")
    catalogue_url: str = Field(
        default="http://127.0.0.1:5000",
        description="CKAN site of the stream's catalogue dataset (refCatalogueDataset).",
    )
    interval_seconds: float = Field(default=300, gt=0, description="Time between runs.")
    timeout_seconds: float = Field(default=10, gt=0, description="Per source request.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Adapter-specific (stations, devices, districts…)."
    )

    @property
    def dataset_name(self) -> str:
        """CKAN name of the stream's catalogue dataset: one per adapter and partner."""
        return f"live-{self.adapter}-{self.partner}".lower()

    @property
    def dataset_url(self) -> str:
        return f"{self.catalogue_url.rstrip('/')}/dataset/{self.dataset_name}"


@dataclass
class Batch:
    """What one run produced: valid entities, and a line per record left out."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.entities += other.entities
        self.problems += other.problems


class Adapter(ABC):
    """A live source: ``fetch`` its payload, ``map`` it to normalized NGSI-LD entities.

    Subclasses set ``name`` (the registry key used in the configuration) and
    ``entity_types`` (what they produce), and are registered with :func:`register`.
    ``map`` reports a record it cannot turn into an entity in ``Batch.problems`` (with the
    record's source id) instead of raising; ``fetch`` raises :class:`SourceError`.
    """

    name: ClassVar[str]
    entity_types: ClassVar[tuple[str, ...]]

    def __init__(self, settings: AdapterSettings, client: httpx.Client) -> None:
        self.settings = settings
        self.client = client

    @classmethod
    def stream_entity_types(cls, settings: AdapterSettings) -> tuple[str, ...]:
        """The entity types the stream ``settings`` produces (for its catalogue dataset);
        all of ``entity_types`` unless an adapter's configuration narrows them."""
        return cls.entity_types

    @classmethod
    def stream_entity_ids(cls, settings: AdapterSettings, entity_type: str) -> list[str] | None:
        """The ids of the stream's entities of ``entity_type`` if the configuration fixes
        them (configured devices), else None: the catalogue then links to the stream by id
        prefix, which another stream of the same type and partner would share."""
        return None

    @abstractmethod
    def fetch(self) -> Any:
        """The source's payload for one run."""

    @abstractmethod
    def map(self, payload: Any) -> Batch:
        """The entities the payload describes (normalized NGSI-LD, not yet validated)."""

    def start(self) -> None:
        """Begin receiving, for sources that push to us (MQTT, webhooks); pull sources need
        nothing. The runner calls it once before the first ``collect`` and keeps the same
        adapter instance for every run, so a subscription lives as long as the runner."""
        return None

    def close(self) -> None:
        """Stop receiving and release what ``start`` opened (the runner's last call)."""
        return None

    def acknowledge(self) -> None:
        """The entities of the last ``collect`` are now durably in the sink's outbox (or were
        skipped as unchanged): a push source may forget the messages they came from. Called
        only after a successful push, so a crash in between re-reads them (the sink then
        skips what it already holds)."""
        return None

    def collect(self) -> Batch:
        """fetch → map → validate: the entities to push and the problems of this run."""
        mapped = self.map(self.fetch())
        result = Batch(problems=list(mapped.problems))
        for entity in mapped.entities:
            try:
                validate_entity(entity, "normalized")
            except EntityValidationError as error:
                result.problems.append(f"{self.name}: {error}")
                continue
            result.entities.append(entity)
        return result

    def get(self, path: str, **params: Any) -> httpx.Response:
        """GET ``path`` below the configured URL; a precise :class:`SourceError` otherwise."""
        url = f"{self.settings.url.rstrip('/')}/{path.lstrip('/')}" if path else self.settings.url
        try:
            response = self.client.get(url, params=params or None,
                                       timeout=self.settings.timeout_seconds)
        except httpx.HTTPError as error:
            raise SourceError(f"{self.name}: {url} not reachable: {error!r}") from error
        if response.status_code != 200:
            raise SourceError(f"{self.name}: {url} answered HTTP {response.status_code}")
        return response


_REGISTRY: dict[str, type[Adapter]] = {}
A = TypeVar("A", bound=type[Adapter])


def register(cls: A) -> A:
    """Class decorator: make the adapter available by its ``name`` in the configuration."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two adapters named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def adapter_class(name: str) -> type[Adapter]:
    """The adapter registered as ``name`` (importing all source modules first)."""
    _import_sources()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"unknown adapter {name!r}; known: {known}") from None


def adapter_names() -> list[str]:
    _import_sources()
    return sorted(_REGISTRY)


def _import_sources() -> None:
    import importlib
    import pkgutil

    from smartregion_adapters import sources

    for module in pkgutil.iter_modules(sources.__path__):
        importlib.import_module(f"{sources.__name__}.{module.name}")


Factory = Callable[[AdapterSettings, httpx.Client], Adapter]
