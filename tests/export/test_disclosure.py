"""Complementary suppression: a hidden cell cannot be worked out from the total and the rest."""

from __future__ import annotations

from nswp_survey.export.tables import SECONDARY, Disclosure, controlled_cells
from nswp_survey.indicators import IndicatorResult
from nswp_survey.indicators.results import ResultRow

PUBLIC = Disclosure(public=True, min_cell=3)


def by_country(*counts: tuple[str, int, int]) -> IndicatorResult:
    """A share of SW-led organisations by country: (country, led, respondents) per row."""
    rows = tuple(
        ResultRow(keys=(("country", code, code),), value=led / n, numerator=led,
                  denominator=n, n=n)
        for code, led, n in counts
    )  # fmt: skip
    led, n = sum(c[1] for c in counts), sum(c[2] for c in counts)
    return IndicatorResult("ORG-01", "SW-led", "share", led / n, led, n, n, rows)


def shown(result: IndicatorResult, rules: Disclosure = PUBLIC) -> dict[str, object]:
    return {c.breakdown or "all": c.value for c in controlled_cells([result], rules)}


def test_one_hidden_country_hides_the_next_smallest_too() -> None:
    # KEN (2 respondents) is small; with the total (14) shown, KEN = 14 - 4 - 8.
    result = by_country(("KEN", 1, 2), ("UGA", 3, 4), ("ZAF", 6, 8))
    assert shown(result) == {"all": 10 / 14, "KEN": "<3", "UGA": SECONDARY, "ZAF": 6 / 8}


def test_two_hidden_cells_need_nothing_more() -> None:
    result = by_country(("KEN", 1, 2), ("TZA", 1, 1), ("ZAF", 6, 8))
    assert shown(result) == {"all": 8 / 11, "KEN": "<3", "TZA": "<3", "ZAF": 6 / 8}


def test_a_hidden_total_protects_its_cells_already() -> None:
    result = by_country(("KEN", 1, 1), ("UGA", 1, 1))
    assert shown(result) == {"all": "<3", "KEN": "<3", "UGA": "<3"}


def test_zero_cells_are_not_chosen_and_internal_tier_shows_all() -> None:
    zero = ResultRow(keys=(("country", "BWA", "BWA"),), value=None, numerator=0, n=0)
    result = by_country(("KEN", 1, 2), ("UGA", 4, 5), ("ZAF", 6, 8))
    result = IndicatorResult(result.id, result.title, result.kind, result.value,
                             result.numerator, result.denominator, result.n,
                             (zero, *result.rows))  # fmt: skip
    values = shown(result)
    assert (values["BWA"], values["KEN"], values["UGA"], values["ZAF"]) == (
        None, "<3", SECONDARY, 6 / 8,
    )  # fmt: skip
    internal = shown(result, Disclosure(public=False, min_cell=3))
    assert internal["UGA"] == 4 / 5 and internal["KEN"] == 1 / 2


def test_distribution_categories_are_protected_by_their_counts() -> None:
    # 10 organisations answered; "police" named by 2 (small): 10 - 5 - 3 would give it away.
    rows = tuple(
        ResultRow(keys=(("choice", code, code),), value=k / 10, numerator=k, denominator=10, n=10)
        for code, k in (("clients", 5), ("police", 2), ("family", 3))
    )
    result = IndicatorResult("VIO-01b", "Perpetrators", "distribution", None, None, None, 10, rows)
    values = shown(result)
    assert (values["police"], values["family"], values["clients"]) == ("<3", SECONDARY, 0.5)
