"""The NGSI-LD core @context, shipped with the broker and never downloaded.

``core-context-v1.8.jsonld`` beside this module was transcribed by hand from ETSI GS CIM 009
V1.8.1, Annex B (normative) "Core NGSI-LD @context definition", read together with the
member definitions of clause 5.2 (NGSI-LD data types: Property, Relationship, GeoProperty,
LanguageProperty, ListProperty, VocabProperty, JsonProperty and their members). It was written
from the specification's term definitions, not copied from a published file. The
specification makes the core context protected (``@protected``), JSON-LD 1.1 (``@version``),
and gives it ``@vocab`` = ``https://uri.etsi.org/ngsi-ld/default-context/`` so that every term
no @context defines still expands to an IRI.

Why shipped: the platform runs offline by default (ARCHITECTURE.md), and brokers that download
the core context fail on air-gapped sites (Orion-LD issue #952). Every published URL of the
core context (versioned or not) therefore resolves to this one document.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

#: The URL this broker names in Link headers and ``@context`` members it writes.
CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"

#: Every URL that clients use for the core context; all resolve to the shipped document.
#: Earlier versions differ only in terms no entity of this platform uses (subscription and
#: registration members added later), so one document serves them all.
CORE_CONTEXT_ALIASES: frozenset[str] = frozenset(
    {
        CORE_CONTEXT_URL,
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
    }
)

#: The IRI an undefined term expands to: ``@vocab`` of the core context.
DEFAULT_CONTEXT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"

_RESOURCE = "core-context-v1.8.jsonld"


@cache
def _shared() -> dict[str, Any]:
    """The parsed document, read once; callers inside the package treat it as read-only."""
    text = resources.files(__package__).joinpath(_RESOURCE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def core_context() -> dict[str, Any]:
    """The core @context document (``{"@context": {...}}``), as a copy the caller may change."""
    return copy.deepcopy(_shared())


def is_core_context_url(url: str) -> bool:
    """Whether ``url`` names the core context (any accepted version)."""
    return url in CORE_CONTEXT_ALIASES
