"""The attacker's audit: what every published table together tells about each hidden cell.

The attacker reads every published value, every relation, and each hidden cell's label
("<3": 1 or 2; "x": anything from 0 to its known upper bound), and reasons in integers.
For each hidden cell the audit finds the smallest and largest count that some table of
counts consistent with all of that gives it.

Witnesses: any table of counts the attacker cannot rule out shows its values possible. The
tables `protect` found come with its plan; the audit checks each one itself (hidden cells
only, within their labels, every relation exact) and ignores any that fail, so it trusts
nothing of how the plan was made. A bound is done once a witness reaches its label's limit.

The rest is sought by LPs, whose tables (counts relaxed to reals) are a superset of the
attacker's. When the LP's optimal table is one of integers it is the attacker's optimum too.
Otherwise, for a protected cell whose requirement no witness shows met yet (its bounds
decide the audit), the integer bound is found exactly: the table of integers nearest the
truth at the LP's bound, or failing that a MILP. An LP bound alone over-approximates what
the attacker learns: narrower than required proves a leak, wide enough proves nothing. For
every other cell, the LP's bound rounded inwards is reported (never narrower than the
attacker's). Independent groups of hidden cells are stacked into one LP per round.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import LinearConstraint
from scipy.sparse import csc_array, csr_array, hstack
from scipy.sparse.csgraph import connected_components

from nswp_survey.disclosure.lp import (
    INTEGER,
    System,
    is_integral,
    label_bounds,
    make_system,
    solve,
)
from nswp_survey.disclosure.model import Key, Problem, key_name
from nswp_survey.disclosure.primary import (
    TOLERANCE,
    Requirement,
    is_primary,
    is_protected,
    label_of,
    requirement,
)
from nswp_survey.disclosure.secondary import Plan, Witness
from nswp_survey.errors import DisclosureError


@dataclass(frozen=True)
class CellAudit:
    """One hidden cell (or a primary cell left published) as the attacker sees it."""

    key: Key
    value: int
    label: str  # "<3" or "x"; "" for a primary cell that was published
    lower: float
    upper: float  # math.inf when the tables do not bound it
    required: Requirement | None  # None: a secondary cell, nothing to protect
    ok: bool

    def describe(self) -> str:
        bounds = f"{self.lower:g}..{self.upper:g}"
        if self.required is None:
            return f"{key_name(self.key)} = {self.value}: the tables allow {bounds}"
        low, high = self.required.contain
        need = f"{low}..{high}" + (", not one value" if self.required.spread else "")
        return (
            f"{key_name(self.key)} = {self.value} (shown {self.label or 'as is'}): "
            f"the tables allow {'' if self.ok else 'only '}{bounds}, it needs {need}"
        )


@dataclass(frozen=True)
class AuditReport:
    """The audit of one plan: `ok` when no primary cell is recovered beyond its label."""

    ok: bool
    cells: tuple[CellAudit, ...]
    published: int
    primary: int
    secondary: int
    seconds: float

    @property
    def leaks(self) -> tuple[CellAudit, ...]:
        return tuple(cell for cell in self.cells if not cell.ok)

    def require_safe(self) -> None:
        """Raise DisclosureError naming the first recovered cell, if any."""
        if self.leaks:
            more = f" (and {len(self.leaks) - 1} more)" if len(self.leaks) > 1 else ""
            raise DisclosureError(
                f"the published tables give away {self.leaks[0].describe()}{more}"
            )


def audit(problem: Problem, hidden: Plan | Iterable[Key]) -> AuditReport:
    """Attack the tables that hiding `hidden` would publish; report every hidden cell."""
    start = time.perf_counter()
    keys = hidden.hidden if isinstance(hidden, Plan) else frozenset(hidden)
    as_x = hidden.as_x if isinstance(hidden, Plan) else frozenset()
    unknown = sorted((keys | as_x) - problem.index.keys())
    if unknown:
        raise DisclosureError(f"the plan hides {key_name(unknown[0])}, which is not a cell")
    system = make_system(problem)
    mask = np.array([cell.key in keys for cell in system.cells], dtype=bool)
    required = [requirement(cell) for cell, hide in zip(system.cells, mask, strict=True) if hide]
    lower: list[float] = []
    upper: list[float] = []
    if mask.any():
        attacker = _Attacker(system, mask, as_x, required)
        if isinstance(hidden, Plan):
            attacker.certify(hidden.witnesses)
        lower, upper = attacker.bounds()
    results: list[CellAudit] = []
    at = iter(zip(lower, upper, strict=True))
    for cell, hide in zip(system.cells, mask, strict=True):
        required = requirement(cell)
        if hide:
            low, high = next(at)
            ok = required is None or is_protected(required, low, high)
            label = label_of(cell, cell.key in as_x).text
            results.append(CellAudit(cell.key, cell.value, label, low, high, required, ok))
        elif required is not None:
            value = float(cell.value)
            results.append(CellAudit(cell.key, cell.value, "", value, value, required, False))
    primaries = sum(1 for cell in system.cells if cell.key in keys and is_primary(cell))
    return AuditReport(
        ok=all(cell.ok for cell in results),
        cells=tuple(results),
        published=int((~mask).sum()),
        primary=primaries,
        secondary=int(mask.sum()) - primaries,
        seconds=time.perf_counter() - start,
    )


# (hidden cell, +1 minimise / -1 maximise, the furthest any table may reach: the label's
# bound at first, the LP's once known); a task is done once a witness reaches that far
Task = tuple[int, float, float]


class _Attacker:
    """Bounds of every hidden cell, the published ones fixed: exact integer bounds for the
    protected cells (those with a requirement) until witnesses show the requirement met,
    and otherwise the LP's when its table is not one of integers (rounded inwards: still
    never narrower than the attacker's)."""

    def __init__(
        self,
        system: System,
        mask: np.ndarray,
        as_x: frozenset[Key],
        required: list[Requirement | None],
    ) -> None:
        self.matrix, self.low, self.high = system.restricted(mask)
        cells = [cell for cell, hide in zip(system.cells, mask, strict=True) if hide]
        # Bounds no table reaches stand for "unbounded"; any table the attacker finds up
        # there means the true range is at least as wide, so capping never hides a leak.
        self.cap = 10.0 + 2.0 * float(system.values.sum())
        self.lower, self.upper = label_bounds(cells, as_x, self.cap)
        self.truth = system.values[mask]
        self.seen_low, self.seen_high = self.truth.copy(), self.truth.copy()
        self.outer_low, self.outer_high = self.truth.copy(), self.truth.copy()
        self.required = required
        self.column = {cell.key: i for i, cell in enumerate(cells)}
        n = len(cells)
        linked = self.matrix.T @ self.matrix if self.matrix.shape[0] else csr_array((n, n))
        _, self.block = connected_components(linked, directed=False)
        self.row_block = self.block[self.matrix.indices[self.matrix.indptr[:-1]]]

    def certify(self, witnesses: Iterable[Witness]) -> None:
        """Take each table offered that the attacker cannot rule out as a witness: it
        changes hidden cells only, keeps them within their labels, and keeps every relation
        (exactly: counts are integers). Any other table offered is ignored."""
        by_column = csc_array(self.matrix)
        base = self.matrix @ self.truth
        for witness in witnesses:
            if not all(key in self.column for key, _ in witness):
                continue  # it changes a published cell
            cols = np.array([self.column[key] for key, _ in witness], dtype=int)
            table = np.array([value for _, value in witness], dtype=float)
            if np.any(table < self.lower[cols]) or np.any(table > self.upper[cols]):
                continue
            moved = base + by_column[:, cols] @ (table - self.truth[cols])
            if np.all(moved >= self.low - TOLERANCE) and np.all(moved <= self.high + TOLERANCE):
                self._witness(cols, table)

    def bounds(self) -> tuple[list[float], list[float]]:
        # a cell in no relation with another hidden cell: its label is all there is
        alone = np.isin(np.arange(len(self.block)), self.matrix.indices, invert=True)
        self.seen_low[alone], self.seen_high[alone] = self.lower[alone], self.upper[alone]
        tasks = [
            task
            for var in np.argsort(self.block, kind="stable")
            for task in ((int(var), -1.0, self.upper[var]), (int(var), 1.0, self.lower[var]))
        ]
        hard = self._in_rounds(self._optimise, tasks)
        for task in self._in_rounds(self._nearest, hard):
            if not self._done(task) and self._undecided(task[0]):
                self._exact(task)
            elif not self._done(task):
                self._outer(task)
        low = np.minimum(self.seen_low, self.outer_low)
        high = np.maximum(self.seen_high, self.outer_high)
        high = np.where(high >= self.cap - 0.5, math.inf, high)
        return [float(v) for v in low], [float(v) for v in high]

    def _undecided(self, var: int) -> bool:
        """A protected cell whose requirement no witness shows met yet: its bounds must be
        exact, as they decide the audit."""
        required = self.required[var]
        return required is not None and not is_protected(
            required, self.seen_low[var], self.seen_high[var]
        )

    def _outer(self, task: Task) -> None:
        """Keep the LP's bound (rounded inwards) for a cell whose bounds decide nothing."""
        var, sense, bound = task
        if sense > 0:
            self.outer_low[var] = min(self.outer_low[var], bound)
        else:
            self.outer_high[var] = max(self.outer_high[var], bound)

    def _done(self, task: Task) -> bool:
        var, sense, bound = task
        if sense > 0:  # minimise
            return bool(self.seen_low[var] <= bound + TOLERANCE)
        return bool(self.seen_high[var] >= bound - TOLERANCE)

    def _in_rounds(
        self, step: Callable[[dict[int, Task]], list[Task]], tasks: list[Task]
    ) -> list[Task]:
        """Run `step` on one task per group of linked cells at a time (the groups are
        independent, so one stacked LP solves them all); returns what the steps left."""
        queues: dict[int, list[Task]] = {}
        for task in tasks:
            queues.setdefault(int(self.block[task[0]]), []).append(task)
        left: list[Task] = []
        while True:
            chosen: dict[int, Task] = {}
            for block, queue in queues.items():
                while queue and self._done(queue[0]):
                    queue.pop(0)
                if queue:
                    chosen[block] = queue.pop(0)
            if not chosen:
                return left
            queues = {block: queue for block, queue in queues.items() if queue}
            left += step(chosen)

    def _select(self, blocks: Iterable[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The columns and rows of some groups, and where each column went."""
        wanted = np.array(sorted(blocks))
        cols = np.flatnonzero(np.isin(self.block, wanted))
        rows = np.flatnonzero(np.isin(self.row_block, wanted))
        where = np.full(len(self.block), -1)
        where[cols] = np.arange(len(cols))
        return cols, rows, where

    def _integral_blocks(self, cols: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Per group (indexed by group), whether x is integral on all of its columns."""
        off = np.abs(x - np.round(x)) > TOLERANCE
        return np.bincount(self.block[cols], weights=off, minlength=len(self.block)) == 0

    def _optimise(self, chosen: dict[int, Task]) -> list[Task]:
        """One stacked LP, each group's chosen cell at its max or min. Returns the tasks
        whose table was fractional and whose cell's requirement the witnesses do not yet
        show met, with the LP's bound rounded inwards, for an exact bound."""
        cols, rows, where = self._select(chosen)
        cost = np.zeros(len(cols))
        for var, sense, _ in chosen.values():
            cost[where[var]] = sense
        constraint = LinearConstraint(self.matrix[rows][:, cols], self.low[rows], self.high[rows])
        x = solve(cost, self.lower[cols], self.upper[cols], constraint, presolve=False)
        if x is None:
            raise DisclosureError("the audit found no table at all: the model is inconsistent")
        integral = self._integral_blocks(cols, x)
        good = integral[self.block[cols]]
        self._witness(cols[good], x[good])
        hard: list[Task] = []
        for block, (var, sense, _) in chosen.items():
            if integral[block]:
                continue
            value = x[where[var]]
            bound = math.ceil(value - TOLERANCE) if sense > 0 else math.floor(value + TOLERANCE)
            if self._undecided(var):
                hard.append((var, sense, bound))
            else:
                self._outer((var, sense, bound))
        return hard

    def _nearest(self, chosen: dict[int, Task]) -> list[Task]:
        """One stacked LP: per group, the table nearest the truth with the chosen cell at
        its bound (y = truth + up - down, least |up| + |down|; such LPs are nearly always
        integral here). Returns the tasks whose table was still fractional."""
        cols, rows, where = self._select(chosen)
        n, truth = len(cols), self.truth[cols]
        matrix = self.matrix[rows][:, cols]
        shift = matrix @ truth
        both = csr_array(hstack([matrix, -matrix], format="csr"))
        constraint = LinearConstraint(both, self.low[rows] - shift, self.high[rows] - shift)
        low = np.zeros(2 * n)
        high = np.concatenate([self.upper[cols] - truth, truth - self.lower[cols]])
        for var, _, bound in chosen.values():
            step = bound - self.truth[var]
            at = where[var]
            low[at] = high[at] = max(step, 0.0)
            low[n + at] = high[n + at] = max(-step, 0.0)
        x = solve(np.ones(2 * n), low, high, constraint, presolve=False)
        if x is None:
            return list(chosen.values())
        table = truth + x[:n] - x[n:]
        integral = self._integral_blocks(cols, table)
        good = integral[self.block[cols]]
        self._witness(cols[good], table[good])
        return [task for block, task in chosen.items() if not integral[block]]

    def _exact(self, task: Task) -> None:
        """The integer bound of one undecided cell, by a MILP over its group."""
        var, sense, _ = task
        cols, rows, _ = self._select([int(self.block[var])])
        cost = np.where(cols == var, sense, 0.0)
        constraint = LinearConstraint(self.matrix[rows][:, cols], self.low[rows], self.high[rows])
        integrality = np.full(len(cols), INTEGER)
        x = solve(cost, self.lower[cols], self.upper[cols], constraint, integrality)
        if x is None or not is_integral(x):
            raise DisclosureError("the audit found no table of counts: the model is inconsistent")
        self._witness(cols, x)

    def _witness(self, cols: np.ndarray, x: np.ndarray) -> None:
        """A table of counts the attacker cannot rule out: its values are possible."""
        x = np.round(x)
        self.seen_low[cols] = np.minimum(self.seen_low[cols], x)
        self.seen_high[cols] = np.maximum(self.seen_high[cols], x)
