"""The subset of XPath 1.0 (with ODK's functions) that XForm binds and itemsets use.

`parse(text)` returns an `Expression` (cached); `forms/evaluator.py` runs it over a tree of
`Node`s. The grammar: numbers, strings, paths (absolute, relative, `.`, `..`, `*`, `//`,
`@attr`, predicates), function calls, `( )`, unary minus, `|`, `+ - * div mod`,
`= != < <= > >=`, `and`, `or`, with XPath 1.0's precedence.

Example:
    parse("/data/age > 18").tree   # ('bin', '>', ('path', None, [...]), ('num', 18.0))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nswp_survey.errors import FormValidationError

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>//|\.\.|!=|<=|>=|[/()\[\],|+\-*=<>.@$])|(?P<name>[A-Za-z_][\w.\-]*(?::[\w.\-]+)?))"
)


class Node:
    """One element of an instance: a name, a text value and child elements."""

    __slots__ = ("children", "name", "parent", "value")

    def __init__(self, name: str, parent: Node | None = None, value: str = "") -> None:
        self.name, self.parent, self.value = name, parent, value
        self.children: list[Node] = []

    @classmethod
    def document(cls, root_name: str) -> Node:
        """A document node holding one root element named `root_name`."""
        doc = cls("#document")
        doc.add(root_name)
        return doc

    def add(self, name: str, value: str = "") -> Node:
        child = Node(name, self, value)
        self.children.append(child)
        return child

    def find(self, path: str) -> Node | None:
        """The first descendant along a relative path like 'grp/q'."""
        node: Node | None = self
        for part in path.split("/"):
            node = next((c for c in node.children if c.name == part), None) if node else None
        return node

    def text(self) -> str:
        return self.value if not self.children else "".join(c.text() for c in self.children)

    def position(self) -> int:
        if self.parent is None:
            return 1
        same = [c for c in self.parent.children if c.name == self.name]
        return same.index(self) + 1

    def __repr__(self) -> str:
        return f"Node({self.name!r}, {self.value!r})"


@dataclass(frozen=True)
class Expression:
    """A parsed expression: `text` as written, `tree` as nested tuples."""

    text: str
    tree: tuple[Any, ...]

    def comparisons(self) -> list[tuple[str, Expression, Expression]]:
        """Every comparison in the expression as (operator, left side, right side)."""
        found: list[tuple[str, Expression, Expression]] = []

        def walk(tree: Any) -> None:
            if not isinstance(tree, tuple):
                return
            if tree[0] == "bin" and tree[1] in ("=", "!=", "<", "<=", ">", ">="):
                found.append(
                    (tree[1], Expression(self.text, tree[2]), Expression(self.text, tree[3]))
                )
            for part in tree[1:]:
                if isinstance(part, tuple | list):
                    for item in part if isinstance(part, list) else [part]:
                        walk(item)

        walk(self.tree)
        return found


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise FormValidationError(f"cannot read the expression {text!r} at {text[pos:]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        operand = tokens and (tokens[-1][0] in ("num", "str", "name") or tokens[-1][1] in ")].")
        if kind == "op" and value == "*" and not operand:
            kind = "name"  # a name test, not multiplication
        elif kind == "name" and operand and value in ("and", "or", "div", "mod"):
            kind = "op"
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Parser:
    _LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"))

    def __init__(self, text: str) -> None:
        self.text, self.toks, self.i = text, _tokens(text), 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "end" or (value is not None and tok[1] != value):
            raise FormValidationError(f"cannot read the expression {self.text!r}: expected {value}")
        self.i += 1
        return tok

    def binary(self, level: int) -> tuple[Any, ...]:
        if level == len(self._LEVELS):
            return self.multiplicative()
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            op = self.take()[1]
            left = ("bin", op, left, self.binary(level + 1))
        return left

    def multiplicative(self) -> tuple[Any, ...]:
        left = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "div", "mod"):
            op = self.take()[1]
            left = ("bin", op, left, self.unary())
        return left

    def unary(self) -> tuple[Any, ...]:
        if self.peek() == ("op", "-"):
            self.take()
            return ("neg", self.unary())
        left = self.path()
        while self.peek() == ("op", "|"):
            self.take()
            left = ("union", left, self.path())
        return left

    def path(self) -> tuple[Any, ...]:
        kind, value = self.peek()
        if kind == "op" and value in ("/", "//"):
            self.take()
            steps: list[Any] = [("descendant",)] if value == "//" else []
            if self._step_start():
                steps += self.steps()
            return ("path", None, steps)
        if self._step_start():
            return ("path", ("context",), self.steps())
        base = self.primary()
        preds = self.predicates()
        if preds:
            base = ("filter", base, preds)
        if self.peek()[1] in ("/", "//"):
            return ("path", base, self.steps(leading=True))
        return base

    def _step_start(self) -> bool:
        kind, value = self.peek()
        nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else ("end", "")
        if kind == "name":
            return nxt != ("op", "(")
        return kind == "op" and value in (".", "..", "@")

    def steps(self, leading: bool = False) -> list[Any]:
        steps: list[Any] = []
        first = not leading
        while True:
            if not first:
                sep = self.peek()[1]
                if sep not in ("/", "//"):
                    return steps
                self.take()
                if sep == "//":
                    steps.append(("descendant",))
            first = False
            kind, value = self.take()
            if value == "@":
                steps.append(("attr", self.take()[1]))
            elif value in (".", ".."):
                steps.append(("self",) if value == "." else ("parent",))
            elif kind == "name":
                steps.append(("child", value, self.predicates()))
            else:
                raise FormValidationError(f"cannot read the expression {self.text!r} at {value!r}")

    def predicates(self) -> list[Any]:
        preds = []
        while self.peek() == ("op", "["):
            self.take()
            preds.append(self.binary(0))
            self.take("]")
        return preds

    def primary(self) -> tuple[Any, ...]:
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1])
        if value == "(":
            inner = self.binary(0)
            self.take(")")
            return inner
        if kind == "name" and self.peek() == ("op", "("):
            self.take()
            args = []
            while self.peek() != ("op", ")"):
                args.append(self.binary(0))
                if self.peek() == ("op", ","):
                    self.take()
            self.take(")")
            return ("call", value, args)
        raise FormValidationError(f"cannot read the expression {self.text!r} at {value!r}")


@lru_cache(maxsize=4096)
def parse(text: str) -> Expression:
    """Parse an XPath expression (cached); FormValidationError if it cannot be read."""
    parser = _Parser(text)
    tree = parser.binary(0)
    if parser.peek()[0] != "end":
        raise FormValidationError(f"cannot read the expression {text!r} at {parser.peek()[1]!r}")
    return Expression(text, tree)
