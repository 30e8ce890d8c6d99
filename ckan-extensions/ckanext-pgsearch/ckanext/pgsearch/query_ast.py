"""The parsed form of a Solr query: a small tree the SQL builder walks.

Keeping the tree separate from both the parser and the SQL builder lets each be
tested alone, and lets the builder refuse a node it cannot translate instead of
guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MatchAll:
    """``*:*`` – every document."""


@dataclass(frozen=True)
class Term:
    """A word, phrase or wildcard pattern on one field (``None`` = default field)."""

    field: str | None
    value: str
    phrase: bool = False
    wildcard: bool = False


@dataclass(frozen=True)
class Range:
    """``field:[low TO high]``; ``None`` bounds are open (``*``)."""

    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class Exists:
    """``field:*`` or ``field:[* TO *]`` – the field has any value."""

    field: str


@dataclass(frozen=True)
class SpatialIntersects:
    """``{!field f=spatial_geom}Intersects(ENVELOPE(minx, maxx, maxy, miny))``."""

    field: str
    min_x: float
    min_y: float
    max_x: float
    max_y: float


@dataclass(frozen=True)
class Bool:
    """Lucene boolean clause lists.

    ``must`` clauses are all required, ``must_not`` all excluded. ``should`` clauses
    are alternatives: at least one is required only when there is no ``must``
    clause (Lucene's rule), otherwise they only influence the score.
    """

    must: tuple[Node, ...] = field(default_factory=tuple)
    should: tuple[Node, ...] = field(default_factory=tuple)
    must_not: tuple[Node, ...] = field(default_factory=tuple)


Node = MatchAll | Term | Range | Exists | SpatialIntersects | Bool
