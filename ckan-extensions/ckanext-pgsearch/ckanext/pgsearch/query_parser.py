"""Parse the Solr (Lucene) query syntax that CKAN and its extensions generate.

Supported: terms, quoted phrases, ``field:value``, field-scoped groups
``state:(active OR draft)``, ranges ``[a TO b]`` / ``{a TO b}`` with ``*``,
``field:*``, ``*:*``, wildcards ``*``/``?`` in terms, ``+``/``-``/``!``/``NOT``
prefixes, ``AND``/``OR``/``&&``/``||`` with AND binding tighter than OR,
parentheses, boosts (``^2``, ignored), backslash escapes, and the one local-params
query CKAN's spatial extension sends (``{!field f=...}Intersects(ENVELOPE(...))``).

Anything else (fuzzy ``~``, other local params, magic fields) raises
:class:`QuerySyntaxError` with the position, so a user sees why the query was
refused instead of getting a silently wrong result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .query_ast import Bool, Exists, MatchAll, Node, Range, SpatialIntersects, Term

_SPECIAL = set('()":[]{}^~')
_KEYWORDS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT"}

_SPATIAL_RE = re.compile(
    r"^\{!field\s+f=(?P<field>[\w.]+)\s*\}\s*Intersects\(\s*ENVELOPE\(\s*"
    r"(?P<minx>[-+0-9.eE]+)\s*,\s*(?P<maxx>[-+0-9.eE]+)\s*,\s*"
    r"(?P<maxy>[-+0-9.eE]+)\s*,\s*(?P<miny>[-+0-9.eE]+)\s*\)\s*\)\s*$"
)


class QuerySyntaxError(ValueError):
    """The query uses syntax this backend does not translate."""


def parse_query(text: str, *, default_and: bool = True) -> Node:
    """Parse a Solr ``q``/``fq`` string into a query tree.

    ``default_and`` mirrors Solr's ``q.op``: CKAN always sends ``AND``, so
    juxtaposed clauses are all required.
    """
    stripped = text.strip()
    if stripped.startswith("{!"):
        return _parse_local_params(stripped)
    if not stripped:
        return MatchAll()
    return _Parser(stripped, default_and=default_and).parse()


def parse_lenient(text: str) -> Node:
    """Parse end-user text typed into a search box (Solr's dismax input).

    Quotes, ``+``/``-`` and ``AND``/``OR``/``NOT`` work; characters that would be
    syntax errors elsewhere (a stray colon or bracket) are taken literally.
    """
    try:
        return parse_query(text)
    except QuerySyntaxError:
        cleaned = "".join(" " if ch in _SPECIAL - {'"'} else ch for ch in text)
        if cleaned.count('"') % 2:
            cleaned = cleaned.replace('"', " ")
        return parse_query(cleaned)


def _parse_local_params(text: str) -> Node:
    match = _SPATIAL_RE.match(text)
    if not match:
        raise QuerySyntaxError(
            "Local parameters are only supported for the spatial filter "
            "'{!field f=<field>}Intersects(ENVELOPE(minx, maxx, maxy, miny))'; got "
            f"{text[:120]!r}"
        )
    return SpatialIntersects(
        field=match["field"],
        min_x=float(match["minx"]),
        max_x=float(match["maxx"]),
        max_y=float(match["maxy"]),
        min_y=float(match["miny"]),
    )


class _Parser:
    """Recursive-descent parser over the raw string (ranges need raw text)."""

    def __init__(self, text: str, *, default_and: bool) -> None:
        self.text = text
        self.pos = 0
        self.default_and = default_and

    # -- entry -------------------------------------------------------------------

    def parse(self) -> Node:
        node = self._or_expression(field=None)
        self._skip_ws()
        if self.pos < len(self.text):
            self._fail(f"unexpected {self.text[self.pos]!r}")
        return node

    # -- grammar -----------------------------------------------------------------

    def _or_expression(self, field: str | None) -> Node:
        alternatives = [self._and_sequence(field)]
        while self._keyword() == "OR":
            self._consume_keyword()
            alternatives.append(self._and_sequence(field))
        if len(alternatives) == 1:
            return alternatives[0]
        return Bool(should=tuple(alternatives))

    def _and_sequence(self, field: str | None) -> Node:
        must: list[Node] = []
        should: list[Node] = []
        must_not: list[Node] = []
        explicit_and = False
        while True:
            self._skip_ws()
            if self.pos >= len(self.text) or self.text[self.pos] == ")":
                break
            keyword = self._keyword()
            if keyword == "OR":
                break
            if keyword == "AND":
                if not (must or should or must_not):
                    self._fail("AND without a left-hand clause")
                self._consume_keyword()
                explicit_and = True
                # "a AND b" under q.op=OR: the left clause becomes required too.
                if should:
                    must.append(should.pop())
                continue
            occur, node = self._clause(field)
            if occur == "must_not":
                must_not.append(node)
            elif occur == "must" or self.default_and or explicit_and:
                must.append(node)
            else:
                should.append(node)
            explicit_and = False
        if not (must or should or must_not):
            self._fail("empty expression")
        if len(must) == 1 and not should and not must_not:
            return must[0]
        if len(should) == 1 and not must and not must_not:
            return should[0]
        return Bool(must=tuple(must), should=tuple(should), must_not=tuple(must_not))

    def _clause(self, field: str | None) -> tuple[str, Node]:
        occur = "default"
        self._skip_ws()
        char = self._peek()
        if char == "+":
            self.pos += 1
            occur = "must"
        elif char in ("-", "!"):
            self.pos += 1
            occur = "must_not"
        elif self._keyword() == "NOT":
            self._consume_keyword()
            occur = "must_not"
        self._skip_ws()
        return occur, self._primary(field)

    def _primary(self, field: str | None) -> Node:
        if self._peek() in ("(", '"', "[", "{"):
            return self._value(field)
        start = self.pos
        word, wildcard = self._word()
        if not word:
            self._fail("expected a term")
        if self._peek() == ":" and field is None:
            self.pos += 1
            return self._field_value(word, start)
        return self._suffixes(self._term(field, word, wildcard))

    def _field_value(self, name: str, start: int) -> Node:
        if name in ("_query_", "_val_"):
            self._fail("magic fields are not supported")
        if name == "*":
            word, _ = self._word()
            if word != "*":
                self._fail("only '*:*' may use '*' as a field name", start)
            return MatchAll()
        return self._value(name)

    def _value(self, field: str | None) -> Node:
        """A group, phrase, range or word, scoped to ``field`` (None = default field)."""
        char = self._peek()
        if char == "(":
            self.pos += 1
            node = self._or_expression(field)
            self._expect(")")
            return self._suffixes(node)
        if char == '"':
            return self._suffixes(Term(field, self._phrase(), phrase=True))
        if char in ("[", "{"):
            if field is None:
                self._fail("a range needs a field name")
            return self._suffixes(self._range(field))
        word, wildcard = self._word()
        if not word:
            self._fail(f"missing value after '{field}:'")
        return self._suffixes(self._term(field, word, wildcard))

    @staticmethod
    def _term(field: str | None, word: str, wildcard: bool) -> Node:
        if wildcard and word == "*":
            return Exists(field) if field else MatchAll()
        return Term(field, word, wildcard=wildcard)

    def _suffixes(self, node: Node) -> Node:
        if self._peek() == "^":
            self.pos += 1
            while self.pos < len(self.text) and (
                self.text[self.pos].isdigit() or self.text[self.pos] == "."
            ):
                self.pos += 1
        if self._peek() == "~":
            self._fail("fuzzy and proximity searches ('~') are not supported")
        return node

    def _range(self, field: str) -> Node:
        include_low = self.text[self.pos] == "["
        self.pos += 1
        end = self._find_range_end()
        body = self.text[self.pos : end]
        include_high = self.text[end] == "]"
        self.pos = end + 1
        parts = body.split()
        if len(parts) != 3 or parts[1] != "TO":
            self._fail(f"a range must look like [low TO high], got [{body}]")
        low = None if parts[0] == "*" else _unquote(parts[0])
        high = None if parts[2] == "*" else _unquote(parts[2])
        if low is None and high is None:
            return Exists(field)
        return Range(field, low, high, include_low, include_high)

    def _find_range_end(self) -> int:
        for index in range(self.pos, len(self.text)):
            if self.text[index] in "]}" and self.text[index - 1] != "\\":
                return index
        self._fail("unterminated range")
        raise AssertionError  # unreachable, _fail raises

    # -- lexemes -----------------------------------------------------------------

    def _phrase(self) -> str:
        self.pos += 1  # opening quote
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(chars)
            chars.append(char)
            self.pos += 1
        self._fail("unterminated phrase (missing closing quote)")
        raise AssertionError

    def _word(self) -> tuple[str, bool]:
        chars: list[str] = []
        wildcard = False
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                chars.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char.isspace() or char in _SPECIAL:
                break
            if char in "*?":
                wildcard = True
            chars.append(char)
            self.pos += 1
        return "".join(chars), wildcard

    def _keyword(self) -> str | None:
        self._skip_ws()
        for literal, meaning in _KEYWORDS.items():
            end = self.pos + len(literal)
            if self.text.startswith(literal, self.pos) and (
                end >= len(self.text) or self.text[end].isspace() or self.text[end] in "()"
            ):
                return meaning
        return None

    def _consume_keyword(self) -> None:
        self._skip_ws()
        for literal in _KEYWORDS:
            if self.text.startswith(literal, self.pos):
                self.pos += len(literal)
                return

    def _skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _expect(self, char: str) -> None:
        self._skip_ws()
        if self._peek() != char:
            self._fail(f"expected {char!r}")
        self.pos += 1

    def _fail(self, message: str, position: int | None = None) -> None:
        where = self.pos if position is None else position
        raise QuerySyntaxError(f"{message} at position {where} in {self.text[:200]!r}")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value.replace("\\", "")


def combine_filters(filters: Iterable[str]) -> list[Node]:
    """Parse each ``fq`` string (CKAN sends a list); empty ones are dropped."""
    return [parse_query(item) for item in filters if item and item.strip()]
