"""Stored entities → response bodies in the representation and @context the client asked for.

Attribute names and types are compacted with the request's term map, so a client sees the
short names of its own @context; ``options=keyValues|concise`` and ``sysAttrs`` follow
ETSI GS CIM 009 v1.8 clause 4.5, the language filter ``lang`` clause 4.15 (see
:class:`LanguageFilter`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import BadRequestData
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


#: Limits of the ``lang`` parameter: every LanguageProperty of a response is matched against
#: all ranges, so a hostile value must stay cheap.
MAX_LANG_LENGTH = 1000
MAX_LANG_RANGES = 32
NO_LANGUAGE = "@none"
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


@dataclass(frozen=True)
class LanguageFilter:
    """The ``lang`` parameter (clause 4.15): language ranges in the syntax of an HTTP
    Accept-Language header (IETF RFC 3282 / RFC 9110), best first.

    A LanguageProperty is then returned as a Property whose ``value`` is the text of the best
    matching language and whose ``lang`` member names that language (clause 4.15). For each
    range, in order of quality (ties: order given), the languageMap is searched by RFC 4647
    "lookup" extended with prefix matching, comparing case-insensitively:

    1. a key equal to the range (``de-CH`` → ``de-CH``);
    2. a key more specific than the range (``en`` → ``en-US``; shortest, then alphabetically
       first);
    3. the range truncated by one subtag, again with 1 and 2 (``nl-BE`` → ``nl``).

    ``*`` matches any language: the alphabetically first key other than ``@none``, so the
    answer does not depend on how the map was stored (the ETSI conformance test 018_07_03
    expects ``*`` to pick one language, not to return the whole map). When no range matches,
    the spec says the broker "shall default to any supported language": the ``@none`` entry
    (text without a language) if the map has one, else the alphabetically first language.
    Languages the client excluded with ``q=0`` are not picked by ``*`` and are the last
    resort of that fallback.
    """

    ranges: tuple[str, ...]  # lower-cased, best first; "*" for any language
    excluded: frozenset[str] = frozenset()  # lower-cased ranges given with q=0

    def select(self, language_map: dict[str, Any]) -> tuple[str, Any]:
        """(language key as stored, its text) of the best match; the map must not be empty."""
        keys = {key.lower(): key for key in language_map}
        for language_range in self.ranges:
            key = self._match(language_range, keys)
            if key is not None:
                return key, language_map[key]
        if NO_LANGUAGE in language_map:
            return NO_LANGUAGE, language_map[NO_LANGUAGE]
        allowed = [key for key in keys if not self._is_excluded(key)] or list(keys)
        key = keys[min(allowed)]
        return key, language_map[key]

    def _match(self, language_range: str, keys: dict[str, str]) -> str | None:
        if language_range == "*":
            candidates = [
                key for key in keys if key != NO_LANGUAGE.lower() and not self._is_excluded(key)
            ]
            return keys[min(candidates)] if candidates else None
        candidate = language_range
        while candidate:
            if candidate in keys and not self._is_excluded(candidate):
                return keys[candidate]
            longer = [
                key for key in keys
                if key.startswith(candidate + "-") and not self._is_excluded(key)
            ]
            if longer:
                return keys[min(longer, key=lambda key: (len(key), key))]
            candidate = _truncate(candidate)
        return None

    def _is_excluded(self, key: str) -> bool:
        """Whether a q=0 range covers the (lower-cased) language key."""
        return any(key == rng or key.startswith(rng + "-") for rng in self.excluded)


def parse_language_filter(text: object) -> LanguageFilter:
    """Validate a ``lang`` value such as ``de``, ``fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5`` or
    ``*``; :class:`BadRequestData` for anything else (never a 500)."""
    if not isinstance(text, str):
        raise BadRequestData("lang must be a string")
    if len(text) > MAX_LANG_LENGTH:
        raise BadRequestData(f"lang is too long (at most {MAX_LANG_LENGTH} characters)")
    items = text.split(",")
    if len(items) > MAX_LANG_RANGES:
        raise BadRequestData(f"lang has more than {MAX_LANG_RANGES} language ranges")
    weighted: list[tuple[float, int, str]] = []
    excluded: set[str] = set()
    for position, item in enumerate(items):
        language_range, _, params = (part.strip() for part in item.partition(";"))
        if not _is_language_range(language_range):
            raise BadRequestData(
                f"lang: {_show(language_range)} is not a language range "
                "(a language tag such as de or de-DE, or *)"
            )
        quality = _quality(params) if params else 1.0
        if quality == 0:
            excluded.add(language_range.lower())
        else:
            weighted.append((-quality, position, language_range.lower()))
    weighted.sort()
    return LanguageFilter(tuple(rng for _, _, rng in weighted), frozenset(excluded))


def _is_language_range(text: str) -> bool:
    """RFC 4647 basic language range: ``*`` or 1-8 letters, then ``-`` and 1-8 alphanumerics."""
    if text == "*":
        return True
    subtags = text.split("-")
    first, rest = subtags[0], subtags[1:]
    return (
        1 <= len(first) <= 8 and first.isascii() and first.isalpha()
        and all(1 <= len(tag) <= 8 and tag.isascii() and tag.isalnum() for tag in rest)
    )


def _quality(params: str) -> float:
    """The weight of ``;q=0.8`` (RFC 9110 qvalue: 0 to 1 with at most three decimals)."""
    name, _, value = (part.strip() for part in params.partition("="))
    if name.lower() != "q" or not value:
        raise BadRequestData(f"lang: expected ;q=<weight>, got {_show(';' + params)}")
    if not _QVALUE.fullmatch(value):
        raise BadRequestData(f"lang: q must be a number from 0 to 1, got {_show(value)}")
    return float(value)


def _truncate(language_range: str) -> str:
    """RFC 4647 lookup: drop the last subtag, and a single-character subtag left before it."""
    subtags = language_range.split("-")[:-1]
    if subtags and len(subtags[-1]) == 1:
        subtags.pop()
    return "-".join(subtags)


def _show(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


#: System attributes of an attribute instance, shown only with ``options=sysAttrs``.
SYSTEM_MEMBERS = frozenset({"createdAt", "modifiedAt"})
#: Only on the instances the history records for a deletion (``store/history.sql``), and
#: always shown there (clause 4.5.7): a client's own ``deletedAt`` is stored expanded.
DELETED_AT = "deletedAt"


@dataclass(frozen=True)
class RenderOptions:
    representation: str = "normalized"  # normalized | concise | keyValues
    sys_attrs: bool = False
    attrs: frozenset[str] | None = None  # expanded attribute IRIs to keep; None = all
    lang: LanguageFilter | None = None  # lang parameter: LanguageProperty -> Property


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
    out_kind, out_member, language = kind, member, None
    if kind == "VocabProperty":
        compacted = [terms.compact(v) for v in value] if isinstance(value, list) else None
        value = compacted if compacted is not None else terms.compact(value)
    elif kind == "LanguageProperty" and options.lang is not None and value:
        # Clause 4.15: with a language filter the LanguageProperty becomes a Property with
        # the chosen text as value and the chosen language in "lang" (an empty map, which
        # has no text to choose, stays as it is).
        language, value = options.lang.select(value)
        out_kind, out_member = "Property", "value"
    if options.representation == "keyValues":
        return value
    out: dict[str, Any] = {}
    if options.representation == "normalized":
        out["type"] = out_kind
    out[out_member] = value
    if language is not None:
        out["lang"] = language
    for key, item in instance.items():
        if key in ("type", member):
            continue
        if key in SYSTEM_MEMBERS:
            if options.sys_attrs:
                out[key] = item
        elif key in RESERVED_MEMBERS or key == DELETED_AT:
            out[key] = item
        else:
            subs = [_attribute(sub, terms, options) for sub in item]
            out[terms.compact(key)] = subs[0] if len(subs) == 1 else subs
    return out


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
