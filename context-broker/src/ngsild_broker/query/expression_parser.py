"""The boolean skeleton shared by the ``q`` and ``scopeQ`` languages (clauses 4.9, 4.19).

Both combine operands with ``;`` (AND, binding tighter) and an OR operator, group with
parentheses, and report errors with the position in the expression. Subclasses parse the
operands (``parse_operand``) and build their own AND/OR nodes.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from ..errors import BadRequestData

Node = TypeVar("Node")
MAX_DEPTH = 16


class ExpressionParser(Generic[Node]):
    language: ClassVar[str]  # the parameter name, for error messages
    or_operators: ClassVar[str] = "|"

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    # -- hooks
    def parse_operand(self) -> Node:
        raise NotImplementedError

    def make_and(self, children: tuple[Node, ...]) -> Node:
        raise NotImplementedError

    def make_or(self, children: tuple[Node, ...]) -> Node:
        raise NotImplementedError

    # -- helpers
    def error(self, what: str, pos: int | None = None) -> BadRequestData:
        where = self.pos if pos is None else pos
        return BadRequestData(f"Invalid {self.language} at position {where}: {what}")

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    # -- grammar
    def parse(self) -> Node:
        node = self.parse_or()
        self.skip_space()
        if self.pos < len(self.text):
            if self.peek() == ")":
                raise self.error("unbalanced parentheses (')' without '(')")
            raise self.error(f"unexpected character {self.peek()!r}")
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while True:
            self.skip_space()
            if not self.peek() or self.peek() not in self.or_operators:
                break
            self.pos += 1
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else self.make_or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_primary()]
        while True:
            self.skip_space()
            if self.peek() != ";":
                break
            self.pos += 1
            children.append(self.parse_primary())
        return children[0] if len(children) == 1 else self.make_and(tuple(children))

    def parse_primary(self) -> Node:
        self.skip_space()
        if self.peek() != "(":
            if self.peek() == ")" and self.depth == 0:
                raise self.error("unbalanced parentheses (')' without '(')")
            return self.parse_operand()
        start = self.pos
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"parentheses nested deeper than {MAX_DEPTH} levels")
        self.pos += 1
        node = self.parse_or()
        self.skip_space()
        if self.peek() != ")":
            if self.pos >= len(self.text):
                raise self.error(f"unbalanced parentheses ('(' at position {start} not closed)")
            raise self.error(f"expected ')' or an operator, got {self.peek()!r}")
        self.pos += 1
        self.depth -= 1
        return node
