"""``dcat``: a DCAT-AP / DCAT-AP.de catalogue in Turtle, RDF/XML or JSON-LD, page by page.

Parsed with ckanext-dcat's RDFParser and the catalogue's own ``dcatap_de`` profile — the
mapping the catalogue publishes with, so a record read here and served again keeps its
DCAT-AP.de properties. Pages are followed through ``hydra:next`` (and the legacy
``hydra:nextPage``), as GovData's harvester does; a page seen twice ends the listing with an
error instead of looping (ckanext-dcat#260).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, Field

from .. import ckan_runtime
from ..base import GatherError, Harvester, MappedRecord, RecordError, RemoteRecord, register

#: Content types → rdflib parser names.
_FORMATS = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "n3",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "application/ld+json": "json-ld", "application/json": "json-ld",
    "application/n-triples": "nt",
}
_SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld",
             ".nt": "nt", ".n3": "n3"}
#: Keys of a parsed dataset that are the source portal's, not ours.
_DROP = ("id", "name", "owner_org", "organization", "extras")


class DcatOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rdf_format: str | None = Field(default=None, description="Override: turtle, xml, json-ld")
    profiles: list[str] = Field(default_factory=lambda: ["dcatap_de"])
    max_pages: int = Field(default=10_000, gt=0)


@register
class DcatHarvester(Harvester):
    type_name = "dcat"
    Options = DcatOptions

    def gather(self) -> Iterator[RemoteRecord]:
        url: str | None = self.source.url
        visited: set[str] = set()
        while url:
            if url in visited:
                raise GatherError(f"{url}: page listed twice (hydra:next loops); stopped")
            if len(visited) >= self.options.max_pages:
                raise GatherError(f"more than {self.options.max_pages} pages; stopped")
            visited.add(url)
            response = self.get(url)
            parser = self._parse(url, response.text, response.headers.get("content-type", ""))
            for dataset in parser.datasets():
                guid = dataset.get("uri") or dataset.get("identifier")
                if not guid:
                    continue  # a blank-node dataset has no key to update it by
                yield RemoteRecord(guid=str(guid), content=dataset,
                                   original_url=str(dataset.get("uri") or "") or None,
                                   modified=dataset.get("modified"))
            next_page = parser.next_page()
            url = urljoin(url, str(next_page)) if next_page else None

    def _parse(self, url: str, text: str, content_type: str) -> Any:
        rdf_format = self.options.rdf_format or _format_of(url, content_type)
        parser = ckan_runtime.rdf_parser(self.options.profiles)
        try:
            parser.parse(text, _format=rdf_format)
        except ckan_runtime.parser_error() as error:
            raise GatherError(f"{url}: kein lesbares RDF / not readable as {rdf_format}: "
                              f"{str(error)[:300]}") from None
        return parser

    def map(self, record: RemoteRecord) -> MappedRecord:
        dataset: dict[str, Any] = {k: v for k, v in record.content.items() if k not in _DROP}
        if not dataset.get("title"):
            raise RecordError("dct:title fehlt / missing")
        for resource in dataset.get("resources") or []:
            resource.pop("id", None)
            resource.pop("package_id", None)
        return MappedRecord(guid=record.guid, dataset=dataset, original_url=record.original_url,
                            modified=record.modified)


def _format_of(url: str, content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _FORMATS:
        return _FORMATS[media]
    for suffix, name in _SUFFIXES.items():
        if url.split("?", 1)[0].endswith(suffix):
            return name
    return "turtle"
