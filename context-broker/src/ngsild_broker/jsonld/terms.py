"""Term ↔ IRI mapping for one @context, built once and then used by plain dictionary lookups.

NGSI-LD stores attribute names and entity types as full IRIs and shows each client the short
names of its own @context. Running the JSON-LD expansion and compaction algorithms on every
request would cost milliseconds per entity; what the broker needs is only the *active term
definitions* of the request's @context. So :func:`build_term_map` lets PyLD run the JSON-LD 1.1
Context Processing algorithm once to turn the @context into term definitions, and
:class:`TermMap` then answers ``expand`` and ``compact`` with the rules of the IRI Expansion and
IRI Compaction algorithms for vocabulary-relative IRIs, which is how JSON-LD treats property
names and ``@type`` values.

Rules NGSI-LD adds (ETSI GS CIM 009): the core @context is always applied, and applied last,
so its terms cannot be redefined by a user context, and a term no context defines expands with
the core ``@vocab`` to ``https://uri.etsi.org/ngsi-ld/default-context/<term>``. Because the core
comes last in any case, ``@protected`` only decides whether a user context that redefines a
core term is *rejected*; this layer accepts it and lets the core win, as the core is meant to.

Deliberate simplifications (documented for the broker's users): term selection in ``compact``
ignores ``@type``/``@container`` coercions (a full JSON-LD compaction would skip a term typed
``DateTime`` for an attribute object and print the IRI); type-scoped and property-scoped
contexts are validated but not applied to nested names.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from pyld import jsonld
from pyld.context_resolver import ContextResolver as PyLdContextResolver

from .core_context import CORE_CONTEXT_ALIASES, CORE_CONTEXT_URL
from .errors import InvalidContext

#: Most distinct @context URLs one request's @context may pull in (PyLD's limit is 10 per
#: nesting chain; this also bounds the downloads one request can cause).
MAX_CONTEXT_URLS = 20


class Resolver(Protocol):
    """What the term map needs from :class:`~ngsild_broker.jsonld.resolver.ContextResolver`."""

    async def resolve(self, url: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class TermDefinition:
    """One active term definition: the IRI and the coercions the @context gives the term."""

    iri: str
    type: str | None = None
    container: tuple[str, ...] = ()
    prefix: bool = False
    reverse: bool = False


class TermMap:
    """Expansion and compaction of names under one fixed @context; immutable, share freely."""

    __slots__ = ("_definitions", "_inverse", "_prefixes", "urls", "vocab")

    def __init__(
        self,
        definitions: Mapping[str, TermDefinition | None],
        vocab: str | None,
        urls: Iterable[str] = (),
    ) -> None:
        self._definitions: dict[str, TermDefinition | None] = dict(definitions)
        #: ``@vocab`` of the active context (the core's default-context IRI for NGSI-LD).
        self.vocab = vocab
        #: The @context URLs this map was built from (so a changed document can evict it).
        self.urls: frozenset[str] = frozenset(urls)
        inverse: dict[str, str] = {}
        for term, definition in self._definitions.items():
            if definition is None or definition.reverse:
                continue
            best = inverse.get(definition.iri)
            if best is None or (len(term), term) < (len(best), best):
                inverse[definition.iri] = term
        self._inverse = inverse
        self._prefixes: tuple[tuple[str, str], ...] = tuple(
            sorted(
                (term, definition.iri)
                for term, definition in self._definitions.items()
                if definition is not None and definition.prefix and ":" not in term
            )
        )

    def expand(self, term: str) -> str:
        """The IRI of an attribute name, entity type or vocab value (vocabulary-relative).

        Defined terms give their IRI, ``prefix:suffix`` uses a defined prefix, absolute IRIs
        and blank node ids pass unchanged, anything else is appended to ``@vocab``. A term
        the @context explicitly maps to null is treated as undefined (JSON-LD would drop it;
        a broker has to store it under some IRI).
        """
        if term.startswith("@"):
            return term
        definition = self._definitions.get(term)
        if definition is not None and definition.iri is not None:
            return definition.iri
        prefix, colon, suffix = term.partition(":")
        if colon and prefix:
            if prefix == "_" or suffix.startswith("//"):
                return term
            prefix_definition = self._definitions.get(prefix)
            if prefix_definition is not None and prefix_definition.prefix:
                return prefix_definition.iri + suffix
            return term  # an absolute IRI such as urn:… or https:… (a scheme and a colon)
        if self.vocab is not None:
            return self.vocab + term
        return term

    def compact(self, iri: str) -> str:
        """The shortest name for ``iri`` under this @context; unknown IRIs stay IRIs.

        Order as in JSON-LD IRI compaction: a term mapped to the IRI (shortest, then
        alphabetically first), else the part after ``@vocab`` when that is not itself a term,
        else the shortest ``prefix:suffix``, else the IRI itself.
        """
        term = self._inverse.get(iri)
        if term is not None:
            return term
        vocab = self.vocab
        if vocab and iri.startswith(vocab) and iri != vocab:
            suffix = iri[len(vocab) :]
            if suffix not in self._definitions:
                return suffix
        choice: str | None = None
        for prefix, prefix_iri in self._prefixes:
            if iri == prefix_iri or not iri.startswith(prefix_iri):
                continue
            curie = f"{prefix}:{iri[len(prefix_iri):]}"
            taken = self._definitions.get(curie)
            usable = curie not in self._definitions or (taken is not None and taken.iri == iri)
            if usable and (choice is None or (len(curie), curie) < (len(choice), choice)):
                choice = curie
        return choice if choice is not None else iri

    def definition(self, term: str) -> TermDefinition | None:
        """The active definition of ``term`` (None if undefined or mapped to null)."""
        return self._definitions.get(term)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._definitions.get(term) is not None

    def __len__(self) -> int:
        return len(self._definitions)


async def build_term_map(context: Any, resolver: Resolver) -> TermMap:
    """The term map of an @context value (None, a URL, an object, or an array of these).

    Remote documents are fetched through ``resolver`` first (async, cached, offline first);
    PyLD then processes the whole @context with the core context appended, reading documents
    only from what was fetched, in a worker thread so the event loop keeps serving.
    """
    items = _as_list(context)
    documents: dict[str, dict[str, Any]] = {}
    await _fetch_all(items, None, resolver, documents)
    documents[CORE_CONTEXT_URL] = await resolver.resolve(CORE_CONTEXT_URL)
    loaded = {url: _without_protection(document) for url, document in documents.items()}
    local = [_without_protection(item) for item in items] + [CORE_CONTEXT_URL]
    active = await asyncio.to_thread(_process, local, loaded)
    definitions = {term: _definition(raw) for term, raw in active["mappings"].items()}
    urls = set(documents) - CORE_CONTEXT_ALIASES
    return TermMap(definitions, active.get("@vocab"), urls)


def _as_list(context: Any) -> list[Any]:
    if context is None:
        return []
    if isinstance(context, list):
        return list(context)
    return [context]


async def _fetch_all(
    items: Iterable[Any],
    base: str | None,
    resolver: Resolver,
    documents: dict[str, dict[str, Any]],
) -> None:
    """Fetch every URL an @context refers to, nested ones included, before processing."""
    for item in items:
        if item is None:
            continue
        if isinstance(item, str):
            await _fetch_url(item, base, resolver, documents)
        elif isinstance(item, dict):
            imported = item.get("@import")
            if isinstance(imported, str):
                await _fetch_url(imported, base, resolver, documents)
            for key, value in item.items():
                if isinstance(value, dict) and "@context" in value and not key.startswith("@"):
                    await _fetch_all(_as_list(value["@context"]), base, resolver, documents)
        else:
            raise InvalidContext(
                f"@context entries must be URLs or objects, not {type(item).__name__}"
            )


async def _fetch_url(
    reference: str, base: str | None, resolver: Resolver, documents: dict[str, dict[str, Any]]
) -> None:
    url = urljoin(base, reference) if base else reference
    if not urlsplit(url).scheme:
        raise InvalidContext(f"@context URL {reference!r} is not an absolute URL")
    if url in documents:
        return  # seen already (also ends reference cycles)
    if len(documents) >= MAX_CONTEXT_URLS:
        raise InvalidContext(f"@context refers to more than {MAX_CONTEXT_URLS} documents")
    document = await resolver.resolve(url)
    documents[url] = document
    await _fetch_all(_as_list(document.get("@context")), url, resolver, documents)


def _without_protection(value: Any) -> Any:
    """A copy of a context (document, object or list) with every ``@protected`` removed."""
    if isinstance(value, list):
        return [_without_protection(item) for item in value]
    if not isinstance(value, dict):
        return value
    cleaned = {}
    for key, item in value.items():
        if key == "@protected":
            continue
        if key == "@context" or (isinstance(item, dict) and not key.startswith("@")):
            cleaned[key] = _without_protection(item)
        else:
            cleaned[key] = copy.deepcopy(item)
    return cleaned


def _process(local: list[Any], documents: dict[str, dict[str, Any]]) -> Any:
    """Run PyLD's context processing with a loader that never touches the network."""

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url not in documents:
            raise jsonld.JsonLdError(
                f"@context {url} was not fetched beforehand",
                "jsonld.LoadDocumentError",
                code="loading remote context failed",
            )
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    options = {
        "documentLoader": load,
        "contextResolver": PyLdContextResolver({}, load),
        "base": "",
    }
    processor = jsonld.JsonLdProcessor()
    try:
        initial = processor.process_context(None, None, options)
        return processor.process_context(initial, local, options)
    except jsonld.JsonLdError as error:
        raise InvalidContext(_describe(error)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        # PyLD assumes well-typed input in places; malformed contexts can surface this way.
        raise InvalidContext(f"malformed @context ({type(error).__name__}: {error})") from None


def _describe(error: jsonld.JsonLdError) -> str:
    message = str(error.args[0]) if error.args else "invalid @context"
    code = getattr(error, "code", None)
    cause = (error.details or {}).get("cause") if isinstance(error.details, dict) else None
    text = f"{message} ({code})" if code else message
    if isinstance(cause, jsonld.JsonLdError) and cause.args:
        text += f": {cause.args[0]}"
    return text


def _definition(raw: Any) -> TermDefinition | None:
    if raw is None:
        return None
    container = raw.get("@container") or ()
    return TermDefinition(
        iri=raw["@id"],
        type=raw.get("@type"),
        container=tuple(container),
        prefix=bool(raw.get("_prefix")),
        reverse=bool(raw.get("reverse")),
    )
