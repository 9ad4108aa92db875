"""Flatten a Kobo submission's JSON into long-form answers and repeat instances (pure).

Kobo sends group fields as full slash paths (`grp/q`) and a repeat as a key holding a list of
objects whose keys are full paths too; nested repeats nest the same way (kpi-api.md §5):

    {"kids/kids_details": [{"kids/kids_details/kids_name": "Abel",
                            "kids/kids_details/kids_immunization": [{"...": "Polio"}]}]}

Kobo's own properties are not answers: top-level keys starting with `_` (`_id`, `_uuid`,
`_attachments`, `_geolocation`, `__version__`, ...), `formhub/uuid` and `meta/...`.
Values that are not strings (numbers or lists from JSON-submitted data) are kept as JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

META_KEYS = frozenset({"formhub/uuid", "meta"})


class RepeatNode(NamedTuple):
    """One repeat instance: `parent` is the index of its parent node in the same list."""

    path: str
    position: int
    parent: int | None
    depth: int


class FlatAnswer(NamedTuple):
    """One answer; `node` is the index of its repeat instance, None at the top level."""

    node: int | None
    path: str
    value: str | None


def is_meta_key(key: str) -> bool:
    """True for Kobo's own top-level properties, which are not answers."""
    return key.startswith("_") or key in META_KEYS or key.startswith("meta/")


def is_repeat(value: Any) -> bool:
    """A repeat is a non-empty list whose items are all JSON objects."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def value_text(value: Any) -> str | None:
    """A stored answer value: strings as they are, None as NULL, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def flatten_submission(raw: Mapping[str, Any]) -> tuple[list[RepeatNode], list[FlatAnswer]]:
    """Repeat instances (parents always before their children) and answers of one submission.

    Runs for every one of 100,000s of submissions in a sync, hence the plain loops.

    Example:
        >>> nodes, answers = flatten_submission({"_id": 1, "a": "x", "r": [{"r/b": "1"}]})
        >>> nodes
        [RepeatNode(path='r', position=0, parent=None, depth=0)]
        >>> [tuple(a) for a in answers]
        [(None, 'a', 'x'), (0, 'r/b', '1')]
    """
    nodes: list[RepeatNode] = []
    answers: list[FlatAnswer] = []
    top = [(k, v) for k, v in raw.items() if not is_meta_key(k)]
    _walk(top, None, 0, nodes, answers)
    return nodes, answers


def _walk(
    items: Iterable[tuple[str, Any]],
    node: int | None,
    depth: int,
    nodes: list[RepeatNode],
    answers: list[FlatAnswer],
) -> None:
    for key, value in items:
        if value.__class__ is str:
            answers.append(FlatAnswer(node, key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for position, item in enumerate(value):
                nodes.append(RepeatNode(key, position, node, depth))
                _walk(item.items(), len(nodes) - 1, depth + 1, nodes, answers)
        elif value != []:
            answers.append(FlatAnswer(node, key, value_text(value)))
