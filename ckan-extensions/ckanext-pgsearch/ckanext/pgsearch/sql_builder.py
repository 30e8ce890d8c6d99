"""Translate a parsed Solr query into a parameterised PostgreSQL condition.

Every value reaches PostgreSQL as a bind parameter; field names only ever appear
as parameters too (``fields -> :p``), except for the fixed column names of
:data:`fields.SCALAR_COLUMNS` and :data:`fields.ARRAY_COLUMNS`. Full-text terms are
first normalised by PostgreSQL itself (``plainto_tsquery``) in one round trip, so that terms made
only of stop words can be dropped the way Solr drops them instead of matching
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import fields as F
from .datemath import DateMathError, parse_solr_date
from .query_ast import Bool, Exists, MatchAll, Node, Range, SpatialIntersects, Term
from .query_parser import QuerySyntaxError

#: (function, text) pairs such as ("plainto_tsquery", "Pegelstände").
TextQuery = tuple[str, str]
#: Turns text queries into normalised tsquery strings ('' = only stop words).
TextQueryResolver = Callable[[Sequence[TextQuery]], list[str]]

_NUMBER_RE = re.compile(r"^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$")
_PREFIX_RE = re.compile(r"^[\w\-äöüÄÖÜß]+\*$")


@dataclass
class CompiledCondition:
    """A SQL condition plus its bind parameters and the tsquery used for ranking."""

    sql: str
    params: dict[str, object]
    rank_tsquery: str | None = None


@dataclass
class _Context:
    params: dict[str, object] = field(default_factory=dict)
    resolved: dict[TextQuery, str] = field(default_factory=dict)
    positive_tsqueries: list[str] = field(default_factory=list)

    def bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


class SqlBuilder:
    """Compiles query trees for the ``pgsearch_index`` table."""

    def __init__(self, *, text_config: str = "german", spatial_field: str = "spatial_geom") -> None:
        self.text_config = text_config
        self.spatial_field = spatial_field

    def compile(
        self,
        nodes: Sequence[Node],
        resolve_text: TextQueryResolver,
        *,
        default_field: str = F.CATCH_ALL_FIELD,
    ) -> CompiledCondition:
        """AND-combine ``nodes`` (the ``q`` and each ``fq``) into one condition."""
        nodes = [_with_default_field(node, default_field) for node in nodes]
        wanted = sorted({tq for node in nodes for tq in _text_queries(node)})
        context = _Context()
        if wanted:
            context.resolved = dict(zip(wanted, resolve_text(wanted), strict=True))
        parts = [self._node(node, context, negated=False) for node in nodes]
        sql = " AND ".join(f"({part})" for part in parts) or "TRUE"
        rank = " | ".join(f"({tsq})" for tsq in dict.fromkeys(context.positive_tsqueries))
        return CompiledCondition(sql, context.params, rank or None)

    # -- nodes ---------------------------------------------------------------------

    def _node(self, node: Node, ctx: _Context, *, negated: bool) -> str:
        if isinstance(node, MatchAll):
            return "TRUE"
        if isinstance(node, Bool):
            return self._bool(node, ctx, negated=negated)
        if isinstance(node, Term):
            return self._term(node, ctx, negated=negated)
        if isinstance(node, Range):
            return self._range(node, ctx)
        if isinstance(node, Exists):
            return self._exists(node.field, ctx)
        if isinstance(node, SpatialIntersects):
            return self._spatial(node, ctx)
        raise QuerySyntaxError(f"unsupported query element {node!r}")

    def _bool(self, node: Bool, ctx: _Context, *, negated: bool) -> str:
        required = [self._node(n, ctx, negated=negated) for n in node.must]
        excluded = [self._node(n, ctx, negated=not negated) for n in node.must_not]
        optional = [self._node(n, ctx, negated=negated) for n in node.should]
        parts = [f"({sql})" for sql in required]
        parts += [f"NOT ({sql})" for sql in excluded]
        if optional and not required:
            parts.append("(" + " OR ".join(f"({sql})" for sql in optional) + ")")
        return " AND ".join(parts) if parts else "TRUE"

    def _term(self, term: Term, ctx: _Context, *, negated: bool) -> str:
        name = term.field or F.CATCH_ALL_FIELD
        kind = F.kind_of(name)
        if kind in (F.FieldKind.CATCH_ALL, F.FieldKind.TEXT):
            return self._text_term(term, name, kind, ctx, negated=negated)
        if kind is F.FieldKind.NGRAM:
            column = F.NGRAM_FIELDS[name]
            pattern = "%" + _escape_like(term.value.strip("*")) + "%"
            return f"{column} ILIKE {ctx.bind(pattern)}"
        if kind is F.FieldKind.DATE and not term.wildcard:
            return self._range(Range(name, term.value, term.value), ctx)
        return self._string_term(term, name, ctx)

    def _text_term(
        self, term: Term, name: str, kind: F.FieldKind, ctx: _Context, *, negated: bool
    ) -> str:
        text_query = _text_query_of(term)
        tsquery = ctx.resolved.get(text_query, "")
        if not tsquery:
            # Only stop words (Solr drops them): the clause constrains nothing.
            return "TRUE"
        placeholder = f"CAST({ctx.bind(tsquery)} AS tsquery)"
        if not negated:
            ctx.positive_tsqueries.append(tsquery)
        if kind is F.FieldKind.CATCH_ALL:
            return f"search_vector @@ {placeholder}"
        config = f"CAST({ctx.bind(self.text_config)} AS regconfig)"
        vector = f"jsonb_to_tsvector({config}, fields -> {ctx.bind(name)}, '[\"string\"]')"
        return f"{vector} @@ {placeholder}"

    def _string_term(self, term: Term, name: str, ctx: _Context) -> str:
        if name in F.SCALAR_COLUMNS and name not in F.TIMESTAMP_COLUMNS:
            if term.wildcard:
                return f"{name} LIKE {ctx.bind(_wildcard_to_like(term.value))}"
            return f"{name} = {ctx.bind(term.value)}"
        if name in F.ARRAY_COLUMNS and not term.wildcard:
            return f"{name} @> ARRAY[CAST({ctx.bind(term.value)} AS text)]"
        if term.wildcard:
            values = values_of(name, ctx.bind)
            pattern = ctx.bind(_wildcard_to_like(term.value))
            return f"EXISTS (SELECT 1 FROM {values} WHERE x LIKE {pattern})"
        return f"fields @> CAST({ctx.bind(json.dumps({name: [term.value]}))} AS jsonb)"

    def _range(self, node: Range, ctx: _Context) -> str:
        kind = F.kind_of(node.field)
        if kind is F.FieldKind.DATE:
            low, high = (_as_date(node.low), _as_date(node.high))
            cast = "pgsearch_try_timestamptz(x)"
        elif all(b is None or _NUMBER_RE.match(b) for b in (node.low, node.high)):
            low, high = (_as_number(node.low), _as_number(node.high))
            cast = "pgsearch_try_numeric(x)"
        else:
            low, high = node.low, node.high
            cast = 'x COLLATE "C"'
        if node.field in F.TIMESTAMP_COLUMNS:
            return _bounds(node.field, low, high, node, ctx) or "TRUE"
        condition = _bounds(cast, low, high, node, ctx) or "x IS NOT NULL"
        return f"EXISTS (SELECT 1 FROM {values_of(node.field, ctx.bind)} WHERE {condition})"

    def _exists(self, name: str, ctx: _Context) -> str:
        if name in F.SCALAR_COLUMNS:
            return f"{name} IS NOT NULL"
        if name in F.ARRAY_COLUMNS:
            return f"cardinality({name}) > 0"
        if name == self.spatial_field:
            return "geom IS NOT NULL"
        return f"fields ? {ctx.bind(name)}"

    def _spatial(self, node: SpatialIntersects, ctx: _Context) -> str:
        if node.field != self.spatial_field:
            raise QuerySyntaxError(
                f"spatial filter on unknown field {node.field!r}; "
                f"the indexed geometry field is {self.spatial_field!r}"
            )
        envelope = (
            f"ST_MakeEnvelope({ctx.bind(node.min_x)}, {ctx.bind(node.min_y)}, "
            f"{ctx.bind(node.max_x)}, {ctx.bind(node.max_y)}, 4326)"
        )
        return f"ST_Intersects(geom, {envelope})"


# -- helpers ---------------------------------------------------------------------------


def values_of(name: str, bind: Callable[[object], str]) -> str:
    """A FROM item yielding the field's values as rows of ``v(x)`` (text)."""
    if name in F.TIMESTAMP_COLUMNS:
        solr_format = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"
        return f"(VALUES (to_char({name} AT TIME ZONE 'UTC', {solr_format}))) AS v(x)"
    if name in F.SCALAR_COLUMNS:
        return f"(VALUES ({name})) AS v(x)"
    if name in F.ARRAY_COLUMNS:
        return f"unnest({name}) AS v(x)"
    return f"jsonb_array_elements_text(fields -> {bind(name)}) AS v(x)"


