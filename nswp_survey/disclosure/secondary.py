"""Secondary suppression: which other cells to hide so that no primary cell can be recovered.

The method is Fischetti & Salazar's for the cell suppression problem (Management Science
47(7), 2001), as its LP heuristic: for each primary cell and each value the attacker must
still find possible (`primary.targets`), a protection LP looks for the cheapest
perturbation z of the true table that moves the cell there and keeps every relation (M z = 0,
the inequalities) and every hidden cell within what its label says; each cell that z moves
is hidden. v + z is then a table the attacker cannot rule out, and hiding more later only
adds such tables, so the union protects every primary at once. Cells already hidden cost
(almost) nothing, so later perturbations reuse them, and a table found earlier that already
reaches a target spares its LP. The solution is forced to integers (a MILP when the LP's is
fractional), so that v + z is a table of counts: an attacker reasoning in integers cannot
rule it out either.

One addition to the method: a "<3" label is itself information (the count is at least 1),
and labels alone can pin a cell (a "<3" total of two "<3" parts is 2, whatever is hidden).
So a perturbation may also take a "<3" cell down to 0, at RELABEL_COST; that cell is then
shown "x" instead (`Plan.as_x`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import LinearConstraint
from scipy.sparse import csr_array

from nswp_survey.disclosure.lp import is_integral, label_bounds, make_system, solve
from nswp_survey.disclosure.model import Cell, Key, Problem, key_name
from nswp_survey.disclosure.primary import (
    TOLERANCE,
    is_primary,
    is_sensitive,
    label_of,
    targets,
)
from nswp_survey.errors import DisclosureError

Witness = tuple[tuple[Key, int], ...]  # a table of counts, as the cells where it differs

# Showing a small count as "x" rather than "<3" loses less than hiding a published count
# (whose cost is 1 + value, at least 4 for one that is not small), so it is preferred to that,
# but not to reusing cells already hidden.
RELABEL_COST = 2.0
# A perturbation found near its cell that costs more than this is sought among all cells too.
CHEAP = 10.0 * RELABEL_COST


@dataclass(frozen=True)
class Plan:
    """The cells to hide: the primary ones (shown "<floor", or "x" when in `as_x` or not
    small) and the secondary ones (shown "x")."""

    hidden: frozenset[Key]
    primary: frozenset[Key]
    secondary: frozenset[Key]
    as_x: frozenset[Key] = frozenset()
    seconds: float = field(default=0.0, compare=False)
    # The tables `protect` found, each as the cells it changes: certificates that `audit`
    # checks for itself (a table it cannot rule out) and so need not search for.
    witnesses: tuple[Witness, ...] = field(default=(), compare=False, repr=False)

    def label(self, cell: Cell) -> str | None:
        """What to publish instead of the cell's value; None: publish the value."""
        if cell.key not in self.hidden:
            return None
        return label_of(cell, cell.key in self.as_x).text


def protect(problem: Problem) -> Plan:
    """Choose the cells to hide so that every primary cell is protected, component by
    component; the result depends on the cells and relations only, not on their order.

    Raises DisclosureError when a primary cell cannot be protected at all (its relations
    and known bounds leave it no other value, whatever is hidden).
    """
    start = time.perf_counter()
    primary = frozenset(cell.key for cell in problem.cells if is_primary(cell))
    secondary: set[Key] = set()
    as_x: set[Key] = set()
    witnesses: list[Witness] = []
    for component in problem.components():
        if any(is_primary(cell) for cell in component.cells):
            protection = _Protection(component)
            hidden, relabelled = protection.run()
            secondary |= hidden - primary
            as_x |= relabelled
            witnesses += protection.witnesses()
    return Plan(
        primary | secondary,
        primary,
        frozenset(secondary),
        frozenset(as_x),
        time.perf_counter() - start,
        tuple(witnesses),
    )


