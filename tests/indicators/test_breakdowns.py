"""Disaggregations, region filter and languages on the hand-worked year (conftest.py)."""

from __future__ import annotations

import pytest

from nswp_survey.indicators import compute_indicators, load_frames
from nswp_survey.indicators.results import MISSING


@pytest.fixture(scope="module")
def frames(engine, catalogue, schema):
    return load_frames(engine, catalogue, years=[2025], schema=schema)


def _rows(result):
    return {
        "|".join(code for _d, code, _l in row.keys): (row.numerator, row.denominator)
        for row in result.rows
    }


def test_share_by_region(frames, catalogue) -> None:
    (result,) = compute_indicators(frames, catalogue, 2025, by=("region",), ids=["ORG-01"])
    # africa: S1 1, S6 1, S11 0 -> 2/3; asia_pacific: S3 0/1; nac: S7 1/1
    assert _rows(result) == {"africa": (2, 3), "asia_pacific": (0, 1), "nac": (1, 1)}
    assert (result.numerator, result.denominator) == (3, 5)  # the headline is unchanged


def test_constituency_counts_overlap_and_keep_the_unanswered(frames, catalogue) -> None:
    (result,) = compute_indicators(frames, catalogue, 2025, by=("constituency",), ids=["ORG-01"])
    # female S1(1) S3(0); trans S1(1) S7(1); migrant S3(0); male S6(1); S11 did not answer
    assert _rows(result) == {
        "female": (1, 2),
        "trans": (2, 2),
        "migrant": (0, 1),
        "male": (1, 1),
        MISSING: (0, 1),
    }
    assert (result.numerator, result.denominator) == (3, 5)  # each member once


def test_distribution_by_sw_led(frames, catalogue) -> None:
    (result,) = compute_indicators(frames, catalogue, 2025, by=("sw_led",), ids=["ORG-03"])
    rows = _rows(result)
    # SW-led S1 S6 S7: lt_5k S1 S7 -> 2 of 3; not SW-led S3 S11: prefer_not, no answer
    assert rows["1|lt_5k"] == (2, 3)
    assert rows["1|5k_25k"] == (1, 3)
    assert rows["0|prefer_not"] == (1, 2)
    assert rows[f"0|{MISSING}"] == (1, 2)


def test_law_countries_by_region(frames, catalogue) -> None:
    (result,) = compute_indicators(frames, catalogue, 2025, by=("region",), ids=["LAW-02"])
    # positive adopted: KEN, ZAF (africa); USA's change (nac) is negative; THA reported none
    assert _rows(result) == {"africa": (2, None), "nac": (0, None)}


def test_region_filter(frames, catalogue) -> None:
    got = {
        r.id: r
        for r in compute_indicators(frames, catalogue, 2025, "africa", ids=["POL-02", "LAW-01"])
    }
    # africa: S1 yes, S6 no, S11 yes -> 2/3; changes L1=L3, L2, L5, L6 -> 4 from 5 reports
    assert (got["POL-02"].numerator, got["POL-02"].denominator) == (2, 3)
    assert (got["LAW-01"].value, got["LAW-01"].n) == (4, 5)


def test_titles_and_labels_follow_the_language(frames, catalogue) -> None:
    (result,) = compute_indicators(
        frames, catalogue, 2025, by=("region",), lang="fr", ids=["ORG-01"]
    )
    assert result.title == "Organisations dirigées par des travailleur·ses du sexe"
    labels = {code: label for row in result.rows for _d, code, label in row.keys}
    assert labels["africa"] == "Afrique"
    (zh,) = compute_indicators(frames, catalogue, 2025, by=("sw_led",), lang="zh", ids=["VIO-02"])
    assert zh.title == "记录能力"
    assert {label for row in zh.rows for _d, _c, label in row.keys} == {
        "性工作者主导",
        "非性工作者主导",
    }


def test_unknown_disaggregation_is_an_error(frames, catalogue) -> None:
    from nswp_survey.errors import IndicatorError

    with pytest.raises(IndicatorError, match="unknown disaggregation gender"):
        compute_indicators(frames, catalogue, 2025, by=("gender",))
