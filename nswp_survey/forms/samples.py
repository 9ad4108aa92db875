"""Random strings that match a regular expression, for answers a `regex()` constraint checks.

Handles what form constraints use: literals, character classes and ranges, `\\d`/`\\w`,
`.`, repeats (`{n,m}`, `?`, `*`, `+`, at most 3 beyond the minimum), groups and `|`.
Anchors are satisfied by construction; look-arounds and back-references are not supported.

Example:
    sample_regex("^[A-Z]{2}-[0-9]{4}$", random.Random(1))   # e.g. 'QK-0413'
"""

from __future__ import annotations

import random
import re._parser as sre
from functools import lru_cache
from typing import Any

_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def sample_regex(pattern: str, rng: random.Random) -> str:
    """A string matching `pattern` (literals, classes, repeats, groups, alternatives)."""
    return _sample(_parsed(pattern), rng)


@lru_cache(maxsize=128)
def _parsed(pattern: str) -> Any:
    return sre.parse(pattern)


def _sample(items: Any, rng: random.Random) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            times = rng.randint(low, min(high, low + 3))
            out.extend(_sample(sub, rng) for _ in range(times))
        elif name == "SUBPATTERN":
            out.append(_sample(arg[-1], rng))
        elif name == "BRANCH":
            out.append(_sample(rng.choice(arg[1]), rng))
        elif name in ("IN", "ANY", "NOT_LITERAL"):
            out.append(_char(name, arg, rng))
    return "".join(out)


def _char(name: str, arg: Any, rng: random.Random) -> str:
    if name != "IN":
        return rng.choice([c for c in _ALPHABET if name == "ANY" or ord(c) != arg])
    chars: list[str] = []
    negate = False
    for op, value in arg:
        kind = str(op)
        if kind == "NEGATE":
            negate = True
        elif kind == "LITERAL":
            chars.append(chr(value))
        elif kind == "RANGE":
            chars.extend(chr(c) for c in range(value[0], value[1] + 1))
        elif kind == "CATEGORY":
            chars.extend("0123456789" if "DIGIT" in str(value) else _ALPHABET)
    if negate:
        chars = [c for c in _ALPHABET if c not in chars]
    return rng.choice(chars or list(_ALPHABET))
