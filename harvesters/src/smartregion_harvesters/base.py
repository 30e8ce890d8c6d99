"""The one protocol every source type implements: gather → fetch → map.

Modelled on ckanext-harvest's stages, without queues. A source type is one module with one
subclass of :class:`Harvester`, registered by its type name with :func:`register`:

- :meth:`Harvester.gather` lists the remote records, page by page (an iterator, so a source
  that breaks on page 7 still yields pages 1–6 — and raises :class:`GatherError` then, so
  that the runner knows the listing was *not* complete and withdraws nothing);
- :meth:`Harvester.fetch` gets the full record where the listing holds only a reference
  (the default returns the record as gathered);
- :meth:`Harvester.map` turns it into a dataset dict in the catalogue's DCAT-AP.de schema
  (field names of ckanext-smartregion's ``dataset.yaml``), plus files to upload.

Validation against the catalogue's code lists, defaults of the partner, provenance and the
import through the CKAN Action API are the same for every source type and live in
:mod:`.mapping`, :mod:`.validate` and :mod:`.catalogue`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from .config import SourceConfig

USER_AGENT = "smartregion-harvester/0.1 (+https://www.smartregion-ostfriesland.de)"


class GatherError(Exception):
    """The source could not be listed completely (HTTP error, timeout, garbage)."""


class RecordError(Exception):
    """One record cannot be fetched or mapped; the others go on."""


@dataclass
class RemoteRecord:
    """A record of the source. ``guid`` is the source's own key for it (CKAN id, DCAT
    dataset URI, ISO fileIdentifier, feature type name, file URL): the harvest's key."""

    guid: str
    content: Any = None
    original_url: str | None = None
    modified: str | None = None


@dataclass
class Upload:
    """A file the harvester produced that becomes a distribution in CKAN's file store
    (a WFS feature type as GeoJSON). ``resource`` holds the distribution's other fields."""

    filename: str
    data: bytes
    resource: dict[str, Any]


@dataclass
class MappedRecord:
    """A record mapped to the catalogue's dataset schema, before defaults and validation."""

    guid: str
    dataset: dict[str, Any]
    uploads: list[Upload] = field(default_factory=list)
    original_url: str | None = None
    modified: str | None = None
    warnings: list[str] = field(default_factory=list)


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Harvester(ABC):
    """Base class of a source type; one instance harvests one configured source."""

    type_name: ClassVar[str]
    #: The type's ``options`` in the configuration (pydantic, checked on construction).
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, source: SourceConfig, http: httpx.Client | None = None) -> None:
        self.source = source
        try:
            self.options: Any = self.Options.model_validate(source.options)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                 for e in error.errors())
            raise ValueError(f"options of source {source.name!r}: {problems}") from None
        self.http = http or httpx.Client(
            timeout=source.timeout_seconds, follow_redirects=True,
            headers={"User-Agent": USER_AGENT})

    @abstractmethod
    def gather(self) -> Iterator[RemoteRecord]:
        """Every record the source lists now; raises GatherError if the listing broke off."""

    def fetch(self, record: RemoteRecord) -> RemoteRecord:
        return record

    @abstractmethod
    def map(self, record: RemoteRecord) -> MappedRecord:
        """The record in the catalogue's schema; RecordError if it cannot be."""

    def close(self) -> None:
        self.http.close()

    # helpers for subclasses ----------------------------------------------------------------

    def get(self, url: str, **params: Any) -> httpx.Response:
        """GET that turns every way of failing into a GatherError with a precise message."""
        try:
            response = self.http.get(url, params=params or None)
        except httpx.TimeoutException:
            raise GatherError(f"{url}: no answer within {self.source.timeout_seconds:g} s"
                              ) from None
        except httpx.HTTPError as error:
            raise GatherError(f"{url}: not reachable ({type(error).__name__}: {error})"
                              ) from None
        if response.status_code >= 400:
            raise GatherError(f"{response.request.url}: HTTP {response.status_code} "
                              f"{response.text[:200].strip()}")
        return response


_REGISTRY: dict[str, type[Harvester]] = {}


def register(cls: type[Harvester]) -> type[Harvester]:
    _REGISTRY[cls.type_name] = cls
    return cls


def harvester_class(type_name: str) -> type[Harvester]:
    from . import sources  # noqa: F401  (registers the bundled source types)

    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise ValueError(f"unknown source type {type_name!r} (known: "
                         f"{', '.join(sorted(_REGISTRY))})") from None


def source_types() -> list[str]:
    from . import sources  # noqa: F401

    return sorted(_REGISTRY)
