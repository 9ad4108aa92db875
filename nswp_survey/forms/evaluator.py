"""Evaluate parsed XPath expressions (`forms/xpath.py`) over instance trees, as JavaRosa does.

Values are floats, strings, booleans or lists of `Node`s. Dates are ISO strings; in `< <= >
>=`, arithmetic and `number()` they count as days since 1970-01-01 (JavaRosa's typed dates).
Comparisons with a node list are true if any node's value satisfies them (XPath 1.0).
`instance('id')` is the `<instance>` element of a secondary instance, so
`instance('id')/root/item[...]` reads choice lists as in pyxform's itemsets.

Example:
    doc = Node.document("data")
    doc.children[0].add("age", "42")
    Evaluator(doc).boolean("/data/age > 18", doc.children[0])   # True
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from nswp_survey.errors import FormValidationError
from nswp_survey.forms.xpath import Expression, Node, parse

Value = float | str | bool | list[Node]

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_EPOCH = date(1970, 1, 1)
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


class _Ctx(NamedTuple):
    node: Node
    position: int
    size: int
    current: Node


def to_str(value: Value) -> str:
    """XPath string(): a node list's first value, 'true'/'false', integers without '.0'."""
    if isinstance(value, list):
        return value[0].text() if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def to_num(value: Value) -> float:
    """XPath number(); an ISO date is its day number, '' and text are NaN."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = to_str(value).strip()
    try:
        return float(text)
    except ValueError:
        match = _ISO_DATE.match(text)
        if match:
            try:
                day = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return math.nan
            return float((day - _EPOCH).days)
        return math.nan


def to_bool(value: Value) -> bool:
    """XPath boolean(): non-empty lists and strings, non-zero numbers."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return bool(value)


def _atoms(value: Value) -> list[Value]:
    return [node.text() for node in value] if isinstance(value, list) else [value]


def compare(op: str, left: Value, right: Value) -> bool:
    """`= != < <= > >=` with XPath 1.0's conversions (node lists compare existentially)."""
    if isinstance(left, bool) or isinstance(right, bool):
        if op in ("=", "!="):
            return (to_bool(left) == to_bool(right)) == (op == "=")
        left, right = to_num(left), to_num(right)
    if isinstance(left, list) or isinstance(right, list):
        return any(compare(op, a, b) for a in _atoms(left) for b in _atoms(right))
    if op in ("=", "!="):
        if isinstance(left, float) or isinstance(right, float):
            same = to_num(left) == to_num(right)
        else:
            same = left == right
        return same == (op == "=")
    a, b = to_num(left), to_num(right)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as err:
        raise FormValidationError(f"regex() pattern {pattern!r} is not valid: {err}") from err


def _as_date(value: Value) -> date | None:
    if isinstance(value, float) and not math.isnan(value):
        return _EPOCH + timedelta(days=int(value))
    text = to_str(value)
    match = _ISO_DATE.match(text)
    if not match:
        return None
    try:
        return (
            datetime.fromisoformat(text.strip()) if "T" in text else date.fromisoformat(text[:10])
        )
    except ValueError:
        return None


def format_date(value: Value, pattern: Value) -> str:
    """ODK format-date(): %Y %y %m %n %b %d %e %a %H %h %M %S; '' for a non-date."""
    day = _as_date(value)
    if day is None:
        return ""
    moment = day if isinstance(day, datetime) else datetime(day.year, day.month, day.day)
    codes = {
        "Y": f"{moment.year:04d}", "y": f"{moment.year % 100:02d}", "m": f"{moment.month:02d}",
        "n": str(moment.month), "b": _MONTHS[moment.month - 1], "d": f"{moment.day:02d}",
        "e": str(moment.day), "a": _DAYS[moment.weekday()], "H": f"{moment.hour:02d}",
        "h": str(moment.hour), "M": f"{moment.minute:02d}", "S": f"{moment.second:02d}",
    }  # fmt: skip
    return re.sub(r"%(.)", lambda m: codes.get(m[1], m[1]), to_str(pattern))


def _substring(text: Value, start: Value, length: Value | None = None) -> str:
    s = to_str(text)
    first = round(to_num(start))
    last = len(s) + 1 if length is None else first + round(to_num(length))
    return s[max(first, 1) - 1 : max(last - 1, 0)]


