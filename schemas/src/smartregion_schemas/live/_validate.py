"""Validate entities of the live types: JSON Schema for the values, NGSI-LD rules for the rest.

The schemas describe the keyValues form (plain values), which is what Smart Data Models
publish and what JSON Schema can say well. A normalized entity is therefore checked in two
steps: each attribute must be a well-formed NGSI-LD attribute of the kind its schema names
(``x-ngsi-ld-type``), with ``observedAt`` in UTC and the registered ``unitCode``; then its
keyValues form is validated against the schema, and problems are reported at the path they
have in the normalized entity (``height.value`` rather than ``height``). Both forms also get
the checks JSON Schema cannot make: the id's partner must exist in the registry and agree
with the ``partner`` attribute. Every problem is collected, so one run lists them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import ValidationError as SchemaError

from smartregion_schemas.catalogue import partner as registry_partner
from smartregion_schemas.live._context import context_terms
from smartregion_schemas.live._ids import parse_entity_id
from smartregion_schemas.live._loader import (
    ENTITY_TYPES,
    REPRESENTATIONS,
    _schema,
    attribute_kinds,
    keyvalues_validator,
    unit_code,
)

#: NGSI-LD attribute types (ETSI GS CIM 009 v1.8, clause 4.5) → the member holding the content.
ATTRIBUTE_TYPES: dict[str, str] = {
    "Property": "value",
    "GeoProperty": "value",
    "Relationship": "object",
    "LanguageProperty": "languageMap",
    "ListProperty": "valueList",
    "ListRelationship": "objectList",
    "VocabProperty": "vocab",
    "JsonProperty": "json",
}
_CONTENT_MEMBERS = frozenset(ATTRIBUTE_TYPES.values())
#: Members any attribute may have besides its content (system members included, as a broker
#: returns them); ``unitCode`` only where a value has a unit, ``objectType`` on relationships.
_COMMON_MEMBERS = frozenset({"type", "observedAt", "datasetId", "createdAt", "modifiedAt",
                             "deletedAt", "lang"})
_KIND_MEMBERS: dict[str, frozenset[str]] = {
    "Property": frozenset({"unitCode"}),
    "ListProperty": frozenset({"unitCode"}),
    "Relationship": frozenset({"objectType"}),
    "ListRelationship": frozenset({"objectType"}),
}
_RESERVED = _CONTENT_MEMBERS | _COMMON_MEMBERS | {"unitCode", "objectType", "@context"}
_GEOMETRIES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)
_SYSTEM_ENTITY_MEMBERS = frozenset({"createdAt", "modifiedAt", "deletedAt"})
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an entity: where (dotted path, ``[i]`` for items) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class EntityValidationError(ValueError):
    """An entity is not valid; ``problems`` lists everything found, ``str()`` one per line."""

    def __init__(self, entity_id: object, problems: Sequence[Problem]) -> None:
        self.entity_id = entity_id
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(
            f"entity {entity_id!r} is not valid ({count} problem{'s' * (count != 1)}):\n{lines}"
        )


def _path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(entity)"


def _is_utc(value: Any) -> bool:
    if not isinstance(value, str) or not value.endswith("Z") or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        return False
    return True


def _is_uri(value: Any) -> bool:
    return (
        isinstance(value, str)
        and bool(urlsplit(value).scheme)
        and ":" in value
        and not any(c.isspace() for c in value)
    )


# normalized → keyValues ------------------------------------------------------------------------


def _check_attribute(
    raw: Any, path: list[str | int], sub_names: frozenset[str], depth: int
) -> tuple[str | None, list[Problem]]:
    """(kind, problems) of one attribute instance, sub-attributes included."""
    where = _path(path)
    if not isinstance(raw, dict):
        return None, [Problem(where, "not an NGSI-LD attribute: the normalized form needs an "
                                    "object with 'type' and 'value'/'object'/…")]
    kind = raw.get("type")
    if kind not in ATTRIBUTE_TYPES:
        return None, [Problem(_path([*path, "type"]),
                              f"{kind!r} is not an NGSI-LD attribute type; one of "
                              f"{', '.join(ATTRIBUTE_TYPES)}")]
    problems: list[Problem] = []
    content = ATTRIBUTE_TYPES[kind]
    if raw.get(content) is None:
        problems.append(Problem(_path([*path, content]), f"a {kind} needs {content!r}"))
    else:
        problems += _check_content(kind, raw[content], [*path, content])
    allowed = _COMMON_MEMBERS | {content} | _KIND_MEMBERS.get(kind, frozenset())
    for member, item in raw.items():
        member_path = [*path, member]
        if member in allowed:
            continue
        if member in _RESERVED:
            problems.append(Problem(_path(member_path), f"a {kind} has no member {member!r}"))
        elif depth >= _MAX_DEPTH:
            problems.append(Problem(_path(member_path), "sub-attributes nested too deeply"))
        elif member not in sub_names:
            problems.append(Problem(_path(member_path),
                                    "sub-attribute name not defined in the platform @context"))
        else:
            _, found = _check_attribute(item, member_path, sub_names, depth + 1)
            problems += found
    if "observedAt" in raw and not _is_utc(raw["observedAt"]):
        problems.append(Problem(_path([*path, "observedAt"]),
                                f"{raw['observedAt']!r} is not a UTC date-time ending in Z"))
    if "unitCode" in raw and not isinstance(raw["unitCode"], str):
        problems.append(Problem(_path([*path, "unitCode"]), "unitCode must be a string"))
    if "datasetId" in raw and not _is_uri(raw["datasetId"]):
        problems.append(Problem(_path([*path, "datasetId"]), "datasetId must be a URI"))
    return kind, problems


def _check_content(kind: str, content: Any, path: list[str | int]) -> list[Problem]:
    where = _path(path)
    if kind == "Relationship":
        objects = content if isinstance(content, list) else [content]
        if not objects or not all(_is_uri(o) for o in objects):
            return [Problem(where, "a Relationship's object must be a URI (or a list of URIs)")]
    elif kind == "GeoProperty":
        if not (isinstance(content, dict) and content.get("type") in _GEOMETRIES
                and isinstance(content.get("coordinates"), list)):
            return [Problem(where, "a GeoProperty's value must be a GeoJSON geometry")]
    elif kind == "LanguageProperty":
        if not (isinstance(content, dict) and content and all(
                isinstance(v, str | list) for v in content.values())):
            return [Problem(where, "languageMap must map language tags to strings")]
    elif kind == "ListProperty" and not isinstance(content, list):
        return [Problem(where, "valueList must be an array")]
    elif kind == "ListRelationship" and not (isinstance(content, list) and all(
            isinstance(o, dict) and _is_uri(o.get("object")) for o in content)):
        return [Problem(where, "objectList must be an array of {\"object\": URI}")]
    elif kind == "VocabProperty" and not (isinstance(content, str) or (
            isinstance(content, list) and all(isinstance(v, str) for v in content))):
        return [Problem(where, "vocab must be a term or a list of terms")]
    return []


def _default_instance(instances: list[Any]) -> Any:
    """The instance keyValues shows: the one without ``datasetId``, else the first."""
    return next(
        (i for i in instances if isinstance(i, dict) and "datasetId" not in i), instances[0]
    )


def _convert(entity: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    """(keyValues form, attribute → kind, structural problems) of a normalized entity."""
    keyvalues: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    problems: list[Problem] = []
    sub_names = frozenset(context_terms())
    for name, raw in entity.items():
        if name in ("@context", "id", "type", "scope"):
            keyvalues[name] = raw
            continue
        if name in _SYSTEM_ENTITY_MEMBERS:
            continue
        instances = raw if isinstance(raw, list) and raw else [raw]
        for index, instance in enumerate(instances):
            path: list[str | int] = [name, index] if instances is raw else [name]
            kind, found = _check_attribute(instance, path, sub_names, 1)
            problems += found
            if kind is not None:
                kinds[name] = kind
        chosen = _default_instance(instances)
        kind = chosen.get("type") if isinstance(chosen, dict) else None
        if kind in ATTRIBUTE_TYPES and chosen.get(ATTRIBUTE_TYPES[kind]) is not None:
            keyvalues[name] = chosen[ATTRIBUTE_TYPES[kind]]
    return keyvalues, kinds, problems


def to_keyvalues(entity: dict[str, Any]) -> dict[str, Any]:
    """The keyValues form of a normalized entity (each attribute → its value/object/…).

    Raises :class:`EntityValidationError` if an attribute is not a well-formed NGSI-LD
    attribute (the value could not be taken from it). No schema check: see
    :func:`validate_entity`.
    """
    if not isinstance(entity, dict):
        raise EntityValidationError(None, [Problem("(entity)", "an entity must be a JSON object")])
    keyvalues, _, problems = _convert(entity)
    if problems:
        raise EntityValidationError(entity.get("id"), problems)
    return keyvalues


# validation ------------------------------------------------------------------------------------


def _schema_problems(
    entity_type: str, keyvalues: dict[str, Any], kinds: dict[str, str] | None
) -> list[Problem]:
    """JSON Schema errors, at normalized paths when ``kinds`` (normalized input) is given."""
    properties = _schema(entity_type)["properties"]

    def where(parts: Sequence[str | int]) -> str:
        parts = list(parts)
        if kinds is not None and parts and parts[0] in kinds and parts[0] not in (
            "id", "type", "@context"
        ):
            parts.insert(1, ATTRIBUTE_TYPES[kinds[str(parts[0])]])
        return _path(parts)

    problems: list[Problem] = []
    errors: Iterable[SchemaError] = keyvalues_validator(entity_type).iter_errors(keyvalues)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        parts = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            for missing in error.validator_value:
                if missing not in error.instance:
                    at = where([*parts, missing]) if parts else missing
                    problems.append(Problem(at, "required but missing"))
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = properties if not parts else error.schema.get("properties", {})
            for extra in error.instance:
                if extra not in known:
                    what = (f"not an attribute of {entity_type} (its schema and the platform "
                            "@context do not define it)" if not parts else "not allowed here")
                    problems.append(Problem(where([*parts, extra]) if parts else extra, what))
        else:
            problems.append(Problem(where(parts), error.message))
    return problems


def _rule_problems(entity_type: str, keyvalues: dict[str, Any]) -> list[Problem]:
    """Checks beyond JSON Schema: the id's form and partner, and the partner attribute."""
    problems: list[Problem] = []
    entity_id = keyvalues.get("id")
    code = None
    if isinstance(entity_id, str):
        try:
            parsed = parse_entity_id(entity_id)
        except ValueError as error:
            problems.append(Problem("id", str(error)))
        else:
            code = parsed.partner_code
            if parsed.entity_type != entity_type:
                problems.append(Problem("id", f"names type {parsed.entity_type}, "
                                              f"the entity is a {entity_type}"))
    name = keyvalues.get("partner")
    if isinstance(name, str):
        owner = registry_partner(name)
        if owner is None:
            problems.append(Problem("partner", f"unknown partner {name!r} (not in partners.yaml)"))
        elif code is not None and owner.short_code != code:
            problems.append(Problem("partner", f"{name} is {owner.short_code}, "
                                               f"but the id names partner {code}"))
    return problems


