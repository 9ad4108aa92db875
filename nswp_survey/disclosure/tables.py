"""Cross-tables over hierarchies, as cells and the relations their totals publish.

A helper for callers that count things by region, country within region and category: it
lists every margin of a table (each total row and column at every level) once, with the
keys the same wherever the same count is published.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from nswp_survey.disclosure.model import DEFAULT_FLOOR, Cell, Key, Relation


@dataclass(frozen=True)
class Tree:
    """A total and what it sums: `Tree("global", (Tree("africa", (Tree("GHA"),)),))`."""

    name: str
    children: tuple[Tree, ...] = ()

    def nodes(self) -> Iterator[Tree]:
        yield self
        for child in self.children:
            yield from child.nodes()

    def leaves(self) -> Iterator[str]:
        for node in self.nodes():
            if not node.children:
                yield node.name


def cross_table(
    prefix: Key,
    rows: Tree,
    columns: Tree,
    counts: Mapping[tuple[str, str], int],
    floor: int = DEFAULT_FLOOR,
) -> tuple[list[Cell], list[Relation]]:
    """Every (row node, column node) count of a table whose leaves hold `counts` (missing
    leaves are 0), keyed `prefix + (row, column)`, and a relation for each total.

    Example: rows global > {africa, asia}, columns one category: the cells are
    (global, c), (africa, c), (asia, c) and one relation, (global, c) = (africa, c) + (asia, c).
    """
    row_leaves = {node.name: list(node.leaves()) for node in rows.nodes()}
    column_leaves = {node.name: list(node.leaves()) for node in columns.nodes()}
    cells = [
        Cell(
            (*prefix, row, column),
            sum(counts.get((r, c), 0) for r in row_leaves[row] for c in column_leaves[column]),
            floor,
        )
        for row in row_leaves
        for column in column_leaves
    ]
    relations = [
        Relation(
            (*prefix, node.name, column), tuple((*prefix, c.name, column) for c in node.children)
        )
        for node in rows.nodes()
        if node.children
        for column in column_leaves
    ]
    relations += [
        Relation((*prefix, row, node.name), tuple((*prefix, row, c.name) for c in node.children))
        for node in columns.nodes()
        if node.children
        for row in row_leaves
    ]
    return cells, relations
