"""Primary suppression: which cells are protected, what their labels tell, what protects them.

Two labels stand in for a hidden cell:
- "<floor": a sensitive cell; the attacker knows the value is in [1, floor - 1];
- "x": any other hidden cell, and a sensitive cell whose "<floor" would give a total away
  (parts all "<3" tell that their "<3" total is at least their number); the attacker knows
  only 0 <= value <= upper. The packs' legend must say so ("x: hidden, any count"): were it
  to promise that an "x" is 0 or at least the floor, `a + b = 4` with a "<3" and b "x"
  would leave b = 3 only, so a = 1, and this model would not see it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nswp_survey.disclosure.model import Cell, key_name
from nswp_survey.errors import DisclosureError

TOLERANCE = 1e-6  # LP solutions are floats; counts differ by at least 1


def is_sensitive(cell: Cell) -> bool:
    """The primary rule: a count too small to publish (0 < value < floor)."""
    return 0 < cell.value < cell.floor


def is_primary(cell: Cell) -> bool:
    """Hidden whatever the tables around it: sensitive, or marked for attribute disclosure."""
    return is_sensitive(cell) or cell.attribute


@dataclass(frozen=True)
class Label:
    """What the attacker knows of a hidden cell from its label alone: [lower, upper]."""

    text: str
    lower: int
    upper: float  # math.inf when nothing bounds the cell


def label_of(cell: Cell, as_x: bool = False) -> Label:
    """The label a hidden cell is published with (`as_x`: "x" even if it is sensitive),
    and so what it tells the attacker."""
    upper = math.inf if cell.upper is None else cell.upper
    if is_sensitive(cell) and not as_x:
        return Label(f"<{cell.floor}", 1, min(cell.floor - 1, upper))
    return Label("x", 0, upper)


@dataclass(frozen=True)
class Requirement:
    """The attacker's interval for the cell must contain `contain`, and be at least
    `spread` wide (1: never a single value)."""

    contain: tuple[int, int]
    spread: int


def requirement(cell: Cell) -> Requirement | None:
    """What protects a primary cell (None for any other): the tables may tell no more than
    the label "<floor" already does; an attribute cell must not be pinned to one value.

    This is the one place the protection rule is decided; `protect` and `audit` both ask it.
    """
    if is_sensitive(cell):
        label = label_of(cell)
        return Requirement((label.lower, int(label.upper)), 1 if cell.attribute else 0)
    if cell.attribute:
        return Requirement((cell.value, cell.value), 1)
    return None


def is_protected(required: Requirement, lower: float, upper: float) -> bool:
    """True when an attacker who narrows the cell to [lower, upper] and no further learns
    no more than `required` allows."""
    low, high = required.contain
    return (
        lower <= low + TOLERANCE
        and upper >= high - TOLERANCE
        and upper - lower >= required.spread - TOLERANCE
    )


def targets(cell: Cell) -> tuple[tuple[int, ...], ...]:
    """The values the attacker must find possible for the cell to be protected: each group
    is one need, met by any one of its values.

    Example: a "<3" cell of 1 needs 2 to stay possible: ((2,),); an attribute cell of 3 in
    a group of 5 needs 4 or 2: ((4, 2),) read as "one of".
    """
    required = requirement(cell)
    if required is None:
        return ()
    value, (low, high) = cell.value, required.contain
    needs = [(point,) for point in (high, low) if point != value]
    if high - low < required.spread:
        # one value more or less, even if only an "x" label allows it
        upper = math.inf if cell.upper is None else cell.upper
        either = tuple(v for v in (value + 1, value - 1) if 0 <= v <= upper)
        if not either:
            raise DisclosureError(
                f"cell {key_name(cell.key)} cannot be protected: its known upper bound "
                "already pins it to one value"
            )
        needs.append(either)
    return tuple(needs)
