"""Load, check and cache the JSON Schemas, examples and unit codes of the live entity types.

The files are data (``models/<Type>/schema.json``, ``models/common.schema.json``,
``units.yaml``); this module reads each once, checks that the files agree with each other
(every unit belongs to a numeric attribute of a schema, every code is declared) and builds
one JSON Schema validator per type whose ``$ref``s resolve from the shipped files only.
"""

from __future__ import annotations

import copy
import functools
import json
from datetime import datetime
from importlib import resources
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from smartregion_schemas.live._models import AttributeUnit, UnitCode

_PACKAGE = "smartregion_schemas.live"

#: The NGSI-LD entity types of the platform (Smart Data Models names), one folder each.
ENTITY_TYPES: tuple[str, ...] = (
    "WaterObserved",
    "WeatherObserved",
    "AirQualityObserved",
    "EVChargingStation",
    "Device",
    "OffStreetParking",
)

Representation = Literal["normalized", "keyValues"]
#: The two representations of an entity the examples and ``validate_entity`` know.
REPRESENTATIONS: tuple[str, ...] = get_args(Representation)
_EXAMPLE_FILES = {"normalized": "example-normalized.json", "keyValues": "example-keyvalues.json"}


class LiveDataError(ValueError):
    """A data file of ``smartregion_schemas.live`` is invalid (names the file and the problem)."""


def _text(*parts: str) -> str:
    return resources.files(_PACKAGE).joinpath(*parts).read_text("utf-8")


def _check_type(entity_type: str) -> None:
    if entity_type not in ENTITY_TYPES:
        raise KeyError(f"unknown entity type {entity_type!r}; known: {', '.join(ENTITY_TYPES)}")


@functools.cache
def _common_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_text("models", "common.schema.json"))
    return schema


@functools.cache
def _schema(entity_type: str) -> dict[str, Any]:
    _check_type(entity_type)
    schema: dict[str, Any] = json.loads(_text("models", entity_type, "schema.json"))
    Draft202012Validator.check_schema(schema)
    return schema


def entity_schema(entity_type: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the keyValues form of ``entity_type``, a copy.

    It refers to ``common.schema.json`` by ``$ref``; :func:`validate_entity` resolves that
    from the shipped file.
    """
    return copy.deepcopy(_schema(entity_type))


def attribute_kinds(entity_type: str) -> dict[str, str]:
    """Attribute name → NGSI-LD attribute type (``x-ngsi-ld-type`` of the schema's property)."""
    properties = _schema(entity_type)["properties"]
    return {
        name: spec["x-ngsi-ld-type"]
        for name, spec in properties.items()
        if isinstance(spec, dict) and "x-ngsi-ld-type" in spec
    }


@functools.cache
def _example(entity_type: str, representation: str) -> dict[str, Any]:
    _check_type(entity_type)
    try:
        filename = _EXAMPLE_FILES[representation]
    except KeyError:
        raise KeyError(
            f"unknown representation {representation!r}; known: {', '.join(REPRESENTATIONS)}"
        ) from None
    document: dict[str, Any] = json.loads(_text("models", entity_type, filename))
    return document


def example(entity_type: str, representation: Representation = "normalized") -> dict[str, Any]:
    """The shipped example entity of ``entity_type`` in ``representation``, a copy."""
    return copy.deepcopy(_example(entity_type, representation))


# Validators ----------------------------------------------------------------------------------

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time with a time zone (the schemas' patterns also demand ``Z``)."""
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None and "T" in value


@_FORMATS.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and not any(
        c.isspace() for c in value
    )


@functools.cache
def _registry() -> Registry:
    schemas = [_common_schema(), *(_schema(t) for t in ENTITY_TYPES)]
    resources_ = [(s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
                  for s in schemas]
    registry: Registry = Registry().with_resources(resources_)
    return registry


@functools.cache
def keyvalues_validator(entity_type: str) -> Draft202012Validator:
    """The JSON Schema validator of ``entity_type`` (formats checked, ``$ref``s offline)."""
    return Draft202012Validator(
        _schema(entity_type), registry=_registry(), format_checker=_FORMATS
    )


# Units ---------------------------------------------------------------------------------------


@functools.cache
def unit_codes() -> tuple[UnitCode, ...]:
    """The UN/CEFACT common codes the platform uses (``units.yaml``), in file order."""
    raw = yaml.safe_load(_text("units.yaml"))
    try:
        codes = tuple(UnitCode.model_validate(item) for item in raw["codes"])
    except (ValidationError, KeyError, TypeError) as error:
        raise LiveDataError(f"units.yaml: codes: {error}") from error
    seen = [c.code for c in codes]
    if len(seen) != len(set(seen)):
        raise LiveDataError("units.yaml: a code is declared twice")
    return codes


@functools.cache
def units() -> tuple[AttributeUnit, ...]:
    """The unit of every numeric attribute that has one: (entity type, attribute, code)."""
    raw = yaml.safe_load(_text("units.yaml"))
    by_code = {c.code: c for c in unit_codes()}
    items: list[AttributeUnit] = []
    for entity_type, attributes in (raw.get("units") or {}).items():
        if entity_type not in ENTITY_TYPES:
            raise LiveDataError(f"units.yaml: unknown entity type {entity_type!r}")
        properties = _schema(entity_type)["properties"]
        for attribute, code in attributes.items():
            if code not in by_code:
                raise LiveDataError(f"units.yaml: {entity_type}.{attribute}: undeclared {code}")
            if not _is_numeric(properties.get(attribute)):
                raise LiveDataError(
                    f"units.yaml: {entity_type}.{attribute} is not a numeric attribute of "
                    f"models/{entity_type}/schema.json"
                )
            items.append(AttributeUnit(
                entity_type=entity_type, attribute=attribute, unit=by_code[code]
            ))
    return tuple(items)


def _is_numeric(spec: Any) -> bool:
    if not isinstance(spec, dict):
        return False
    if spec.get("type") in ("number", "integer"):
        return True
    return any(_is_numeric(option) for option in spec.get("anyOf", []))


@functools.cache
def _unit_index() -> dict[tuple[str, str], AttributeUnit]:
    return {(u.entity_type, u.attribute): u for u in units()}


def unit_code(entity_type: str, attribute: str) -> str | None:
    """The UN/CEFACT code of ``attribute`` of ``entity_type`` (``unitCode``), or None.

    None means the attribute has no unit (a count, a text, a date); an entity type or
    attribute the schemas do not know raises ``KeyError``, so a typo cannot pass as "no unit".
    """
    if attribute not in _schema(entity_type)["properties"]:
        raise KeyError(f"{entity_type} has no attribute {attribute!r}")
    found = _unit_index().get((entity_type, attribute))
    return found.code if found else None