def _kind_problems(
    entity_type: str, entity: dict[str, Any], kinds: dict[str, str]
) -> list[Problem]:
    """Attribute kinds as the schema declares them, and the registered unit codes."""
    problems: list[Problem] = []
    declared = attribute_kinds(entity_type)
    for name, kind in kinds.items():
        expected = declared.get(name)
        if expected is not None and kind != expected:
            problems.append(Problem(f"{name}.type", f"must be {expected}, not {kind}"))
        if name not in declared:
            continue
        code = unit_code(entity_type, name)
        instances = entity[name] if isinstance(entity[name], list) else [entity[name]]
        for index, instance in enumerate(instances):
            if not isinstance(instance, dict):
                continue
            path = f"{name}[{index}]" if isinstance(entity[name], list) else name
            given = instance.get("unitCode")
            if code is None and given is not None:
                problems.append(Problem(f"{path}.unitCode", "this attribute has no unit"))
            elif code is not None and given != code:
                problems.append(Problem(
                    f"{path}.unitCode",
                    f"must be {code} (units.yaml)" + (f", not {given!r}" if given else ""),
                ))
    return problems


def _root(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def validate_entity(entity: Any, representation: str = "normalized") -> dict[str, Any]:
    """Check ``entity`` against its type's schema and the platform's rules; return keyValues.

    ``representation`` is ``"normalized"`` (every attribute an NGSI-LD attribute object) or
    ``"keyValues"``. Raises :class:`EntityValidationError` listing every problem found.
    """
    if representation not in REPRESENTATIONS:
        raise ValueError(f"representation must be one of {', '.join(REPRESENTATIONS)}")
    if not isinstance(entity, dict):
        raise EntityValidationError(None, [Problem("(entity)", "an entity must be a JSON object")])
    entity_type = entity.get("type")
    if entity_type not in ENTITY_TYPES:
        message = ("required but missing" if entity_type is None else
                   f"{entity_type!r} is not one of {', '.join(ENTITY_TYPES)}")
        raise EntityValidationError(entity.get("id"), [Problem("type", message)])
    if representation == "normalized":
        keyvalues, kinds, problems = _convert(entity)
        # An attribute too malformed to give a value is reported once, not again by the
        # schema as "required but missing".
        broken = {_root(problem.path) for problem in problems} - set(keyvalues)
        problems += _kind_problems(entity_type, entity, kinds)
        problems += [
            problem
            for problem in _schema_problems(entity_type, keyvalues, kinds)
            if _root(problem.path) not in broken
        ]
    else:
        keyvalues = entity
        problems = _schema_problems(entity_type, keyvalues, None)
    problems += _rule_problems(entity_type, keyvalues)
    if problems:
        raise EntityValidationError(entity.get("id"), problems)
    return dict(keyvalues)
