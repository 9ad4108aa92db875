"""Random survey-shaped tables: after `protect`, no attacker recovers a protected cell.

Each case is a small world (regions of a few countries) counted by category, with the
categories' total and an n that the counts never exceed, all with small random counts. The
audit's bounds are checked against a plain MILP per cell, written here from the definition
(what integer tables agree with everything published), so the audit's shortcuts are
checked too.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from nswp_survey.disclosure import (
    Cell,
    CellAudit,
    Plan,
    Problem,
    Relation,
    audit,
    key_name,
    protect,
)
from nswp_survey.disclosure.primary import is_primary, is_protected, label_of
from nswp_survey.disclosure.tables import Tree, cross_table
from nswp_survey.errors import DisclosureError

CASES = 160


SMALL = ((0, 1, 1, 2, 2, 3, 4, 6), (0, 0, 1, 3, 5, 8, 12))


def world(rng: random.Random, values: tuple[int, ...] | None = None) -> Problem:
    """global > 2-3 regions > 1-4 countries, x 1-3 categories (+ their total), and n; the
    countries' counts drawn from `values` (by default, one of SMALL)."""
    regions = tuple(
        Tree(f"r{r}", tuple(Tree(f"r{r}c{c}") for c in range(rng.randint(1, 4))))
        for r in range(rng.randint(2, 3))
    )
    geography = Tree("global", regions)
    categories = Tree("all", tuple(Tree(f"k{j}") for j in range(rng.randint(1, 3))))
    values = values or rng.choice(SMALL)
    counts = {
        (country, category): rng.choice(values)
        for country in geography.leaves()
        for category in categories.leaves()
    }
    cells, relations = cross_table(("IND", "2025"), geography, categories, counts)
    extra = {country: rng.choice((0, 0, 1, 2)) for country in geography.leaves()}
    n = {(country, "n"): sum(counts[(country, c)] for c in categories.leaves()) + extra[country]
         for country in geography.leaves()}  # fmt: skip
    n_cells, n_relations = cross_table(("IND", "2025"), geography, Tree("n"), n)
    inequalities = [
        (("IND", "2025", node.name, "all"), ("IND", "2025", node.name, "n"))
        for node in geography.nodes()
    ]
    headline = ("IND", "2025", "global", "all")
    # the headline is what readers need most: hiding it costs much more
    cells = [replace(cell, cost=100.0) if cell.key == headline else cell for cell in cells]
    return Problem(cells + n_cells, relations + n_relations, inequalities)


def reference_bounds(problem: Problem, plan: Plan, key: tuple[str, ...]) -> tuple[float, float]:
    """min and max of one hidden cell over all integer tables that agree with everything
    published and with every label: one MILP each way, over every cell."""
    cells = sorted(problem.cells, key=lambda cell: cell.key)
    at = {cell.key: i for i, cell in enumerate(cells)}
    lower, upper = [], []
    for cell in cells:
        if cell.key in plan.hidden:
            label = label_of(cell, cell.key in plan.as_x)
            lower.append(label.lower)
            upper.append(min(label.upper, 10_000))
        else:
            lower.append(cell.value)
            upper.append(cell.value)
    rows = []
    for relation in problem.equalities:
        row = np.zeros(len(cells))
        row[at[relation.total]] = 1
        for part in relation.parts:
            row[at[part]] = -1
        rows.append((row, 0.0, 0.0))
    for small, large in problem.inequalities:
        row = np.zeros(len(cells))
        row[at[small]], row[at[large]] = 1, -1
        rows.append((row, -np.inf, 0.0))
    constraint = LinearConstraint(
        np.array([r for r, _, _ in rows]), [lo for _, lo, _ in rows], [hi for _, _, hi in rows]
    )
    found = []
    for sense in (1.0, -1.0):
        cost = np.zeros(len(cells))
        cost[at[key]] = sense
        result = milp(
            cost, integrality=np.ones(len(cells)), bounds=Bounds(lower, upper),
            constraints=constraint,
        )  # fmt: skip
        assert result.status == 0, result.message
        found.append(round(result.x[at[key]]))
    return float(found[0]), float(found[1])


def assert_agrees(cell: CellAudit, reference: tuple[float, float]) -> None:
    """The audit's bounds are never narrower than the attacker's, its verdict is the
    reference's, and the bounds of a cell it finds recovered are exact."""
    low, high = reference
    assert cell.lower <= low and cell.upper >= high, cell.key
    if cell.required is not None:
        assert cell.ok == is_protected(cell.required, low, high), cell.key
    if not cell.ok:
        assert (cell.lower, cell.upper) == reference, cell.key


