"""The live-data vocabulary: @context, entity schemas, examples, unit codes and entity ids.

The NGSI-LD adapters and the broker take their terms, types, units and URLs from here
instead of declaring their own, so that what an adapter writes is what the catalogue
describes and what a client reads. The data are files beside this module:

- ``context/smartregion-context.jsonld`` (published as :data:`CONTEXT_URL`; ``context/`` with
  its ``index.json`` is the broker's preload directory),
- ``models/<Type>/schema.json`` with ``example-normalized.json`` and ``example-keyvalues.json``
  (``models/common.schema.json`` holds the shared definitions),
- ``units.yaml`` (UN/CEFACT common codes per attribute).

Importing reads no file; each is read and checked on first use and cached. Public surface,
guarded by a test: the names in ``__all__``::

    from smartregion_schemas.live import CONTEXT_URL, entity_id, unit_code, validate_entity
"""

from __future__ import annotations

from smartregion_schemas.live._context import (
    CONTEXT_URL,
    CORE_CONTEXT_URL,
    PROJECT_NAMESPACE,
    context_document,
    context_path,
    context_terms,
    contexts_dir,
)
from smartregion_schemas.live._ids import entity_id, parse_entity_id, partner_for
from smartregion_schemas.live._loader import (
    ENTITY_TYPES,
    REPRESENTATIONS,
    LiveDataError,
    Representation,
    attribute_kinds,
    entity_schema,
    example,
    unit_code,
    unit_codes,
    units,
)
from smartregion_schemas.live._models import AttributeUnit, EntityId, UnitCode
from smartregion_schemas.live._validate import (
    ATTRIBUTE_TYPES,
    EntityValidationError,
    Problem,
    to_keyvalues,
    validate_entity,
)

__all__ = [
    "ATTRIBUTE_TYPES",
    "CONTEXT_URL",
    "CORE_CONTEXT_URL",
    "ENTITY_TYPES",
    "PROJECT_NAMESPACE",
    "REPRESENTATIONS",
    "AttributeUnit",
    "EntityId",
    "EntityValidationError",
    "LiveDataError",
    "Problem",
    "Representation",
    "UnitCode",
    "attribute_kinds",
    "context_document",
    "context_path",
    "context_terms",
    "contexts_dir",
    "entity_id",
    "entity_schema",
    "example",
    "parse_entity_id",
    "partner_for",
    "to_keyvalues",
    "unit_code",
    "unit_codes",
    "units",
    "validate_entity",
]
