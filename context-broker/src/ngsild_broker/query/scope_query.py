"""The NGSI-LD scope query language (ETSI GS CIM 009 v1.8, clause 4.19) as a SQL condition.

``parse_scope_q(text)`` turns a ``scopeQ`` parameter into a tree of :class:`ScopeNode`;
``scope_to_sql(node, bind)`` turns the tree into a boolean SQL expression over the ``scope``
column of ``entities`` (JSON: one scope string, a list of them, or NULL). Patterns reach SQL
only as bound parameters; the SQL text consists of fixed fragments of this module.

Grammar (whitespace between tokens is tolerated, not inside a scope)::

    scopeQ  := and (("," | "|") and)*     -- "," and "|" are OR; ";" AND binds tighter
    and     := primary (";" primary)*
    primary := "(" scopeQ ")" | scope
    scope   := ("/" level)+
    level   := name | "+" | "#"           -- "#" only last; name: letters, digits, "_", "-"

Matching (an entity matches a scope pattern when at least one of its scopes does):

* ``/Madrid/Gardens/ParqueNorte`` matches exactly that scope;
* ``+`` matches exactly one level: ``/Madrid/+/ParqueNorte`` matches
  ``/Madrid/Gardens/ParqueNorte`` but neither ``/Madrid/ParqueNorte`` nor
  ``/Madrid/a/b/ParqueNorte``;
* ``#`` (only as the last level) matches the scope before it and every scope below it, as the
  MQTT multi-level wildcard the spec borrows it from: ``/CompanyA/#`` matches ``/CompanyA``
  and ``/CompanyA/OrganizationB/UnitC`` but not ``/CompanyAB``; ``/#`` matches every entity
  that has any scope at all.

The ``,`` spelling of OR and ``;`` for AND are those of v1.8; ``|`` and grouping parentheses
(later versions) are accepted as well, since they give no v1.8 expression another meaning.
Entities without a scope never match. The parser is one left-to-right scan with limits on
length, nesting and number of scopes, so that malformed or hostile input ends in
:class:`BadRequestData`, never in an exception or an oversized SQL statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import BadRequestData
from .expression_parser import ExpressionParser

MAX_LENGTH = 4096
MAX_SCOPES = 64
MAX_LEVELS = 32

SINGLE_LEVEL = "+"
MULTI_LEVEL = "#"
_STOP = frozenset(",|;() \t\r\n")
#: Besides Unicode letters and digits (clause 4.19 ABNF: ScopeLevelChar). The hyphen is an
#: extension: place names such as ``/Bad-Zwischenahn`` occur in stored scopes.
_EXTRA_LEVEL_CHARS = frozenset("_-")


class ScopeNode:
    """A parsed scope query node: :class:`ScopePattern`, :class:`ScopeAnd` or :class:`ScopeOr`."""

    __slots__ = ()


@dataclass(frozen=True)
class ScopePattern(ScopeNode):
    """One scope with optional wildcards; ``levels`` without the slashes, e.g.
    ``("Madrid", "+", "ParqueNorte")`` or ``("CompanyA", "#")``."""

    levels: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return SINGLE_LEVEL not in self.levels and MULTI_LEVEL not in self.levels

    def __str__(self) -> str:
        return "/" + "/".join(self.levels)


@dataclass(frozen=True)
class ScopeAnd(ScopeNode):
    children: tuple[ScopeNode, ...]


@dataclass(frozen=True)
class ScopeOr(ScopeNode):
    children: tuple[ScopeNode, ...]


# --------------------------------------------------------------------------- parsing


def parse_scope_q(text: object) -> ScopeNode:
    """Parse an NGSI-LD ``scopeQ`` expression; :class:`BadRequestData` on any error."""
    if not isinstance(text, str):
        raise BadRequestData("scopeQ must be a string")
    if len(text) > MAX_LENGTH:
        raise BadRequestData(
            f"scopeQ is too long ({len(text)} characters, at most {MAX_LENGTH})"
        )
    if not text.strip():
        raise BadRequestData("scopeQ is empty")
    return _Parser(text).parse()


class _Parser(ExpressionParser[ScopeNode]):
    language = "scopeQ"
    or_operators = ",|"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.scopes = 0

    def make_and(self, children: tuple[ScopeNode, ...]) -> ScopeNode:
        return ScopeAnd(children)

    def make_or(self, children: tuple[ScopeNode, ...]) -> ScopeNode:
        return ScopeOr(children)

    def parse_operand(self) -> ScopeNode:
        char = self.peek()
        if char == "/":
            return self.parse_scope()
        if char in ("", ",", "|", ";", ")"):
            raise self.error("empty scope (expected '/' or '(')")
        raise self.error(f"a scope starts with '/', got {char!r}")

    def parse_scope(self) -> ScopePattern:
        self.scopes += 1
        if self.scopes > MAX_SCOPES:
            raise self.error(f"more than {MAX_SCOPES} scopes")
        start = self.pos
        levels: list[str] = []
        while self.peek() == "/":
            self.pos += 1
            level_start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in _STOP:
                if self.text[self.pos] == "/":
                    break
                self.pos += 1
            level = self.text[level_start:self.pos]
            self._check_level(level, level_start, levels)
            levels.append(level)
            if len(levels) > MAX_LEVELS:
                raise self.error(f"a scope has more than {MAX_LEVELS} levels", start)
        return ScopePattern(tuple(levels))

    def _check_level(self, level: str, pos: int, before: list[str]) -> None:
        if before and before[-1] == MULTI_LEVEL:
            raise self.error("'#' must be the last level of a scope", pos - 1)
        if not level:
            if self.peek() == "/":
                raise self.error("empty scope level ('//')", pos)
            raise self.error("empty scope level (a scope does not end with '/')", pos)
        if level in (SINGLE_LEVEL, MULTI_LEVEL):
            return
        for offset, char in enumerate(level):
            if not (char.isalnum() or char in _EXTRA_LEVEL_CHARS):
                what = (
                    f"'{char}' is a whole level on its own ('/{char}/'), not part of a name"
                    if char in (SINGLE_LEVEL, MULTI_LEVEL)
                    else f"character {char!r} is not allowed in a scope level"
                )
                raise self.error(what, pos + offset)


# --------------------------------------------------------------------------- SQL

# The entity's scopes as a set of text rows; a lone string counts as a list of one, any
# other JSON (or SQL NULL) as no scope at all.
_SCOPES = (
    "jsonb_array_elements_text(CASE jsonb_typeof(scope) "
    "WHEN 'array' THEN scope WHEN 'string' THEN jsonb_build_array(scope) END)"
)


def scope_to_sql(node: ScopeNode, bind: Callable[[object], str]) -> str:
    """A boolean SQL expression over ``entities.scope`` that is true for the entities
    ``node`` selects. ``bind(value)`` registers a parameter and returns its placeholder."""
    if isinstance(node, ScopeAnd):
        return "(" + " AND ".join(scope_to_sql(child, bind) for child in node.children) + ")"
    if isinstance(node, ScopeOr):
        return "(" + " OR ".join(scope_to_sql(child, bind) for child in node.children) + ")"
    if isinstance(node, ScopePattern):
        if node.exact:
            condition = f"s.v = {bind(str(node))}::text"
        else:
            condition = f"s.v ~ {bind(scope_regex(node))}::text"
        return f"EXISTS (SELECT 1 FROM {_SCOPES} AS s(v) WHERE {condition})"
    raise TypeError(f"not a scope query node: {node!r}")


def scope_regex(pattern: ScopePattern) -> str:
    """An anchored POSIX regular expression (PostgreSQL ``~``) for a wildcard pattern.

    Names are escaped character by character although the grammar admits only letters,
    digits, ``_`` and ``-``, so that a future widening of the grammar cannot turn a name
    into regex syntax.
    """
    parts = []
    for level in pattern.levels:
        if level == SINGLE_LEVEL:
            parts.append("/[^/]+")
        elif level == MULTI_LEVEL:
            # The level before '#' itself or anything below it; a lone "/#": any scope.
            parts.append("(/.*)?" if parts else "/.*")
        else:
            parts.append("/" + "".join(_escape(char) for char in level))
    return "^" + "".join(parts) + "$"


def _escape(char: str) -> str:
    return char if char.isalnum() or char == "_" else "\\" + char


def scope_matches(node: ScopeNode, scopes: object) -> bool:
    """The same semantics in Python (for tests, and for matching outside SQL)."""
    values = [scopes] if isinstance(scopes, str) else scopes if isinstance(scopes, list) else []
    texts = [value for value in values if isinstance(value, str)]
    if isinstance(node, ScopeAnd):
        return all(scope_matches(child, texts) for child in node.children)
    if isinstance(node, ScopeOr):
        return any(scope_matches(child, texts) for child in node.children)
    if isinstance(node, ScopePattern):
        return any(_pattern_matches(node.levels, _levels_of(text)) for text in texts)
    raise TypeError(f"not a scope query node: {node!r}")


def _levels_of(scope: str) -> list[str] | None:
    if not scope.startswith("/"):
        return None
    return scope[1:].split("/")


def _pattern_matches(pattern: tuple[str, ...], levels: list[str] | None) -> bool:
    if levels is None:
        return False
    if pattern and pattern[-1] == MULTI_LEVEL:
        prefix = pattern[:-1]
        return len(levels) >= len(prefix) and _levels_equal(prefix, levels[: len(prefix)])
    return len(levels) == len(pattern) and _levels_equal(pattern, levels)


def _levels_equal(pattern: tuple[str, ...], levels: list[str]) -> bool:
    return all(
        (p == SINGLE_LEVEL and level != "") or p == level
        for p, level in zip(pattern, levels, strict=True)
    )
