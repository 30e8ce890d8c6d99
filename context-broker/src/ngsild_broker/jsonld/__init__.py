"""The broker's JSON-LD layer: @context resolution and term expansion/compaction.

Public surface (guarded by ``tests/test_jsonld_core.py``):

- :class:`ContextService` — what the broker uses: ``await service.term_map_for(context)``
  gives the :class:`TermMap` of a request's @context, cached per distinct @context;
  ``service.resolver`` is the :class:`ContextResolver` behind it (``/jsonldContexts``).
- :class:`ContextResolver` — @context URL → document: core, preloaded, hosted, cached,
  downloaded (offline first, bounded in time).
- :class:`TermMap` — ``expand(term) -> IRI`` and ``compact(IRI) -> term`` for one @context.
- :data:`CORE_CONTEXT_URL`, :data:`CORE_CONTEXT_ALIASES`, :func:`core_context` — the shipped
  NGSI-LD core @context (ETSI GS CIM 009 V1.8.1, Annex B).
- :class:`LdContextNotAvailable`, :class:`InvalidContext` — the two failures, which the broker
  maps to the NGSI-LD errors LdContextNotAvailable (503) and BadRequestData (400).
"""

from .core_context import CORE_CONTEXT_ALIASES, CORE_CONTEXT_URL, core_context
from .errors import InvalidContext, LdContextNotAvailable
from .resolver import ContextResolver
from .service import ContextService
from .terms import TermMap

__all__ = [
    "CORE_CONTEXT_ALIASES",
    "CORE_CONTEXT_URL",
    "ContextResolver",
    "ContextService",
    "InvalidContext",
    "LdContextNotAvailable",
    "TermMap",
    "core_context",
]
