"""Tables that give a small count away when only the small counts are hidden, as each table
is protected alone today; the audit catches each, and `protect` closes it.

Each case is worked by hand in its docstring: what the attacker reads and what follows.
"""

from __future__ import annotations

import pytest

from nswp_survey.disclosure import Cell, Problem, Relation, audit, protect
from nswp_survey.disclosure.tables import Tree, cross_table


def k(*parts: str) -> tuple[str, ...]:
    return parts


def bounds(report, key) -> tuple[float, float]:
    (cell,) = [cell for cell in report.cells if cell.key == key]
    return cell.lower, cell.upper


def assert_protected(problem: Problem) -> None:
    plan = protect(problem)
    report = audit(problem, plan)
    assert report.ok, [cell.describe() for cell in report.leaks]
    assert plan.primary <= plan.hidden
    for cell in report.cells:
        if cell.required is not None:
            assert cell.lower <= cell.required.contain[0]
            assert cell.upper >= cell.required.contain[1]


def global_and_regions() -> Problem:
    regions = {"africa": 9, "asia": 7, "europe": 6, "lac": 3, "nac": 2}
    cells = [Cell(k("members", "global"), 27)]
    cells += [Cell(k("members", name), value) for name, value in regions.items()]
    total = Relation(k("members", "global"), tuple(k("members", name) for name in regions))
    return Problem(cells, [total])


def test_global_minus_the_regions_gives_the_hidden_region_away() -> None:
    """The global pack shows 27, the regional packs 9, 7, 6, 3 and "<3": 27 - 25 = 2."""
    problem = global_and_regions()
    report = audit(problem, {k("members", "nac")})
    assert not report.ok
    assert bounds(report, k("members", "nac")) == (2.0, 2.0)
    (leak,) = report.leaks
    assert leak.key == k("members", "nac") and leak.value == 2
    assert_protected(problem)


def test_global_minus_the_regions_is_closed_by_hiding_the_cheapest_region() -> None:
    """nac can be 1 only if another part takes the difference: lac (3 -> 4) is cheapest;
    the attacker then reads nac + lac = 5 with nac 1..2: lac 3..4."""
    problem = global_and_regions()
    plan = protect(problem)
    assert plan.secondary == {k("members", "lac")}
    report = audit(problem, plan)
    assert bounds(report, k("members", "nac")) == (1.0, 2.0)
    assert bounds(report, k("members", "lac")) == (3.0, 4.0)


def row(a: int, b: int, c: int) -> Problem:
    cells = [Cell(k("row", "a"), a), Cell(k("row", "b"), b), Cell(k("row", "c"), c)]
    cells.append(Cell(k("row", "total"), a + b + c))
    return Problem(
        cells, [Relation(k("row", "total"), (k("row", "a"), k("row", "b"), k("row", "c")))]
    )


def test_two_hidden_cells_whose_sum_is_known_are_both_pinned() -> None:
    """2, 2, 5 and total 9: "<3" + "<3" = 4, and only 2 + 2 makes 4."""
    problem = row(2, 2, 5)
    report = audit(problem, {k("row", "a"), k("row", "b")})
    assert {cell.key for cell in report.leaks} == {k("row", "a"), k("row", "b")}
    assert bounds(report, k("row", "a")) == (2.0, 2.0)
    plan = protect(problem)
    # 5 costs 6, the total 10; showing both "<3" as "x" (0 or more) costs 2 each
    assert plan.secondary == {k("row", "c")} or plan.as_x == {k("row", "a"), k("row", "b")}
    assert_protected(problem)


def test_one_hidden_cell_and_its_total_give_it_away() -> None:
    """1, 5, 4 and total 10: 10 - 5 - 4 = 1."""
    problem = row(1, 5, 4)
    report = audit(problem, {k("row", "a")})
    assert bounds(report, k("row", "a")) == (1.0, 1.0)
    assert not report.ok
    assert_protected(problem)


def test_a_small_total_of_small_parts_shows_the_parts_as_x() -> None:
    """1 + 1 = 2, all "<3": the parts say the total is at least 2, so it is 2, and then
    both parts are 1, whatever else is hidden. A part shown "x" (0 or more) lets the total
    be 1; but then that part is at most 2 - 1 = 1 unless the other may be 0 too: both
    parts are shown "x", the total stays "<3"."""
    cells = [Cell(k("n", "total"), 2), Cell(k("n", "a"), 1), Cell(k("n", "b"), 1)]
    problem = Problem(cells, [Relation(k("n", "total"), (k("n", "a"), k("n", "b")))])
    report = audit(problem, {cell.key for cell in cells})
    assert bounds(report, k("n", "total")) == (2.0, 2.0)
    plan = protect(problem)
    # two of the three shown "x" (the total taken past its label, or a part to 0)
    assert len(plan.as_x) == 2 and not plan.secondary
    assert sorted(plan.label(cell) for cell in cells) == ["<3", "x", "x"]
    assert audit(problem, plan).ok
    assert_protected(problem)


