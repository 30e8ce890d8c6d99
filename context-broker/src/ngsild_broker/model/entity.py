"""NGSI-LD entities: validate a request body and bring it into the stored form.

The stored form is normalized (every attribute has its ``type``) and expanded (attribute
names and entity types are full IRIs), with each attribute as a list of instances
(several only with distinct ``datasetId``s). Clients may send the normalized or the
concise representation (ETSI GS CIM 009 v1.8, clause 4.5); both are validated here so
that nothing malformed reaches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlparse

from ..errors import BadRequestData

ATTRIBUTE_TYPES = (
    "Property",
    "Relationship",
    "GeoProperty",
    "LanguageProperty",
    "ListProperty",
    "VocabProperty",
)
#: Members of an attribute that are not sub-attributes.
RESERVED_MEMBERS = frozenset(
    {
        "type", "value", "object", "objectType", "languageMap", "valueList", "vocab",
        "observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt", "lang",
        "objectList", "@context",
    }
)
ENTITY_MEMBERS = frozenset({"id", "type", "scope", "@context", "createdAt", "modifiedAt"})
GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)
#: Attribute names the core context defines as GeoProperties.
CORE_GEO_PROPERTIES = frozenset({"location", "observationSpace", "operationSpace"})
MAX_NESTING = 8


class Terms(Protocol):
    """Term expansion for one request's @context (see :mod:`ngsild_broker.jsonld`)."""

    def expand(self, term: str) -> str: ...

    def compact(self, iri: str) -> str: ...