def _round(value: Value, digits: Value = 0.0) -> float:
    factor = 10 ** int(to_num(digits))
    return math.floor(to_num(value) * factor + 0.5) / factor


def _numbers(args: tuple[Value, ...]) -> list[float]:
    return [to_num(a) for arg in args for a in _atoms(arg)]


# name -> function of the evaluated arguments (context-dependent ones are in Evaluator)
FUNCTIONS: dict[str, Callable[..., Value]] = {
    "true": lambda: True,
    "false": lambda: False,
    "not": lambda v: not to_bool(v),
    "boolean": to_bool,
    "boolean-from-string": lambda v: to_str(v).strip() in ("true", "1"),
    "number": to_num,
    "string": to_str,
    "int": lambda v: float(math.trunc(to_num(v))) if math.isfinite(to_num(v)) else to_num(v),
    "round": _round,
    "floor": lambda v: float(math.floor(to_num(v))),
    "ceiling": lambda v: float(math.ceil(to_num(v))),
    "abs": lambda v: abs(to_num(v)),
    "pow": lambda a, b: to_num(a) ** to_num(b),
    "sum": lambda v: float(sum(_numbers((v,)))),
    "count": lambda v: float(len(v)) if isinstance(v, list) else 0.0,
    "max": lambda *a: max(_numbers(a), default=math.nan),
    "min": lambda *a: min(_numbers(a), default=math.nan),
    "concat": lambda *a: "".join(to_str(v) for v in a),
    "join": lambda sep, *a: to_str(sep).join(str(x) for v in a for x in _atoms(v)),
    "contains": lambda a, b: to_str(b) in to_str(a),
    "starts-with": lambda a, b: to_str(a).startswith(to_str(b)),
    "ends-with": lambda a, b: to_str(a).endswith(to_str(b)),
    "substring": _substring,
    "substr": lambda s, a, b=None: to_str(s)[
        int(to_num(a)) : None if b is None else int(to_num(b))
    ],
    "string-length": lambda v: float(len(to_str(v))),
    "normalize-space": lambda v: " ".join(to_str(v).split()),
    "translate": lambda s, a, b: to_str(s).translate(
        {ord(c): (to_str(b)[i] if i < len(to_str(b)) else None) for i, c in enumerate(to_str(a))}
    ),
    "selected": lambda s, v: to_str(v).strip() in to_str(s).split(),
    "count-selected": lambda s: float(len(to_str(s).split())),
    "selected-at": lambda s, i: (to_str(s).split()[int(to_num(i)) : int(to_num(i)) + 1] or [""])[0],
    "regex": lambda s, p: _regex(to_str(p)).search(to_str(s)) is not None,
    "if": lambda c, a, b: a if to_bool(c) else b,
    "coalesce": lambda a, b: a if to_str(a) else b,
    "once": lambda v: v,
    "format-date": format_date,
    "format-date-time": format_date,
    "date": lambda v: d.isoformat() if (d := _as_date(v)) is not None else to_str(v),
    "decimal-date-time": to_num,
}


