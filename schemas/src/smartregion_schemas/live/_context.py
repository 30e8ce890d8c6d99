"""The platform's JSON-LD @context: its URL, the shipped file and the broker's preload directory.

Entities name their attributes with short terms (``height``, ``pm25``); the @context turns
each term into the IRI that Smart Data Models define for it, so that the broker stores full
IRIs and any client with the same @context reads the same names. The document lives in
``context/smartregion-context.jsonld`` beside this module and is published under
:data:`CONTEXT_URL`; ``context/index.json`` maps that URL to the file, which makes the
directory usable as the broker's ``BROKER_CONTEXTS_DIR`` as it is (offline, no download).
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

#: The URL under which the platform publishes its @context (named in Link headers and bodies).
CONTEXT_URL = "https://smartregion-ostfriesland.de/ns/context/v1.jsonld"
#: The namespace of the platform's own terms (``refCatalogueDataset``, ``partner``, …).
PROJECT_NAMESPACE = "https://smartregion-ostfriesland.de/ns/"
#: The NGSI-LD core @context that the platform's @context includes first (ETSI GS CIM 009 v1.8).
CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"

_DIRECTORY = Path(__file__).parent / "context"
_FILENAME = "smartregion-context.jsonld"


def contexts_dir() -> Path:
    """The directory with ``index.json`` (URL → file) and the context file.

    A real directory (the package is installed unzipped), so it can be given to the broker as
    ``BROKER_CONTEXTS_DIR`` or to ``ContextResolver(preload=...)`` directly.
    """
    return _DIRECTORY


def context_path() -> Path:
    """The shipped file of the @context published under :data:`CONTEXT_URL`."""
    return _DIRECTORY / _FILENAME


@functools.cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(context_path().read_text(encoding="utf-8"))
    return document


def context_document() -> dict[str, Any]:
    """The parsed @context document (``{"@context": [core URL, {term: IRI, …}]}``), a copy."""
    return copy.deepcopy(_document())


@functools.cache
def _terms() -> dict[str, str]:
    terms: dict[str, str] = {}
    for item in _document()["@context"]:
        if isinstance(item, dict):
            for term, definition in item.items():
                iri = definition if isinstance(definition, str) else definition.get("@id")
                if not term.startswith("@") and isinstance(iri, str):
                    terms[term] = iri
    return terms


def context_terms() -> dict[str, str]:
    """The terms the platform's @context defines itself (term → IRI), without the core's."""
    return dict(_terms())