@dataclass
class Entity:
    """An entity in stored form."""

    id: str
    types: list[str]
    attrs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scope: Any = None

    def geo_instances(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(attribute IRI, datasetId, GeoJSON geometry) of every GeoProperty instance."""
        found = []
        for name, instances in self.attrs.items():
            for instance in instances:
                if instance.get("type") == "GeoProperty":
                    found.append((name, instance.get("datasetId", ""), instance["value"]))
        return found


def parse_entity(body: Any, terms: Terms) -> Entity:
    """Validate a create/replace/upsert body and return it in stored form."""
    if not isinstance(body, dict):
        raise BadRequestData("An entity must be a JSON object")
    entity_id = body.get("id")
    if not isinstance(entity_id, str) or not is_uri(entity_id):
        raise BadRequestData(f"Entity id must be a URI, got {entity_id!r}")
    types = body.get("type")
    if isinstance(types, str):
        types = [types]
    if not types or not isinstance(types, list) or not all(isinstance(t, str) and t for t in types):
        raise BadRequestData("Entity type must be a non-empty string or list of strings")
    attrs = parse_attributes(
        {k: v for k, v in body.items() if k not in ENTITY_MEMBERS}, terms, depth=0
    )
    return Entity(
        id=entity_id,
        types=list(dict.fromkeys(terms.expand(t) for t in types)),
        attrs=attrs,
        scope=body.get("scope"),
    )


def parse_attributes(
    members: dict[str, Any], terms: Terms, *, depth: int
) -> dict[str, list[dict[str, Any]]]:
    """Attributes (or sub-attributes) of a body, keyed by expanded name."""
    if depth > MAX_NESTING:
        raise BadRequestData(f"Attributes nested deeper than {MAX_NESTING} levels")
    result: dict[str, list[dict[str, Any]]] = {}
    now = _now() if depth == 0 else ""
    for name, raw in members.items():
        if not name or not isinstance(name, str) or _CONTROL.search(name):
            raise BadRequestData(
                "Attribute names must be non-empty strings without control characters"
            )
        instances = raw if isinstance(raw, list) and raw and all(
            isinstance(item, dict) and _looks_like_attribute(item) for item in raw
        ) else [raw]
        parsed = [parse_attribute(name, item, terms, depth=depth) for item in instances]
        dataset_ids = [p.get("datasetId", "") for p in parsed]
        if len(set(dataset_ids)) != len(dataset_ids):
            raise BadRequestData(f"Attribute {name!r} has two instances with the same datasetId")
        if depth == 0:
            stamp_instances(parsed, now)
        result[terms.expand(name)] = parsed
    return result


def stamp_instances(instances: list[dict[str, Any]], now: str) -> None:
    """System attributes of attribute instances (clause 4.8): both set to the write's time
    here; on a write that overwrites an existing instance the database keeps its
    ``createdAt`` (``ngsild_keep_created`` in store/schema.sql)."""
    for instance in instances:
        instance["createdAt"] = instance["modifiedAt"] = now


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_attribute(name: str, raw: Any, terms: Terms, *, depth: int) -> dict[str, Any]:
    """One attribute instance, normalized; concise values get their type inferred."""
    if not isinstance(raw, dict):
        return {"type": "Property", "value": raw}
    kind = raw.get("type") or _infer_type(name, raw)
    if kind not in ATTRIBUTE_TYPES:
        raise BadRequestData(f"Attribute {name!r}: unknown attribute type {kind!r}")
    out: dict[str, Any] = {"type": kind}
    _check_members(name, kind, raw)
    if kind == "Relationship":
        out["object"] = raw["object"]
        if "objectType" in raw:
            out["objectType"] = raw["objectType"]
    elif kind == "LanguageProperty":
        out["languageMap"] = raw["languageMap"]
    elif kind == "ListProperty":
        out["valueList"] = raw["valueList"]
    elif kind == "VocabProperty":
        vocab = raw["vocab"]
        expanded = [terms.expand(v) for v in vocab] if isinstance(vocab, list) else None
        out["vocab"] = expanded if expanded is not None else terms.expand(vocab)
    else:
        out["value"] = raw["value"]
    for member in ("observedAt", "unitCode", "datasetId"):
        if member in raw:
            out[member] = raw[member]
    subs = {k: v for k, v in raw.items() if k not in RESERVED_MEMBERS}
    out.update(parse_attributes(subs, terms, depth=depth + 1))
    return out


def _infer_type(name: str, raw: dict[str, Any]) -> str:
    if "object" in raw:
        return "Relationship"
    if "languageMap" in raw:
        return "LanguageProperty"
    if "valueList" in raw:
        return "ListProperty"
    if "vocab" in raw:
        return "VocabProperty"
    if "value" in raw:
        if name in CORE_GEO_PROPERTIES or _is_geometry(raw["value"]):
            return "GeoProperty"
        return "Property"
    return "Property"  # without "value": _check_members reports what is missing


def _check_members(name: str, kind: str, raw: dict[str, Any]) -> None:
    required = {
        "Property": "value", "GeoProperty": "value", "Relationship": "object",
        "LanguageProperty": "languageMap", "ListProperty": "valueList", "VocabProperty": "vocab",
    }[kind]
    if required not in raw or raw[required] is None:
        raise BadRequestData(f"Attribute {name!r} ({kind}) needs {required!r}")
    if kind == "Relationship":
        objects = raw["object"] if isinstance(raw["object"], list) else [raw["object"]]
        if not all(isinstance(o, str) and is_uri(o) for o in objects):
            raise BadRequestData(f"Relationship {name!r}: object must be a URI")
    if kind == "GeoProperty" and not _is_geometry(raw["value"]):
        raise BadRequestData(f"GeoProperty {name!r}: value must be a GeoJSON geometry")
    if kind == "LanguageProperty" and not (
        isinstance(raw["languageMap"], dict)
        and all(isinstance(v, (str, list)) for v in raw["languageMap"].values())
    ):
        raise BadRequestData(f"LanguageProperty {name!r}: languageMap must map languages to text")
    if kind == "VocabProperty":
        vocab = raw["vocab"]
        terms = vocab if isinstance(vocab, list) else [vocab]
        if not terms or not all(isinstance(t, str) and t for t in terms):
            raise BadRequestData(f"VocabProperty {name!r}: vocab must be a term or list of terms")
    if kind == "ListProperty" and not isinstance(raw["valueList"], list):
        raise BadRequestData(f"ListProperty {name!r}: valueList must be a list")
    if "observedAt" in raw and not _is_datetime(raw["observedAt"]):
        raise BadRequestData(f"Attribute {name!r}: observedAt must be an ISO 8601 date-time")
    if "datasetId" in raw and not (isinstance(raw["datasetId"], str) and is_uri(raw["datasetId"])):
        raise BadRequestData(f"Attribute {name!r}: datasetId must be a URI")
    if "unitCode" in raw and not isinstance(raw["unitCode"], str):
        raise BadRequestData(f"Attribute {name!r}: unitCode must be a string (UN/CEFACT code)")


def _looks_like_attribute(item: dict[str, Any]) -> bool:
    return bool({"type", "value", "object", "languageMap", "valueList", "vocab"} & item.keys())


def _is_geometry(value: Any) -> bool:
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        return False
    return _valid_coordinates(value.get("coordinates"), value["type"])


def _valid_coordinates(coordinates: Any, kind: str) -> bool:
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2,
             "Polygon": 2, "MultiPolygon": 3}[kind]

    def check(item: Any, level: int) -> bool:
        if level == 0:
            return (
                isinstance(item, list) and 2 <= len(item) <= 3
                and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in item)
                and -180 <= item[0] <= 180 and -90 <= item[1] <= 90
            )
        return isinstance(item, list) and bool(item) and all(check(i, level - 1) for i in item)

    return check(coordinates, depth)


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


#: Whitespace (as str.isspace() sees it) and control characters, which no URI contains.
_NOT_IN_URI = re.compile(r"[\s\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f]")


def is_uri(text: str) -> bool:
    """NGSI-LD ids are URIs: a scheme and something after it (``urn:ngsi-ld:…``, ``https://…``),
    no spaces or control characters."""
    if not text or _NOT_IN_URI.search(text):
        return False
    parsed = urlparse(text)
    return bool(parsed.scheme) and bool(parsed.netloc or parsed.path)


def require_entity_id(text: str) -> str:
    """An entity id from a URL path, checked before it reaches the database."""
    if not is_uri(text):
        raise BadRequestData(f"Entity id must be a URI, got {text[:200]!r}")
    return text
