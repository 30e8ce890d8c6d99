"""The Solr request parameters CKAN sends, parsed and checked.

``PackageSearchQuery.run`` hands pysolr's ``search(**query)`` a dict of Solr
parameters (``q``, ``fq``, ``sort``, ``facet.field``, …). This module turns that
dict into one typed object, rejecting what cannot be honoured with a message
that names the parameter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .query_ast import Node
from .query_parser import QuerySyntaxError, combine_filters, parse_lenient, parse_query

_SORT_RE = re.compile(r"^([\w.]+)\s+(asc|desc)$", re.IGNORECASE)
_FIELD_SPLIT_RE = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass(frozen=True)
class SearchRequest:
    """A validated package search."""

    query: Node
    filters: list[Node]
    sort: list[SortKey]
    rows: int
    start: int
    fields: list[str]
    facet_fields: list[str]
    facet_limit: int | None
    facet_mincount: int
    default_field: str


def parse_request(q: str | None, params: dict[str, Any]) -> SearchRequest:
    """Build a :class:`SearchRequest` from pysolr-style ``search`` arguments."""
    query_text = (q or params.get("q") or "*:*").strip()
    default_and = str(params.get("q.op", "AND")).upper() == "AND"
    if params.get("defType", "lucene") == "dismax" and query_text != "*:*":
        query = parse_lenient(query_text)
    else:
        query = parse_query(query_text, default_and=default_and)

    filters_raw = params.get("fq") or []
    if isinstance(filters_raw, str):
        filters_raw = [filters_raw]
    filters = combine_filters(filters_raw)

    facet_on = str(params.get("facet", "false")).lower() == "true"
    facet_fields = _as_list(params.get("facet.field")) if facet_on else []
    limit = _as_int(params.get("facet.limit", 50), "facet.limit")
    return SearchRequest(
        query=query,
        filters=filters,
        sort=parse_sort(params.get("sort")),
        rows=max(_as_int(params.get("rows", 10), "rows"), 0),
        start=max(_as_int(params.get("start", 0), "start"), 0),
        fields=[f for f in _FIELD_SPLIT_RE.split(str(params.get("fl") or "*")) if f],
        facet_fields=list(dict.fromkeys(facet_fields)),
        facet_limit=None if limit < 0 else limit,
        facet_mincount=_as_int(params.get("facet.mincount", 1), "facet.mincount"),
        default_field=str(params.get("df") or "text"),
    )


def parse_sort(sort: str | None) -> list[SortKey]:
    """``"score desc, metadata_modified desc"`` → sort keys."""
    if not sort:
        return [SortKey("score", True), SortKey("metadata_modified", True)]
    keys = []
    for part in sort.split(","):
        match = _SORT_RE.match(part.strip())
        if not match:
            raise QuerySyntaxError(
                f'Invalid "sort" parameter {sort!r}: expected "<field> asc|desc[, ...]"'
            )
        keys.append(SortKey(match.group(1), match.group(2).lower() == "desc"))
    return keys


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return [str(v) for v in json.loads(text)]
            except ValueError as error:
                raise QuerySyntaxError(f"facet.field is not a JSON list: {text!r}") from error
        return [text] if text else []
    return [str(v) for v in value]


def _as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise QuerySyntaxError(f"{name} must be an integer, got {value!r}") from error
