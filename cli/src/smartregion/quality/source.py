"""Load a catalogue's DCAT output into one graph, following its ``hydra:next`` pages.

ckanext-dcat's ``/catalog.{ttl,rdf,jsonld}`` returns ``ckanext.dcat.datasets_per_page`` datasets
per page and links the next page with ``hydra:next`` (a literal holding the URL). Every page is
merged into one graph. A link back to a page already read ends the walk (a broken endpoint must
not loop forever); more pages than ``max_pages`` is an error, because a report over part of the
catalogue would look complete. Files (a path or ``file://`` URL) are read as one page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpx
from rdflib import Graph
from rdflib.term import Node

from smartregion.quality.terms import HYDRA

USER_AGENT = "smartregion-catalogue-validate/0.1"
ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, */*;q=0.1"
DEFAULT_MAX_PAGES = 1000
DEFAULT_TIMEOUT = 120.0

# rdflib parser names by media type and by file suffix.
FORMAT_BY_MEDIA_TYPE = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "n3",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/n-triples": "nt",
}
FORMAT_BY_SUFFIX = {
    ".ttl": "turtle",
    ".n3": "n3",
    ".rdf": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".nt": "nt",
}


class CatalogueLoadError(Exception):
    """The catalogue could not be read: unreachable, an HTTP error, or not parseable RDF."""


@dataclass
class LoadedCatalogue:
    source: str
    graph: Graph
    pages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _format_for(url: str, media_type: str | None) -> str:
    if media_type:
        known = FORMAT_BY_MEDIA_TYPE.get(media_type.split(";")[0].strip().lower())
        if known:
            return known
    return FORMAT_BY_SUFFIX.get(Path(urlparse(url).path).suffix.lower(), "turtle")


def _parse(graph: Graph, body: bytes, rdf_format: str, where: str) -> None:
    try:
        graph.parse(data=body, format=rdf_format, publicID=where)
    except Exception as exc:  # rdflib raises many unrelated types for bad input
        raise CatalogueLoadError(
            f"{where}: kein gültiges RDF ({rdf_format}) / not valid RDF: {exc}"
        ) from exc


def _next_page(page: Graph, url: str) -> str | None:
    link: Node | None = next(page.objects(None, HYDRA.next), None)
    if link is None:
        link = next(page.objects(None, HYDRA.nextPage), None)  # older hydra term
    return urljoin(url, str(link)) if link is not None else None


def _load_file(source: str) -> LoadedCatalogue:
    parsed = urlparse(source)
    path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(source)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise CatalogueLoadError(f"{path}: nicht lesbar / cannot read: {exc.strerror}") from exc
    graph = Graph()
    _parse(graph, body, _format_for(str(path), None), path.resolve().as_uri())
    return LoadedCatalogue(source=source, graph=graph, pages=[str(path)])


def _fetch(client: httpx.Client, url: str) -> httpx.Response:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise CatalogueLoadError(
            f"{url}: nicht erreichbar / unreachable ({type(exc).__name__}: {exc})"
        ) from exc
    if response.status_code != 200:
        raise CatalogueLoadError(
            f"{url}: HTTP {response.status_code} {response.reason_phrase} "
            "(erwartet / expected 200)"
        )
    return response


def load_catalogue(
    source: str,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    timeout: float = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> LoadedCatalogue:
    """Read ``source`` (http(s) URL, ``file://`` URL or path) and all pages it links to."""
    if urlparse(source).scheme not in ("http", "https"):
        return _load_file(source)
    loaded = LoadedCatalogue(source=source, graph=Graph())
    headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
    with httpx.Client(
        headers=headers, timeout=timeout, follow_redirects=True, transport=transport
    ) as client:
        url: str | None = source
        while url is not None:
            if url in loaded.pages:
                loaded.notes.append(
                    f"Seite {url} verweist auf eine schon gelesene Seite zurück; Ende der "
                    f"Seitenfolge / hydra:next points back to a page already read, stopped."
                )
                break
            if len(loaded.pages) >= max_pages:
                raise CatalogueLoadError(
                    f"{source}: mehr als {max_pages} Seiten / more than {max_pages} pages "
                    f"(next: {url}); raise --max-pages if the catalogue is really that large"
                )
            response = _fetch(client, url)
            page = Graph()
            _parse(page, response.content, _format_for(url, response.headers.get("content-type")),
                   str(response.url))
            loaded.pages.append(url)
            loaded.graph += page
            url = _next_page(page, str(response.url))
    return loaded