class _Protection:
    """One component's protection LPs, sharing its matrices and the cells hidden so far.

    The LP's variables are the ways a cell can move ("columns"): up, down, `drop`, the
    step of a "<3" cell from 1 to 0, and `lift`, past its label; either makes it an "x"
    (`drop` marks both kinds of column); z sums them per cell. A cell with
    no room in a direction (a "<3" 2 cannot go up) has no column for it.
    """

    def __init__(self, problem: Problem) -> None:
        self.system = make_system(problem)
        cells = self.system.cells
        self.n = len(cells)
        self.hidden = np.array([is_primary(cell) for cell in cells])
        self.sensitive = np.array([is_sensitive(cell) for cell in cells])
        self.small = self.sensitive.copy()  # shown "<floor" (not yet made "x")
        self.as_small = label_bounds(cells, ())
        self.as_x = label_bounds(cells, {cell.key for cell in cells})
        self.weight = np.array([cell.weight for cell in cells])
        # tables v + z found so far (the attacker's to rule out), as the cells each moves,
        # and the lowest and highest value any of them gives each cell
        self.found: list[tuple[np.ndarray, np.ndarray]] = []
        self.reached = (self.system.values.copy(), self.system.values.copy())
        self.touches = csr_array(abs(self.system.relations) > 0, dtype=float)
        self.near = csr_array(self.touches.T @ self.touches)  # cells sharing a relation
        self._columns()

    def _columns(self) -> None:
        """(Re)build the columns and the constraint; rooms change when a cell turns "x"."""
        values = self.system.values
        lower = np.where(self.small, self.as_small[0], self.as_x[0])
        upper = np.where(self.small, self.as_small[1], self.as_x[1])
        up, down, drop = (np.flatnonzero(m) for m in (upper > values, values > lower, self.small))
        # `lift`: a "<3" cell taken past its label (2 to 3 and more), which makes it an "x"
        # too; without it, two "<3" cells under a published total could only be protected
        # by hiding the total
        lift = np.flatnonzero(self.small & (self.as_x[1] > self.as_small[1]))
        self.cell = np.concatenate([up, down, drop, lift])
        self.sign = np.concatenate(
            [np.ones(len(up)), -np.ones(len(down) + len(drop)), np.ones(len(lift))]
        )
        self.room = np.concatenate(
            [
                (upper - values)[up],
                (values - lower)[down],
                np.ones(len(drop)),
                self.as_x[1][lift] - self.as_small[1][lift],
            ]
        )
        self.drop = np.arange(len(self.cell)) >= len(up) + len(down)
        relations = self.system.relations
        self.matrix = csr_array(relations[:, self.cell] * self.sign)
        shift = relations @ values
        self.row_low, self.row_high = self.system.low - shift, self.system.high - shift

    def run(self) -> tuple[set[Key], set[Key]]:
        """The keys hidden and the sensitive keys shown "x"."""
        cells = self.system.cells
        needs = [
            (i, need) for i, cell in enumerate(cells) if self.hidden[i] for need in targets(cell)
        ]
        # the largest shifts first (their perturbations are the widest), then by key
        needs.sort(key=lambda item: (-abs(item[1][0] - cells[item[0]].value), cells[item[0]].key))
        for i, need in needs:
            if not self._reached(i, need):
                self._protect(i, need)
        keys = [cell.key for cell in cells]
        hidden = {key for key, hide in zip(keys, self.hidden, strict=True) if hide}
        relabelled = self.sensitive & ~self.small
        return hidden, {key for key, flag in zip(keys, relabelled, strict=True) if flag}

    def witnesses(self) -> list[Witness]:
        cells = self.system.cells
        return [
            tuple((cells[i].key, int(value)) for i, value in zip(moved, values, strict=True))
            for moved, values in self.found
        ]

    def _reached(self, i: int, need: tuple[int, ...]) -> bool:
        """Whether a table found so far already has cell i at one of the values it needs."""
        true = self.system.values[i]
        low, high = self.reached[0][i], self.reached[1][i]
        return any(high >= goal - TOLERANCE if goal > true else low <= goal + TOLERANCE
                   for goal in need)  # fmt: skip

    def _protect(self, i: int, need: tuple[int, ...]) -> None:
        best: tuple[float, np.ndarray] | None = None
        for goal in need:
            found = self._perturb(i, goal - self.system.cells[i].value)
            if found is not None and (best is None or found[0] < best[0] - TOLERANCE):
                best = found
        if best is None:
            cell = self.system.cells[i]
            wanted = " or ".join(str(goal) for goal in need)
            raise DisclosureError(
                f"cell {key_name(cell.key)} cannot be protected: no table the relations and "
                f"known bounds allow has it at {wanted}, whatever else is hidden"
            )
        table = self.system.values + best[1]
        self.hidden |= np.abs(best[1]) > 0.5
        # a "<3" cell this table takes to 0, or past its label, is now "x"
        turned = self.small & ((table < 0.5) | (table > self.as_small[1] + 0.5))
        moved = np.flatnonzero(np.abs(best[1]) > 0.5)
        self.found.append((moved, table[moved]))
        np.minimum.at(self.reached[0], moved, table[moved])
        np.maximum.at(self.reached[1], moved, table[moved])
        if turned.any():
            self.small &= ~turned
            self._columns()

    def _perturb(self, i: int, shift: int) -> tuple[float, np.ndarray] | None:
        """The cheapest integer z with z_i = shift that the relations and labels allow, and
        what it costs: the cells it hides, and the "<3" cells it makes "x".

        Sought first among the cells two relations away from cell i (perturbations are
        short cycles: on survey-shaped tables that finds the full LP's cost, in a small LP),
        then, when that finds nothing or costs more than CHEAP, among all cells (a small
        count is often protected more cheaply through the cells of another hidden country
        than through its region's total). The near search leaves out the hidden cells
        further away: with most cells of a year hidden (small countries), including them
        made every LP as large as the whole component, and 3.5 times slower in all.
        """
        ball = self.near[[i]].indices
        ball = np.union1d(ball, self.near[ball].indices)
        found = self._perturb_within(i, shift, ball)
        if len(ball) < self.n and (found is None or found[0] > CHEAP):
            wider = self._perturb_within(i, shift, np.arange(self.n))
            if wider is not None and (found is None or wider[0] < found[0] - TOLERANCE):
                found = wider
        return found

    def _perturb_within(
        self, i: int, shift: int, near: np.ndarray
    ) -> tuple[float, np.ndarray] | None:
        n = self.n
        columns = np.flatnonzero(np.isin(self.cell, near))
        rows = np.flatnonzero(self.touches[:, near].sum(axis=1))
        cell, sign = self.cell[columns], self.sign[columns]
        # hidden cells cost a little, not nothing: among equally cheap plans, the one that
        # moves fewer cells (a table nearer the truth) wins
        cost = np.where(self.hidden, 1.0 / (10.0 * n), self.weight)[cell]
        cost[self.drop[columns]] = RELABEL_COST
        low, high = np.zeros(len(cell)), self.room[columns]
        left = float(abs(shift))
        for column in np.flatnonzero(cell == i):  # up, then down, then drop: in that order
            step = min(high[column], left) if sign[column] * shift > 0 else 0.0
            low[column] = high[column] = step
            left -= step
        if left > TOLERANCE:
            return None
        matrix = self.matrix[rows][:, columns]
        constraint = LinearConstraint(matrix, self.row_low[rows], self.row_high[rows])
        x = solve(cost, low, high, constraint, presolve=False)
        if x is not None and not is_integral(x):
            x = solve(cost, low, high, constraint, np.ones(len(cost)))
        if x is None:
            return None
        z = np.round(np.bincount(cell, weights=sign * x, minlength=n))
        moved = (np.abs(z) > 0.5) & ~self.hidden
        relabelled = self.small & (self.system.values + z < 0.5)
        return float(self.weight[moved].sum() + RELABEL_COST * relabelled.sum()), z