@pytest.mark.parametrize("seed", range(CASES))
def test_protect_leaves_no_cell_recoverable(seed: int) -> None:
    problem = world(random.Random(seed))
    plan = protect(problem)
    report = audit(problem, plan)
    assert report.ok, [cell.describe() for cell in report.leaks]
    assert plan.primary == {cell.key for cell in problem.cells if is_primary(cell)}
    assert report.primary + report.secondary + report.published == len(problem.cells)
    if seed % 4:
        return  # the reference MILPs are slow: every fourth case is enough
    for cell in report.cells:
        assert_agrees(cell, reference_bounds(problem, plan, cell.key))


@pytest.mark.parametrize("seed", range(0, CASES, 8))
def test_the_audit_of_primaries_alone_agrees_with_the_reference(seed: int) -> None:
    """Hiding only the small cells usually leaks: the audit's bounds are the reference's."""
    problem = world(random.Random(seed))
    primaries = Plan(
        frozenset(c.key for c in problem.cells if is_primary(c)), frozenset(), frozenset()
    )
    report = audit(problem, primaries)
    for cell in report.cells:
        assert_agrees(cell, reference_bounds(problem, primaries, cell.key))


@pytest.mark.parametrize("seed", range(0, CASES, 10))
def test_protect_is_deterministic_whatever_the_order(seed: int) -> None:
    problem = world(random.Random(seed))
    shuffled = random.Random(seed + 1)
    cells, equalities = list(problem.cells), list(problem.equalities)
    shuffled.shuffle(cells)
    shuffled.shuffle(equalities)
    again = Problem(cells, equalities, list(reversed(problem.inequalities)))
    assert protect(problem) == protect(problem) == protect(again)


@pytest.mark.parametrize("seed", range(10))
def test_tables_with_no_small_cell_hide_nothing(seed: int) -> None:
    problem = world(random.Random(seed), values=(3, 4, 7, 10))
    small = world(random.Random(seed))  # with small counts, but no floor to apply
    no_rule = Problem(
        [replace(cell, floor=0) for cell in small.cells], small.equalities, small.inequalities
    )
    for tables in (problem, no_rule):
        plan = protect(tables)
        assert plan.hidden == frozenset()
        report = audit(tables, plan)
        assert report.ok and report.published == len(tables.cells) and not report.cells


def test_a_lone_cell_needs_no_complement() -> None:
    problem = Problem([Cell(("a",), 1), Cell(("b",), 7)])
    assert protect(problem).hidden == {("a",)}


def test_an_equality_whose_parts_are_all_published_adds_no_secondary() -> None:
    problem = Problem(
        [Cell(("t",), 9), Cell(("a",), 4), Cell(("b",), 5), Cell(("c",), 1)],
        [Relation(("t",), (("a",), ("b",)))],
    )
    assert protect(problem).secondary == frozenset()


def with_known_groups(problem: Problem, rng: random.Random) -> Problem:
    """Everyone knows how many members each country has (its upper bound), and a count
    equal to it, or 0, in a country of under 5 is an attribute cell."""
    members = {key[2]: cell.value + rng.choice((0, 0, 1)) for key, cell in problem.index.items()
               if key[3] == "n" and "c" in key[2]}  # fmt: skip
    cells = []
    for cell in problem.cells:
        size = members.get(cell.key[2])
        if size is None:
            cells.append(cell)
            continue
        attribute = 0 < size < 5 and cell.value in (0, size) and cell.key[3] != "n"
        cells.append(replace(cell, upper=size, attribute=attribute))
    return Problem(cells, problem.equalities, problem.inequalities)


@pytest.mark.parametrize("seed", range(0, CASES, 4))
def test_known_group_sizes_and_attribute_cells(seed: int) -> None:
    """Protected, or refused only for a cell that no plan at all could protect: hiding
    every cell, small ones shown "x", still leaves it pinned."""
    rng = random.Random(seed)
    problem = with_known_groups(world(rng), rng)
    try:
        plan = protect(problem)
    except DisclosureError as err:
        everything = frozenset(problem.index)
        small = frozenset(cell.key for cell in problem.cells if is_primary(cell))
        report = audit(problem, Plan(everything, small, everything - small, small))
        assert not report.ok, str(err)
        assert any(f"cell {key_name(cell.key)} " in str(err) for cell in report.leaks)
        return
    report = audit(problem, plan)
    assert report.ok, [cell.describe() for cell in report.leaks]
