"""The XPath subset: parsing and evaluation over small instance trees."""

from __future__ import annotations

import math
from datetime import date

import pytest

from nswp_survey.errors import FormValidationError
from nswp_survey.forms.evaluator import Evaluator, format_date, to_str
from nswp_survey.forms.xpath import Node, parse

TODAY = date(2026, 6, 15)


@pytest.fixture
def doc() -> Node:
    """<data><grp><age>42</age><picks>a c</picks><code>KE-0123</code><when>2025-03-01</when>
    <region>europe</region><rep><x>1</x></rep><rep><x>2</x></rep></grp></data>"""
    document = Node.document("data")
    grp = document.children[0].add("grp")
    for name, value in [("age", "42"), ("picks", "a c"), ("code", "KE-0123"),
                        ("when", "2025-03-01"), ("region", "europe"), ("blank", "")]:  # fmt: skip
        grp.add(name, value)
    for value in ("1", "2"):
        grp.add("rep").add("x", value)
    return document


@pytest.fixture
def ev(doc: Node) -> Evaluator:
    countries = Node("instance")
    root = countries.add("root")
    for name, region in [("KEN", "africa"), ("FRA", "europe"), ("DEU", "europe")]:
        item = root.add("item")
        item.add("name", name)
        item.add("region", region)
    return Evaluator(doc, {"country": countries}, today=TODAY)


def node(doc: Node, path: str) -> Node:
    found = doc.children[0].find(path)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (". >= 1970 and . <= 2026 + 1", False),
        (". >= 18 and . <= /data/grp/age", True),
        ("/data/grp/age * 2 div 4 - 1", 20.0),
        ("-3 + 2 * 2", 1.0),
        ("7 mod 3", 1.0),
        ("/data/grp/age != 42 or false()", False),
        ("not(/data/grp/age < 40)", True),
        ("selected(/data/grp/picks, 'c')", True),
        ("selected(/data/grp/picks, 'b')", False),
        ("count-selected(/data/grp/picks)", 2.0),
        ("not(selected(../picks, 'none') and count-selected(../picks) > 1)", True),
        ("regex(/data/grp/code, '^[A-Z]{2}-[0-9]{4}$')", True),
        ("regex('KE-12', '^[A-Z]{2}-[0-9]{4}$')", False),
        ("string-length(/data/grp/code) <= 500", True),
        ("string-length()", 2.0),
        ("format-date(today(), '%Y') - 1", 2025.0),
        ("/data/grp/when <= today()", True),
        ("/data/grp/when > today()", False),
        ("if(/data/grp/age > 40, 'old', 'young')", "old"),
        ("concat('n=', /data/grp/age, '!')", "n=42!"),
        ("../region", "europe"),
        ("current()/../code", "KE-0123"),
        ("count(/data/grp/rep)", 2.0),
        ("sum(/data/grp/rep/x)", 3.0),
        ("/data/grp/rep[2]/x", "2"),
        ("/data/grp/rep[x = 1]/x", "1"),
        ("count(//x)", 2.0),
        ("/data/grp/blank = ''", True),
        ("/data/grp/blank > 0", False),
        ("coalesce(/data/grp/blank, 'none')", "none"),
        ("round(2.5) + int(-1.7) + floor(1.9) + ceiling(0.1)", 4.0),
        ("substr('abcdef', 1, 3)", "bc"),
        ("contains('abc', 'b') and starts-with('abc', 'a')", True),
        ("count(instance('country')/root/item[region = /data/grp/region])", 2.0),
        ("instance('country')/root/item[region = current()/../region]/name", "FRA"),
        ("max(/data/grp/rep/x)", 2.0),
    ],
)
def test_expressions(doc: Node, ev: Evaluator, expression: str, expected: object) -> None:
    value = ev.evaluate(expression, node(doc, "grp/age"))
    if isinstance(value, list):
        value = to_str(value)
    assert value == expected


def test_position_of_a_repeat_iteration(doc: Node, ev: Evaluator) -> None:
    second_x = node(doc, "grp").children[-1].children[0]
    assert ev.number("position(..)", second_x) == 2.0


def test_empty_answers_are_not_numbers(doc: Node, ev: Evaluator) -> None:
    assert math.isnan(ev.number("/data/grp/blank + 1", node(doc, "grp/age")))


def test_dates_format_as_odk_does() -> None:
    assert format_date("2025-03-07", "%Y/%m/%d %e %n %b %y") == "2025/03/07 7 3 Mar 25"
    assert format_date("not a date", "%Y") == ""


def test_comparisons_of_the_expression_are_listed() -> None:
    found = parse(". >= 0 and . + /d/a = /d/total").comparisons()
    assert [(op, left.tree[0], right.tree[0]) for op, left, right in found] == [
        (">=", "path", "num"),
        ("=", "bin", "path"),
    ]


@pytest.mark.parametrize("text", ["1 +", "(1", "foo(", "'unterminated", "1 2"])
def test_unreadable_expressions_raise(text: str) -> None:
    with pytest.raises(FormValidationError):
        parse(text)


def test_unsupported_functions_are_named(doc: Node, ev: Evaluator) -> None:
    with pytest.raises(FormValidationError, match=r"digest\(\) is not supported"):
        ev.evaluate("digest('a', 'MD5')", node(doc, "grp/age"))
