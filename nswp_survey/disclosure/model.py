"""The disclosure problem: counts, the relations between them, and its independent parts.

A cell is one published quantity, named by a `key` that is the same in every table that
shows it (the regional pack and the global pack share the key of a region's total), so the
attacker's view of all packs together is one system of linear relations over the keys.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field

from nswp_survey.errors import DisclosureError

Key = tuple[str, ...]
# NSWP's packs show 1 and 2 as "<3".
DEFAULT_FLOOR = 3


def key_name(key: Key) -> str:
    """A key as one readable word for messages: ('VIO-01', 'n', 'africa') -> VIO-01/n/africa."""
    return "/".join(key)


@dataclass(frozen=True)
class Cell:
    """One count as the tables publish it.

    `floor`: 0 < value < floor is sensitive and shown as "<floor" (0 or 1: no such rule).
    `upper`: a bound the attacker knows anyway (the members in a country); None = none.
    `cost`: what losing this cell costs; None = 1 + value, so small cells go first.
    `attribute`: the caller found attribute disclosure (everyone or no one of a small group
    answered so): the cell is protected too, and the attacker must not pin it to one value.
    """

    key: Key
    value: int
    floor: int = DEFAULT_FLOOR
    upper: int | None = None
    cost: float | None = None
    attribute: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.key, tuple) and self.key) or not all(
            isinstance(part, str) for part in self.key
        ):
            raise DisclosureError(f"cell key {self.key!r} must be a non-empty tuple of strings")
        name = key_name(self.key)
        for label in ("value", "floor", "upper"):
            number = getattr(self, label)
            if number is not None or label != "upper":
                object.__setattr__(self, label, _count(number, f"cell {name}: {label}"))
        if self.floor == 2:
            # "<2" can only mean 1: the label itself would disclose the cell.
            raise DisclosureError(f"cell {name}: a floor of 2 shows 1 as '<2'; use 0 or >= 3")
        if self.upper is not None and not self.value <= self.upper:
            raise DisclosureError(f"cell {name}: value {self.value} is above its upper bound")
        if self.cost is not None and not self.cost > 0:
            raise DisclosureError(f"cell {name}: cost {self.cost!r} must be > 0")

    @property
    def weight(self) -> float:
        """The cost of hiding this cell when it is not sensitive itself."""
        return 1.0 + self.value if self.cost is None else float(self.cost)


def _count(number: object, what: str) -> int:
    """A count as a Python int (numpy's integers included, as pandas hands them over)."""
    try:
        if isinstance(number, bool):
            raise TypeError
        count = operator.index(number)  # type: ignore[arg-type]
    except TypeError:
        count = -1
    if count < 0:
        raise DisclosureError(f"{what} {number!r} is not a count >= 0")
    return count


@dataclass(frozen=True)
class Relation:
    """`total == sum(parts)`, as a table with a total row or column publishes it.

    The parts are kept sorted, so the same total published by two tables is one relation.
    """

    total: Key
    parts: tuple[Key, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(sorted(self.parts)))
        name = key_name(self.total)
        if not self.parts:
            raise DisclosureError(f"the total {name} has no parts")
        if len(set(self.parts)) != len(self.parts) or self.total in self.parts:
            raise DisclosureError(f"the total {name} repeats a key among its parts")

    @property
    def keys(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


Inequality = tuple[Key, Key]  # (a, b): a <= b, as a numerator never exceeds its n


@dataclass(frozen=True)
class Problem:
    """Cells and every relation an attacker can read from the published tables.

    The same key may come once per table that shows it: identical copies are merged, copies
    that differ are an error. Every relation must hold on the true values: one that does not
    means the tables were modelled wrongly, and nothing proven on that model would hold.
    """

    cells: tuple[Cell, ...]
    equalities: tuple[Relation, ...] = ()
    inequalities: tuple[Inequality, ...] = ()
    index: dict[Key, Cell] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[Key, Cell] = {}
        for cell in self.cells:
            seen = index.setdefault(cell.key, cell)
            if seen != cell:
                raise DisclosureError(f"cell {key_name(cell.key)} is given twice, differently")
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "cells", tuple(index.values()))
        object.__setattr__(self, "equalities", tuple(dict.fromkeys(self.equalities)))
        pairs = (tuple(pair) for pair in self.inequalities)
        object.__setattr__(self, "inequalities", tuple(dict.fromkeys(pairs)))
        for relation in self.equalities:
            self._check_keys(relation.keys, f"the total {key_name(relation.total)}")
            parts = sum(index[key].value for key in relation.parts)
            if index[relation.total].value != parts:
                raise DisclosureError(
                    f"the total {key_name(relation.total)} is {index[relation.total].value} "
                    f"but its {len(relation.parts)} parts sum to {parts}: the tables are "
                    "modelled wrongly"
                )
        for pair in self.inequalities:
            if len(pair) != 2:
                raise DisclosureError(f"inequality {pair!r} must be a pair of keys (a, b)")
            small, large = pair
            self._check_keys(pair, f"the inequality {key_name(small)} <= {key_name(large)}")
            if index[small].value > index[large].value:
                raise DisclosureError(
                    f"the inequality {key_name(small)} <= {key_name(large)} does not hold "
                    f"({index[small].value} > {index[large].value}): the tables are "
                    "modelled wrongly"
                )

    def _check_keys(self, keys: Iterable[Key], what: str) -> None:
        for key in keys:
            if key not in self.index:
                raise DisclosureError(f"{what} names {key_name(key)}, which is not a cell")

    def components(self) -> tuple[Problem, ...]:
        """The independent parts: cells linked by relations, each with its own relations.

        Ordered by their smallest key, cells by key, so the result never depends on the
        order the caller listed things in.
        """
        parent = {key: key for key in self.index}

        def root(key: Key) -> Key:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        links = [relation.keys for relation in self.equalities] + list(self.inequalities)
        for keys in links:
            first = root(keys[0])
            for key in keys[1:]:
                parent[root(key)] = first
        groups: dict[Key, list[Cell]] = {}
        for key in sorted(self.index):
            groups.setdefault(root(key), []).append(self.index[key])
        equalities: dict[Key, list[Relation]] = {}
        for relation in self.equalities:
            equalities.setdefault(root(relation.total), []).append(relation)
        inequalities: dict[Key, list[Inequality]] = {}
        for pair in self.inequalities:
            inequalities.setdefault(root(pair[0]), []).append(pair)
        return tuple(
            Problem(tuple(cells), tuple(equalities.get(top, ())), tuple(inequalities.get(top, ())))
            for top, cells in groups.items()
        )