def _with_default_field(node: Node, default_field: str) -> Node:
    """Give unfielded terms Solr's ``df`` (CKAN always sends ``text``)."""
    if default_field == F.CATCH_ALL_FIELD:
        return node
    if isinstance(node, Term) and node.field is None:
        return Term(default_field, node.value, node.phrase, node.wildcard)
    if isinstance(node, Bool):
        return Bool(
            must=tuple(_with_default_field(n, default_field) for n in node.must),
            should=tuple(_with_default_field(n, default_field) for n in node.should),
            must_not=tuple(_with_default_field(n, default_field) for n in node.must_not),
        )
    return node


def _text_query_of(term: Term) -> TextQuery:
    if term.phrase:
        return ("phraseto_tsquery", term.value)
    if term.wildcard:
        if not _PREFIX_RE.match(term.value):
            raise QuerySyntaxError(
                f"wildcards in full-text fields are only supported at the end of a word "
                f"(prefix search), got {term.value!r}"
            )
        return ("prefix", term.value[:-1])
    return ("plainto_tsquery", term.value)


def _text_queries(node: Node) -> list[TextQuery]:
    if isinstance(node, Bool):
        return [
            tq
            for child in (*node.must, *node.should, *node.must_not)
            for tq in _text_queries(child)
        ]
    if isinstance(node, Term):
        kind = F.kind_of(node.field or F.CATCH_ALL_FIELD)
        if kind in (F.FieldKind.CATCH_ALL, F.FieldKind.TEXT):
            return [_text_query_of(node)]
    return []


def _bounds(expression: str, low: object, high: object, node: Range, ctx: _Context) -> str:
    parts = []
    if low is not None:
        parts.append(f"{expression} {'>=' if node.include_low else '>'} {ctx.bind(low)}")
    if high is not None:
        parts.append(f"{expression} {'<=' if node.include_high else '<'} {ctx.bind(high)}")
    return " AND ".join(parts)


def _as_date(value: str | None) -> object:
    if value is None:
        return None
    try:
        return parse_solr_date(value)
    except DateMathError as error:
        raise QuerySyntaxError(str(error)) from error


def _as_number(value: str | None) -> object:
    return None if value is None else float(value)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _wildcard_to_like(value: str) -> str:
    return _escape_like(value).replace("*", "%").replace("?", "_")
