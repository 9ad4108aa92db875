"""De-duplication of legal and policy changes reported by several members (pure pandas)."""

from __future__ import annotations

import pandas as pd

from nswp_survey.indicators.law import dedupe_changes


def reports(*rows: tuple) -> pd.DataFrame:
    columns = ["country", "lc_area", "lc_level", "lc_stage", "lc_direction", "lc_date", "lc_source"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(region="africa", year=2025, submission_id=range(len(frame)))


def test_same_facts_or_same_source_is_one_change_and_chains_join() -> None:
    law = reports(
        # a and b: same facts (areas in another order); b and c: same source -> one change
        (
            "KEN",
            "policing_practice third_parties",
            "national",
            "adopted",
            "positive",
            "2025-03-01",
            None,
        ),
        (
            "KEN",
            "third_parties policing_practice",
            "national",
            "adopted",
            "positive",
            "2025-03-20",
            "https://www.example.org/act/",
        ),
        (
            "KEN",
            "labour_social_protection",
            "national",
            "implemented",
            "mixed",
            "2025-05-01",
            "http://example.org/act?ref=x",
        ),
        # same facts in another country: another change
        (
            "UGA",
            "policing_practice third_parties",
            "national",
            "adopted",
            "positive",
            "2025-03-01",
            None,
        ),
    )
    changes = dedupe_changes(law).set_index("country")
    assert len(changes) == 2
    ken = changes.loc["KEN"]
    assert ken["reports"] == 3
    assert ken["lc_direction"] == "mixed"  # positive and mixed reports disagree
    assert ken["lc_stage"] == "implemented"  # the furthest stage reached
    assert ken["lc_area"] == "labour_social_protection policing_practice third_parties"


def test_no_reports_no_changes() -> None:
    assert dedupe_changes(reports()).empty
