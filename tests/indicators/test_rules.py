"""Counting rules that need no database: the reporting year of a response."""

from __future__ import annotations

import pandas as pd

from nswp_survey.indicators.rules import survey_year


def test_the_stated_year_wins_and_the_year_before_submission_fills_in() -> None:
    raw = pd.DataFrame(
        {
            "survey_year": ["2024", None, "not a year"],
            "submission_time": [
                "2025-01-10T08:00:00Z",
                "2026-02-01T00:00:00Z",
                "2025-03-01T00:00:00Z",
            ],
        }
    )
    assert survey_year(raw).tolist() == [2024, 2025, 2024]


def test_without_the_question_every_year_comes_from_the_submission_time() -> None:
    # a form version without `survey_year` (or no submission at all) used to crash here
    raw = pd.DataFrame({"submission_time": ["2025-01-10T08:00:00Z", None]})
    assert survey_year(raw).tolist() == [2024, pd.NA]
    empty = pd.DataFrame({"submission_time": pd.Series([], dtype=object)})
    assert survey_year(empty).tolist() == []
