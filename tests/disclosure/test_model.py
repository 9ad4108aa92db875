"""The problem a caller hands over: a table modelled wrongly is refused, in one line."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import numpy as np
import pytest

import nswp_survey.disclosure
from nswp_survey.disclosure import Cell, Problem, Relation, requirement
from nswp_survey.disclosure.primary import label_of, targets
from nswp_survey.disclosure.tables import Tree, cross_table
from nswp_survey.errors import DisclosureError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "disclosure.md"


def test_the_package_example_runs() -> None:
    assert doctest.testmod(nswp_survey.disclosure).failed == 0


def test_the_docs_example_runs() -> None:
    (code,) = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    names: dict[str, object] = {}
    exec(code, names)  # noqa: S102 (our own docs)
    plan = names["plan"]
    assert plan.secondary == {("members", "lac")} and plan.label(names["cells"][-1]) == "<3"


def test_a_total_that_is_not_the_sum_of_its_parts_is_refused_by_name() -> None:
    cells = [Cell(("VIO-01", "global"), 27), Cell(("VIO-01", "africa"), 9)]
    cells.append(Cell(("VIO-01", "asia"), 7))
    with pytest.raises(DisclosureError) as caught:
        Problem(cells, [Relation(("VIO-01", "global"), (("VIO-01", "africa"), ("VIO-01", "asia")))])
    assert str(caught.value) == (
        "the total VIO-01/global is 27 but its 2 parts sum to 16: the tables are modelled wrongly"
    )


def test_an_inequality_that_does_not_hold_is_refused_by_name() -> None:
    cells = [Cell(("num",), 5), Cell(("n",), 4)]
    with pytest.raises(DisclosureError, match=r"num <= n does not hold \(5 > 4\)"):
        Problem(cells, inequalities=[(("num",), ("n",))])


def test_a_relation_naming_an_unknown_cell_is_refused() -> None:
    with pytest.raises(DisclosureError, match="the total t names b, which is not a cell"):
        Problem([Cell(("t",), 1), Cell(("a",), 1)], [Relation(("t",), (("a",), ("b",)))])


def test_the_same_cell_from_two_tables_is_kept_once_unless_they_disagree() -> None:
    same = Problem([Cell(("a",), 4), Cell(("a",), 4)])
    assert same.cells == (Cell(("a",), 4),)
    with pytest.raises(DisclosureError, match="cell a is given twice, differently"):
        Problem([Cell(("a",), 4), Cell(("a",), 5)])


def test_the_same_total_from_two_tables_is_one_relation() -> None:
    cells = [Cell(("t",), 3), Cell(("a",), 1), Cell(("b",), 2)]
    problem = Problem(
        cells, [Relation(("t",), (("a",), ("b",))), Relation(("t",), (("b",), ("a",)))]
    )
    assert len(problem.equalities) == 1


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (lambda: Cell(("a",), -1), "value -1 is not a count"),
        (lambda: Cell(("a",), 2, floor=2), "a floor of 2 shows 1 as '<2'"),
        (lambda: Cell(("a",), 5, upper=4), "value 5 is above its upper bound"),
        (lambda: Cell(("a",), 5, cost=0), "cost 0 must be > 0"),
        (lambda: Cell(["a"], 5), "must be a non-empty tuple of strings"),  # type: ignore[arg-type]
        (lambda: Cell(("a",), True), "value True is not a count"),
        (lambda: Cell(("a",), 2.0), "value 2.0 is not a count"),
        (lambda: Cell(("a",), 2, upper=-1), "upper -1 is not a count"),
        (lambda: Cell(("a", 3), 2), r"cell key \('a', 3\) must be a non-empty tuple"),  # type: ignore[arg-type]
    ],
)
def test_a_cell_that_is_not_a_count_is_refused(cell, message: str) -> None:
    with pytest.raises(DisclosureError, match=message):
        cell()


def test_counts_from_pandas_are_plain_ints() -> None:
    cell = Cell(("a",), np.int64(2), floor=np.int64(3), upper=np.int32(5))
    assert (cell.value, cell.floor, cell.upper) == (2, 3, 5)
    assert type(cell.value) is int and type(cell.upper) is int


def test_components_split_unlinked_tables_and_sort_by_key() -> None:
    cells = [Cell(("z", "t"), 3), Cell(("z", "a"), 3), Cell(("a", "t"), 1), Cell(("a", "u"), 1)]
    problem = Problem(
        cells, [Relation(("z", "t"), (("z", "a"),))], inequalities=[(("a", "t"), ("a", "u"))]
    )
    parts = problem.components()
    assert [[cell.key for cell in part.cells] for part in parts] == [
        [("a", "t"), ("a", "u")],
        [("z", "a"), ("z", "t")],
    ]
    assert parts[0].inequalities == ((("a", "t"), ("a", "u")),) and not parts[0].equalities
    assert len(parts[1].equalities) == 1


def test_labels_and_requirements() -> None:
    small, upper_one = Cell(("a",), 1), Cell(("b",), 1, upper=1)
    assert label_of(small).text == "<3" and (label_of(small).lower, label_of(small).upper) == (1, 2)
    assert label_of(small, as_x=True).text == "x" and label_of(small, as_x=True).lower == 0
    assert label_of(upper_one).upper == 1  # one member in the country: "<3" is 1
    assert requirement(small).contain == (1, 2) and targets(small) == ((2,),)
    assert targets(Cell(("c",), 2)) == ((1,),)
    assert targets(Cell(("d",), 2, floor=5)) == ((4,), (1,))
    assert requirement(Cell(("e",), 7)) is None and targets(Cell(("e",), 7)) == ()
    assert targets(Cell(("f",), 3, upper=5, attribute=True)) == ((4, 2),)
    assert targets(Cell(("g",), 0, upper=4, attribute=True)) == ((1,),)
    with pytest.raises(DisclosureError, match="its known upper bound already pins it"):
        targets(Cell(("h",), 0, upper=0, attribute=True))


def test_cross_table_lists_every_margin_once() -> None:
    rows = Tree("global", (Tree("africa", (Tree("GHA"), Tree("KEN"))), Tree("asia")))
    columns = Tree("all", (Tree("x1"), Tree("x2")))
    counts = {("GHA", "x1"): 1, ("GHA", "x2"): 2, ("KEN", "x1"): 3, ("asia", "x2"): 4}
    cells, relations = cross_table(("I",), rows, columns, counts)
    values = {cell.key: cell.value for cell in cells}
    assert len(values) == 5 * 3
    assert values[("I", "global", "all")] == 10
    assert values[("I", "africa", "x1")] == 4 and values[("I", "KEN", "x2")] == 0
    # two row totals (global, africa) x 3 columns + one column total x 5 rows
    assert len(relations) == 2 * 3 + 5
    Problem(cells, relations)  # every relation holds