class Evaluator:
    """Evaluates expressions against one instance (`document`) and its secondary instances.

    `today` fixes `today()`/`now()` (default: the real date), so results are reproducible.
    """

    def __init__(
        self,
        document: Node,
        instances: Mapping[str, Node] | None = None,
        *,
        today: date | None = None,
    ) -> None:
        self.document = document
        self.instances = dict(instances or {})
        self.today = today or date.today()

    def evaluate(self, expr: Expression | str, node: Node) -> Value:
        """The value of `expr` with `node` as the context (and `current()`)."""
        tree = (parse(expr) if isinstance(expr, str) else expr).tree
        return self._eval(tree, _Ctx(node, 1, 1, node))

    def boolean(self, expr: Expression | str, node: Node) -> bool:
        return to_bool(self.evaluate(expr, node))

    def string(self, expr: Expression | str, node: Node) -> str:
        return to_str(self.evaluate(expr, node))

    def number(self, expr: Expression | str, node: Node) -> float:
        return to_num(self.evaluate(expr, node))

    def nodes(self, expr: Expression | str, node: Node) -> list[Node]:
        """The node list `expr` selects (an itemset's items); [] if it is not a path."""
        value = self.evaluate(expr, node)
        return value if isinstance(value, list) else []

    # -- internals ----------------------------------------------------------------------------
    def _eval(self, tree: tuple[Any, ...], ctx: _Ctx) -> Value:
        kind = tree[0]
        if kind == "num":
            return tree[1]
        if kind == "str":
            return tree[1]
        if kind == "bin":
            return self._binary(tree[1], tree[2], tree[3], ctx)
        if kind == "path":
            return self._path(tree[1], tree[2], ctx)
        if kind == "call":
            return self._call(tree[1], tree[2], ctx)
        if kind == "neg":
            return -to_num(self._eval(tree[1], ctx))
        if kind == "union":
            left, right = self._eval(tree[1], ctx), self._eval(tree[2], ctx)
            if not (isinstance(left, list) and isinstance(right, list)):
                raise FormValidationError("'|' joins node lists only")
            return left + [n for n in right if all(n is not m for m in left)]
        if kind == "filter":
            base = self._eval(tree[1], ctx)
            return self._filter(base if isinstance(base, list) else [], tree[2], ctx)
        raise FormValidationError(f"cannot evaluate {tree!r}")

    def _binary(self, op: str, left: Any, right: Any, ctx: _Ctx) -> Value:
        if op == "and":
            return to_bool(self._eval(left, ctx)) and to_bool(self._eval(right, ctx))
        if op == "or":
            return to_bool(self._eval(left, ctx)) or to_bool(self._eval(right, ctx))
        a, b = self._eval(left, ctx), self._eval(right, ctx)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            return compare(op, a, b)
        x, y = to_num(a), to_num(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if y == 0 or math.isnan(y):
            return (
                math.nan if op == "mod" or x == 0 or math.isnan(x) else math.copysign(math.inf, x)
            )
        return x / y if op == "div" else math.fmod(x, y)

    def _path(self, base: Any, steps: list[Any], ctx: _Ctx) -> list[Node]:
        if base is None:
            nodes = [self.document]
        elif base == ("context",):
            nodes = [ctx.node]
        else:
            value = self._eval(base, ctx)
            nodes = value if isinstance(value, list) else []
        for step in steps:
            found: list[Node] = []
            for node in nodes:
                found.extend(self._step(step, node, ctx))
            seen: set[int] = set()
            nodes = [n for n in found if not (id(n) in seen or seen.add(id(n)))]  # type: ignore[func-returns-value]
        return nodes

    def _step(self, step: tuple[Any, ...], node: Node, ctx: _Ctx) -> list[Node]:
        kind = step[0]
        if kind == "child":
            name = step[1]
            picked = [c for c in node.children if name in ("*", c.name)]
            return self._filter(picked, step[2], ctx) if step[2] else picked
        if kind == "self":
            return [node]
        if kind == "parent":
            return [node.parent] if node.parent is not None else []
        if kind == "descendant":
            out, stack = [], [node]
            while stack:
                current = stack.pop()
                out.append(current)
                stack.extend(reversed(current.children))
            return out
        return []  # attributes are not modelled

    def _filter(self, nodes: list[Node], preds: list[Any], ctx: _Ctx) -> list[Node]:
        for pred in preds:
            kept = []
            for index, node in enumerate(nodes, start=1):
                value = self._eval(pred, _Ctx(node, index, len(nodes), ctx.current))
                if (value == index) if isinstance(value, float) else to_bool(value):
                    kept.append(node)
            nodes = kept
        return nodes

    def _call(self, name: str, args: list[Any], ctx: _Ctx) -> Value:
        local = name.split(":", 1)[-1] if name.startswith("jr:") else name
        if local == "current":
            return [ctx.current]
        if local == "position":
            if not args:
                return float(ctx.position)
            target = self._eval(args[0], ctx)
            return float(target[0].position()) if isinstance(target, list) and target else math.nan
        if local == "last":
            return float(ctx.size)
        if local == "instance":
            inst = self.instances.get(to_str(self._eval(args[0], ctx)))
            return [inst] if inst is not None else []
        if local == "today":
            return self.today.isoformat()
        if local == "now":
            return f"{self.today.isoformat()}T12:00:00.000+00:00"
        if local == "string-length" and not args:
            return float(len(ctx.node.text()))
        function = FUNCTIONS.get(local)
        if function is None:
            raise FormValidationError(f"the function {name}() is not supported by the simulator")
        values = [self._eval(arg, ctx) for arg in args]
        try:
            return function(*values)
        except TypeError as err:
            raise FormValidationError(f"{name}() called with {len(values)} arguments") from err