WORLD = Tree(
    "global",
    (
        Tree("africa", (Tree("GHA"), Tree("KEN"), Tree("ZAF"))),
        Tree("asia", (Tree("IND"), Tree("THA"))),
    ),
)
CATEGORIES = Tree("all", (Tree("led"), Tree("mixed"), Tree("other")))
COUNTS = {
    ("GHA", "led"): 1, ("GHA", "mixed"): 4, ("GHA", "other"): 3,
    ("KEN", "led"): 5, ("KEN", "mixed"): 2, ("KEN", "other"): 6,
    ("ZAF", "led"): 7, ("ZAF", "mixed"): 3, ("ZAF", "other"): 4,
    ("IND", "led"): 6, ("IND", "mixed"): 5, ("IND", "other"): 1,
    ("THA", "led"): 3, ("THA", "mixed"): 4, ("THA", "other"): 8,
}  # fmt: skip


def two_way() -> Problem:
    cells, relations = cross_table(k("SW-LED", "2025"), WORLD, CATEGORIES, COUNTS)
    return Problem(cells, relations)


def test_a_country_by_category_table_leaks_through_its_margins() -> None:
    """Countries x categories with row totals, and the regions' and the world's totals over
    the countries: hiding only the small cells leaves each the difference of its row."""
    problem = two_way()
    small = {k("SW-LED", "2025", c, cat) for (c, cat), v in COUNTS.items() if v < 3}
    report = audit(problem, small)
    assert {cell.key for cell in report.leaks} == small
    assert bounds(report, k("SW-LED", "2025", "GHA", "led")) == (1.0, 1.0)
    assert_protected(problem)


def test_the_two_way_plan_protects_by_a_rectangle_within_a_region() -> None:
    """GHA led (1) can become 2 only if the same change is undone in its row and column:
    the cheapest is a rectangle of four cells within Africa, every margin unchanged."""
    problem = two_way()
    plan = protect(problem)
    africa = {key for key in plan.hidden if key[2] in {"GHA", "KEN", "ZAF"}}
    assert k("SW-LED", "2025", "GHA", "led") in africa and len(africa) >= 4
    margins = {key for key in plan.hidden if key[2] in {"global", "africa", "asia"}}
    margins |= {key for key in plan.hidden if key[3] == "all"}
    assert not margins  # no total had to go


def test_a_cell_published_in_two_tables_is_one_cell() -> None:
    """A region's total appears in its own pack (over its countries) and in the global pack
    (one of the regions): the same key in both, so the attacker combines both tables."""
    regional_cells, regional = cross_table(
        k("N"), WORLD.children[1], Tree("n"), {("IND", "n"): 1, ("THA", "n"): 9}
    )
    global_cells = [Cell(k("N", "global", "n"), 20), Cell(k("N", "africa", "n"), 10)]
    global_cells.append(Cell(k("N", "asia", "n"), 10))  # the same cell as the regional total
    world = Relation(k("N", "global", "n"), (k("N", "africa", "n"), k("N", "asia", "n")))
    problem = Problem(regional_cells + global_cells, [*regional, world])
    assert len(problem.cells) == 5  # ("N", "asia", "n") given twice, kept once
    assert len(problem.components()) == 1
    report = audit(problem, {k("N", "IND", "n")})
    assert bounds(report, k("N", "IND", "n")) == (1.0, 1.0)
    plan = protect(problem)
    assert plan.secondary == {k("N", "THA", "n")}
    assert_protected(problem)


def test_a_numerator_never_above_its_n_is_part_of_what_the_attacker_knows() -> None:
    """Hidden "<3" numerator 2 whose n is 2 and published: 2 <= n says nothing more, but
    with the row total 7 = 2 + 5 (5 published), the numerator is 2; hiding the 5 as well
    leaves numerator <= n = 2, so 1..2 again."""
    cells = [Cell(k("num", "a"), 2), Cell(k("num", "b"), 5), Cell(k("num", "all"), 7)]
    cells.append(Cell(k("n", "a"), 2, floor=0))
    problem = Problem(
        cells,
        [Relation(k("num", "all"), (k("num", "a"), k("num", "b")))],
        [(k("num", "a"), k("n", "a"))],
    )
    assert bounds(audit(problem, {k("num", "a")}), k("num", "a")) == (2.0, 2.0)
    plan = protect(problem)
    report = audit(problem, plan)
    assert report.ok
    # b could rise only by 1 (a then 1), as a can fall by only 1
    assert bounds(report, k("num", "b")) == (5.0, 6.0)


@pytest.mark.parametrize("value", [0, 4])
def test_an_attribute_cell_must_not_be_pinned_to_one_value(value: int) -> None:
    """No one (0) or everyone (4 of 4) in a small group answered yes: a count that is not
    small but tells something about every member, so it may not be left exact."""
    cells = [Cell(k("yes", "GHA"), value, upper=4, attribute=True), Cell(k("yes", "KEN"), 6)]
    cells.append(Cell(k("yes", "africa"), value + 6))
    problem = Problem(cells, [Relation(k("yes", "africa"), (k("yes", "GHA"), k("yes", "KEN")))])
    report = audit(problem, {k("yes", "GHA")})
    assert not report.ok and bounds(report, k("yes", "GHA")) == (value, value)
    plan = protect(problem)
    assert k("yes", "GHA") in plan.primary
    report = audit(problem, plan)
    assert report.ok
    low, high = bounds(report, k("yes", "GHA"))
    assert low < high and low <= value <= high
