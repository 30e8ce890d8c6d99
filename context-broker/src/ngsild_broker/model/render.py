"""Stored entities → response bodies in the representation and @context the client asked for.

Attribute names and types are compacted with the request's term map, so a client sees the
short names of its own @context; ``options=keyValues|concise`` and ``sysAttrs`` follow
ETSI GS CIM 009 v1.8 clause 4.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .entity import RESERVED_MEMBERS, Terms

#: The member that carries an attribute's value, per attribute type.
VALUE_MEMBER = {
    "Property": "value",
    "GeoProperty": "value",
    "Relationship": "object",
    "LanguageProperty": "languageMap",
    "ListProperty": "valueList",
    "VocabProperty": "vocab",
}


@dataclass(frozen=True)
class RenderOptions:
    representation: str = "normalized"  # normalized | concise | keyValues
    sys_attrs: bool = False
    attrs: frozenset[str] | None = None  # expanded attribute IRIs to keep; None = all


@dataclass(frozen=True)
class StoredEntity:
    id: str
    types: list[str]
    attrs: dict[str, list[dict[str, Any]]]
    scope: Any
    created_at: datetime
    modified_at: datetime


def render_entity(entity: StoredEntity, terms: Terms, options: RenderOptions) -> dict[str, Any]:
    types = [terms.compact(t) for t in entity.types]
    out: dict[str, Any] = {"id": entity.id, "type": types[0] if len(types) == 1 else types}
    if entity.scope is not None:
        out["scope"] = entity.scope
    for name, instances in entity.attrs.items():
        if options.attrs is not None and name not in options.attrs:
            continue
        rendered = [_attribute(instance, terms, options) for instance in instances]
        out[terms.compact(name)] = rendered[0] if len(rendered) == 1 else rendered
    if options.sys_attrs and options.representation != "keyValues":
        out["createdAt"] = _timestamp(entity.created_at)
        out["modifiedAt"] = _timestamp(entity.modified_at)
    return out


def render_geojson(entity: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    """A GeoJSON Feature (clause 4.5.16): the geometry of the chosen GeoProperty."""
    properties = {k: v for k, v in entity.items() if k != "id"}
    return {"id": entity["id"], "type": "Feature", "geometry": geometry, "properties": properties}


def _attribute(instance: dict[str, Any], terms: Terms, options: RenderOptions) -> Any:
    kind = instance["type"]
    member = VALUE_MEMBER[kind]
    value = instance[member]
    if kind == "VocabProperty":
        compacted = [terms.compact(v) for v in value] if isinstance(value, list) else None
        value = compacted if compacted is not None else terms.compact(value)
    if options.representation == "keyValues":
        return value
    out: dict[str, Any] = {}
    if options.representation == "normalized":
        out["type"] = kind
    out[member] = value
    for key, item in instance.items():
        if key in ("type", member):
            continue
        if key in RESERVED_MEMBERS:
            out[key] = item
        else:
            subs = [_attribute(sub, terms, options) for sub in item]
            out[terms.compact(key)] = subs[0] if len(subs) == 1 else subs
    return out


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
