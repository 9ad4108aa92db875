"""The linear programs both sides solve, built once per problem as sparse matrices.

Every program here goes through `scipy.optimize.milp` (HiGHS), also when no variable is
integer: it is an LP solve then, with less overhead per call than `linprog`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from nswp_survey.disclosure.model import Cell, Key, Problem
from nswp_survey.disclosure.primary import TOLERANCE, label_of
from nswp_survey.errors import DisclosureError

INTEGER = 1


@dataclass(frozen=True)
class System:
    """A problem's relations over its cells in key order: `relations @ y` lies within
    [`low`, `high`] (rows total - sum(parts) == 0, then a - b <= 0)."""

    cells: tuple[Cell, ...]
    values: np.ndarray
    relations: csr_array
    low: np.ndarray
    high: np.ndarray

    def restricted(self, hidden: np.ndarray) -> tuple[csr_array, np.ndarray, np.ndarray]:
        """The relations over the hidden cells alone, the published ones moved to the bounds;
        rows with no hidden cell left are dropped (they hold: the problem checked them)."""
        columns = self.relations[:, hidden]
        shift = self.relations[:, ~hidden] @ self.values[~hidden]
        keep = np.flatnonzero(np.diff(columns.indptr) > 0)
        return columns[keep], self.low[keep] - shift[keep], self.high[keep] - shift[keep]


def make_system(problem: Problem) -> System:
    cells = tuple(sorted(problem.cells, key=lambda cell: cell.key))
    column = {cell.key: i for i, cell in enumerate(cells)}
    rows: list[int] = []
    cols: list[int] = []
    coefficients: list[float] = []
    # relations in a canonical order too: the same problem listed in another order gives
    # the same LPs, so the same optimal tables
    equalities = sorted(problem.equalities, key=lambda relation: relation.keys)
    inequalities = sorted(problem.inequalities)
    for row, relation in enumerate(equalities):
        for key, sign in ((relation.total, 1.0), *((part, -1.0) for part in relation.parts)):
            rows.append(row)
            cols.append(column[key])
            coefficients.append(sign)
    first = len(equalities)
    for row, (small, large) in enumerate(inequalities, start=first):
        rows += [row, row]
        cols += [column[small], column[large]]
        coefficients += [1.0, -1.0]
    count = first + len(inequalities)
    relations = csr_array((coefficients, (rows, cols)), shape=(count, len(cells)))
    low = np.concatenate([np.zeros(first), np.full(len(inequalities), -np.inf)])
    values = np.array([cell.value for cell in cells], dtype=float)
    return System(cells, values, relations, low, np.zeros(count))


def label_bounds(
    cells: Sequence[Cell], as_x: Collection[Key], cap: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the lowest and highest value its label allows once hidden (`cap` when
    nothing bounds it); cells in `as_x` are shown "x" even if they are sensitive."""
    labels = [label_of(cell, cell.key in as_x) for cell in cells]
    lower = np.array([label.lower for label in labels], dtype=float)
    upper = np.array([min(label.upper, cap) for label in labels], dtype=float)
    return lower, upper


def is_integral(x: np.ndarray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) <= TOLERANCE))


def solve(
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    constraint: LinearConstraint | None,
    integrality: np.ndarray | None = None,
    *,
    presolve: bool = True,
) -> np.ndarray | None:
    """Minimise `cost @ x` within the bounds and the constraint; None when infeasible.

    `presolve=False` halves the time of the small LPs solved by the hundred here.
    """
    result = milp(
        cost,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        constraints=() if constraint is None else (constraint,),
        options={"presolve": presolve},
    )
    if result.status == 0:
        return np.asarray(result.x)
    if result.status == 2:
        return None
    raise DisclosureError(f"the disclosure solver stopped without an answer: {result.message}")
