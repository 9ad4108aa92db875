"""The attacker's audit can fail, and says which cell it recovered and how far."""

from __future__ import annotations

import math

import pytest

from nswp_survey.disclosure import Cell, Plan, Problem, Relation, audit, protect
from nswp_survey.errors import DisclosureError, ExportError


def region_table() -> Problem:
    """africa 12 = GHA 1 + KEN 5 + ZAF 6, all published but GHA."""
    cells = [Cell(("n", "africa"), 12), Cell(("n", "GHA"), 1), Cell(("n", "KEN"), 5)]
    cells.append(Cell(("n", "ZAF"), 6))
    parts = (("n", "GHA"), ("n", "KEN"), ("n", "ZAF"))
    return Problem(cells, [Relation(("n", "africa"), parts)])


def test_the_audit_names_the_recovered_cell_and_its_bounds() -> None:
    report = audit(region_table(), {("n", "GHA")})
    assert not report.ok
    (leak,) = report.leaks
    assert (leak.key, leak.value, leak.label, leak.lower, leak.upper) == (
        ("n", "GHA"), 1, "<3", 1.0, 1.0,
    )  # fmt: skip
    assert leak.required.contain == (1, 2)
    assert (report.published, report.primary, report.secondary) == (3, 1, 0)
    assert report.seconds > 0
    with pytest.raises(DisclosureError) as caught:
        report.require_safe()
    assert str(caught.value) == (
        "the published tables give away n/GHA = 1 (shown <3): the tables allow only 1..1, "
        "it needs 1..2"
    )


def test_disclosure_errors_exit_like_export_errors() -> None:
    assert DisclosureError.exit_code == ExportError.exit_code == 1


def test_after_protect_the_same_report_is_safe() -> None:
    problem = region_table()
    plan = protect(problem)
    report = audit(problem, plan)
    report.require_safe()
    assert [(c.key, c.lower, c.upper, c.ok) for c in report.cells] == [
        (("n", "GHA"), 1.0, 2.0, True),
        (("n", "KEN"), 4.0, 5.0, True),
    ]
    assert (report.published, report.primary, report.secondary) == (2, 1, 1)


def test_a_primary_cell_left_published_is_a_leak() -> None:
    report = audit(region_table(), set())
    (leak,) = report.leaks
    assert (leak.key, leak.label, leak.lower, leak.upper) == (("n", "GHA"), "", 1.0, 1.0)
    assert "n/GHA = 1 (shown as is)" in leak.describe()


def test_several_leaks_are_counted_in_the_message() -> None:
    cells = [Cell(("t",), 4), Cell(("a",), 2), Cell(("b",), 2)]
    problem = Problem(cells, [Relation(("t",), (("a",), ("b",)))])
    with pytest.raises(DisclosureError, match=r"give away a = 2 .* \(and 1 more\)$"):
        audit(problem, {("a",), ("b",)}).require_safe()


def test_a_cell_the_tables_do_not_bound_is_unbounded() -> None:
    """The total and a part both hidden, nothing bounds them from above."""
    cells = [Cell(("t",), 8), Cell(("a",), 1), Cell(("b",), 7)]
    problem = Problem(cells, [Relation(("t",), (("a",), ("b",)))])
    report = audit(problem, {("t",), ("a",), ("b",)})
    bounds = {cell.key: (cell.lower, cell.upper) for cell in report.cells}
    assert bounds[("a",)] == (1.0, 2.0) and bounds[("t",)] == (1.0, math.inf)
    assert report.ok


def test_a_known_upper_bound_is_part_of_what_the_attacker_knows() -> None:
    """t = 8 published, a "<3" and b "x": b is 6..7 and a 1..2; but if everyone knows b is
    at most 6 (the members in its country), b = 6 and a = 2."""
    for upper, expected in ((None, [(1.0, 2.0), (6.0, 7.0)]), (6, [(2.0, 2.0), (6.0, 6.0)])):
        cells = [Cell(("t",), 8), Cell(("a",), 2), Cell(("b",), 6, upper=upper)]
        problem = Problem(cells, [Relation(("t",), (("a",), ("b",)))])
        report = audit(problem, {("a",), ("b",)})
        assert [(c.lower, c.upper) for c in report.cells] == expected
        assert report.ok is (upper is None)


def test_the_plan_may_hide_only_cells_of_the_problem() -> None:
    with pytest.raises(DisclosureError, match="the plan hides nowhere, which is not a cell"):
        audit(region_table(), {("nowhere",)})


def test_a_plan_can_show_a_small_cell_as_x() -> None:
    """GHA shown "x" rather than "<3": the attacker knows less (0..6 with KEN hidden, not
    1..2), and GHA's requirement (1 and 2 both possible) still holds."""
    problem = region_table()
    plain = Plan(frozenset({("n", "GHA"), ("n", "KEN")}), frozenset({("n", "GHA")}), frozenset())
    shown_x = Plan(plain.hidden, plain.primary, plain.secondary, frozenset({("n", "GHA")}))
    assert [c.label for c in audit(problem, plain).cells] == ["<3", "x"]
    report = audit(problem, shown_x)
    assert [c.label for c in report.cells] == ["x", "x"]
    assert [(c.lower, c.upper) for c in report.cells] == [(0.0, 6.0), (0.0, 6.0)]
    assert report.ok


def test_the_audit_checks_the_tables_a_plan_offers_and_ignores_false_ones() -> None:
    """A plan that offers tables the attacker could rule out (one that changes a published
    cell, one that breaks the total, one outside a label) proves nothing."""
    problem = region_table()
    hidden = frozenset({("n", "GHA")})
    false = (
        ((("n", "GHA"), 2), (("n", "KEN"), 4)),  # KEN is published
        ((("n", "GHA"), 2),),  # africa would be 13
        ((("n", "GHA"), 3), (("n", "KEN"), 3)),  # "<3" is at most 2
    )
    report = audit(problem, Plan(hidden, hidden, frozenset(), witnesses=false))
    assert [(c.key, c.lower, c.upper, c.ok) for c in report.cells] == [
        (("n", "GHA"), 1.0, 1.0, False)
    ]
    true = ((("n", "GHA"), 2), (("n", "KEN"), 4))
    plan = Plan(hidden | {("n", "KEN")}, hidden, frozenset({("n", "KEN")}), witnesses=(true,))
    assert audit(problem, plan).ok


def test_protect_hands_the_audit_one_table_per_need() -> None:
    problem = region_table()
    plan = protect(problem)
    assert plan.witnesses == (((("n", "GHA"), 2), (("n", "KEN"), 4)),)
