"""Every catalogue indicator on the hand-worked year (conftest.py): R = 5 (S1 S3 S6 S7 S11).

Each expectation shows its arithmetic. Shares are fractions; rows map the row's codes
(joined with '|') to (value, numerator, denominator).
"""

from __future__ import annotations

import dataclasses

import pytest

from nswp_survey.indicators import compute_indicators, load_frames
from nswp_survey.indicators.results import MISSING

NA = MISSING
# id -> (value, numerator, denominator, n, {row codes: (value, numerator, denominator)})
EXPECTED: dict[str, tuple] = {
    # regional_net other than none: S1 aswa, S6 aswa+other, S7 cswc, S11 aswa; S3 none -> 4/5
    "MEM-03": (4 / 5, 4, 5, 5, {}),
    # aswa S1 S6 S11 = 3; other S6; cswc S7; none S3 (S2's "none" is a duplicate, not counted)
    "MEM-03b": (
        None,
        None,
        5,
        5,
        {
            "aswa": (3 / 5, 3, 5),
            "other": (1 / 5, 1, 5),
            "cswc": (1 / 5, 1, 5),
            "none": (1 / 5, 1, 5),
        },
    ),
    # KEN (S1, S6), THA, USA, ZAF; RUS deleted, BRA not approved, NGA no consent -> 4
    "CTY-01": (4, 5, None, 5, {}),
    # exchange other than none: all but S3 -> 4/5
    "OUT1-01": (4 / 5, 4, 5, 5, {}),
    # swlo_same_country S1 S11 = 2; nswp_global S1; regional_network S6;
    # swlo_other_country S7; none S3
    "OUT1-01b": (None, None, 5, 5, {"swlo_same_country": (2 / 5, 2, 5), "none": (1 / 5, 1, 5)}),
    # sw_led = 1: S1, S6, S7 (derived: board 60_plus, spokes 50_59, no paid staff) -> 3/5
    # (S3 was "1" before its edit: the edit says "0")
    "ORG-01": (3 / 5, 3, 5, 5, {}),
    # governance items but none: S1 5, S3 0, S6 3, S7 6 (old name gov_items), S11 1 = 15 / 5
    "ORG-02": (3.0, 15, 5, 5, {}),
    # at least 5 items: S1 (5), S7 (6) -> 2/5
    "ORG-02b": (2 / 5, 2, 5, 5, {}),
    # lt_5k S1 S7; 5k_25k S6; prefer_not S3 (kept); S11 did not answer (kept as "(no answer)")
    "ORG-03": (
        None,
        None,
        5,
        5,
        {
            "lt_5k": (2 / 5, 2, 5),
            "5k_25k": (1 / 5, 1, 5),
            "prefer_not": (1 / 5, 1, 5),
            NA: (1 / 5, 1, 5),
        },
    ),
    # decreased: S1, S7 -> 2/5 (S3's "dk" stays in the denominator)
    "ORG-03b": (2 / 5, 2, 5, 5, {}),
    # global_fund S1 S6 = 2; red_umbrella_fund S1; self_funded S3; private_foundation S7; none S11
    "ORG-03c": (None, None, 5, 5, {"global_fund": (2 / 5, 2, 5), "none": (1 / 5, 1, 5)}),
    # regional_network: S1, S6 -> 2/5
    "ORG-04": (2 / 5, 2, 5, 5, {}),
    # nswp: S1, S11 -> 2/5
    "ORG-04b": (2 / 5, 2, 5, 5, {}),
    # nswp AND national/national_network: S1 only (S11 is local) -> 1
    "ORG-04c": (1, 1, 5, 5, {}),
    # reports L1 L2 (S1), L3 (S6), L4 (S7), L5 L6 (S11) = 6; L3 is L1 (same source) -> 5 changes
    "LAW-01": (
        5,
        5,
        None,
        6,
        {
            "positive|criminalisation_sale|adopted": (1, 1, None),
            "negative|policing_practice|proposed": (1, 1, None),
            "negative|criminalisation_purchase|implemented": (1, 1, None),
            "negative|third_parties|implemented": (1, 1, None),
            "positive|hiv_criminalisation|struck_down": (1, 1, None),
            "positive|anti_discrimination|adopted": (1, 1, None),
        },
    ),
    # positive adopted/implemented: KEN (L1), ZAF (L6); L5 is struck_down; BRA's is not counted
    "LAW-02": (2, 2, None, 5, {}),
    # negative adopted/implemented: USA (L4); KEN's L2 is only proposed -> 1
    "LAW-02b": (1, 1, None, 5, {}),
    # per country, positive - negative: KEN 1 - 1 = 0, USA 0 - 1 = -1, ZAF 2 - 0 = 2; total 1
    "LAW-03": (1, 1, None, 5, {"KEN": (0, 0, None), "USA": (-1, -1, None), "ZAF": (2, 2, None)}),
    # hiv_testing S1 S6 S11 = 3; legal_aid_paralegal S1 S7 S11 = 3; sti S1; hiv_prevention S3
    "PRG-01": (
        None,
        None,
        5,
        5,
        {"hiv_testing": (3 / 5, 3, 5), "sti": (1 / 5, 1, 5), "legal_aid_paralegal": (3 / 5, 3, 5)},
    ),
    # started: hiv_testing S1 S6, legal_aid S7 = 3; cut: sti S1, hiv_prevention S3,
    # legal_aid S11, hiv_testing S11 = 4; balance 3 - 4 = -1
    "PRG-02": (
        -1,
        3,
        4,
        7,
        {
            "hiv_testing": (1, 2, 1),
            "legal_aid_paralegal": (0, 1, 1),
            "sti": (-1, 0, 1),
            "hiv_prevention": (-1, 0, 1),
        },
    ),
    # members with a cut: S1 S3 S11 = 3; funding S1; legal_pressure, police S3; S11 no reason
    "PRG-02b": (
        None,
        None,
        3,
        3,
        {"funding": (1 / 3, 1, 3), "police": (1 / 3, 1, 3), NA: (1 / 3, 1, 3)},
    ),
    # sw_involved_design S1, sw_involved_delivery S7 -> 2/5
    "PRG-03": (2 / 5, 2, 5, 5, {}),
    # one member each: S1 design; S3 dk; S6 none; S7 delivery + removed; S11 new
    "PRG-03b": (
        None,
        None,
        5,
        5,
        {
            "sw_involved_design": (1 / 5, 1, 5),
            "sw_involved_delivery": (1 / 5, 1, 5),
            "coercive_practice_removed": (1 / 5, 1, 5),
            "new_rights_based": (1 / 5, 1, 5),
            "none": (1 / 5, 1, 5),
            "dk": (1 / 5, 1, 5),
        },
    ),
    # national 3+0+2+1+1 = 7, regional 1+0+0+2+0 = 3, global 1+0+1+0+0 = 2; total 12
    "POL-01": (
        12,
        12,
        None,
        5,
        {"forums_nat": (7, 7, None), "forums_reg": (3, 3, None), "forums_glob": (2, 2, None)},
    ),
    # per member totals: S1 5, S3 0, S6 3, S7 3, S11 1 -> median of 0 1 3 3 5 = 3
    "POL-01b": (3, 12, 5, 5, {}),
    # forums_nswp 1+0+1+2+0 = 4 / (regional + global) 2+0+1+2+0 = 5
    "POL-01c": (4 / 5, 4, 5, 5, {}),
    # ccm_seat yes: S1, S7, S11 -> 3/5 (S3's "yes" was edited to dk; S10's "no" is superseded)
    "POL-02": (3 / 5, 3, 5, 5, {}),
    # 18-29: 2+1+0 = 3; 30+: 1+0+2 = 3; total 6
    "LEAD-01": (6, 6, None, 3, {"ment_18_29": (3, 3, None), "ment_30p": (3, 3, None)}),
    # women 2+0+1 = 3, men 0+1+0 = 1, trans 1+0+0 = 1, gender-diverse 0+0+1 = 1; total 6
    "LEAD-01b": (
        6,
        6,
        None,
        3,
        {
            "ment_f": (3, 3, None),
            "ment_m": (1, 1, None),
            "ment_t": (1, 1, None),
            "ment_gd": (1, 1, None),
        },
    ),
    # 1 + 0 + 2
    "LEAD-01c": (3, 3, None, 3, {}),
    # 2 + 1 + 1 (S3, S7 mentor nobody: not asked)
    "LEAD-02": (4, 4, None, 3, {}),
    # dec17 S1 S11; mar3 S1 S6; jun2 S7; none S3
    "MOB-01": (
        None,
        None,
        5,
        5,
        {
            "dec17_violence": (2 / 5, 2, 5),
            "mar3_labour": (2 / 5, 2, 5),
            "jun2_justice": (1 / 5, 1, 5),
            "none": (1 / 5, 1, 5),
        },
    ),
    # public_event S1 S6; online S1 S7; press_statement S11; S3 marked no day (not asked)
    "MOB-01c": (
        None,
        None,
        5,
        5,
        {
            "public_event": (2 / 5, 2, 5),
            "online": (2 / 5, 2, 5),
            "press_statement": (1 / 5, 1, 5),
            NA: (1 / 5, 1, 5),
        },
    ),
    # marked a day: S1 S6 S7 S11
    "MOB-01b": (4, 4, 5, 5, {}),
    # unsafe yes: S3, S6 / answered: S1 S3 S6 S7 (S11 did not answer) -> 2/4
    "MOB-02": (2 / 4, 2, 4, 4, {}),
    "VIO-01": (
        None,
        None,
        5,
        5,
        {
            "increased": (2 / 5, 2, 5),
            "dk": (1 / 5, 1, 5),
            "same": (1 / 5, 1, 5),
            "decreased": (1 / 5, 1, 5),
        },
    ),
    "VIO-01b": (
        None,
        None,
        5,
        5,
        {"police": (2 / 5, 2, 5), "prefer_not": (1 / 5, 1, 5), "none": (1 / 5, 1, 5)},
    ),
    # freedom_from_violence S1 S3 S6 S11; protection_of_law S1; health S11; S7 unanswered
    "VIO-01c": (
        None,
        None,
        5,
        5,
        {
            "freedom_from_violence": (4 / 5, 4, 5),
            "protection_of_law": (1 / 5, 1, 5),
            "health": (1 / 5, 1, 5),
            NA: (1 / 5, 1, 5),
        },
    ),
    # doc_violations yes: S1, S6, S7
    "VIO-02": (3 / 5, 3, 5, 5, {}),
    # resources other than none: S1 S6 S7 S11
    "COM-01": (4 / 5, 4, 5, 5, {}),
    "COM-01b": (None, None, 5, 5, {"briefing_paper": (2 / 5, 2, 5), "none": (1 / 5, 1, 5)}),
    # en S1 S6 S7; fr S6 S11; S3 was not asked (uses no resource)
    "COM-01c": (None, None, 5, 5, {"en": (3 / 5, 3, 5), "fr": (2 / 5, 2, 5), NA: (1 / 5, 1, 5)}),
    # alliances other than none: S1 S7 S11
    "ALL-01": (3 / 5, 3, 5, 5, {}),
    "ALL-01b": (None, None, 5, 5, {"none": (2 / 5, 2, 5), "pwud": (1 / 5, 1, 5)}),
    # fundraising S1 S6 S11; advocacy S1 S7
    "TA-01": (None, None, 5, 5, {"fundraising": (3 / 5, 3, 5), "advocacy": (2 / 5, 2, 5)}),
    # en S1 S3 S7 S11; fr S6
    "TA-02": (None, None, 5, 5, {"en": (4 / 5, 4, 5), "fr": (1 / 5, 1, 5)}),
}
REGISTER = {"MEM-01", "MEM-02", "MEM-04"}


@pytest.fixture(scope="module")
def results(engine, catalogue, schema):
    frames = load_frames(engine, catalogue, years=[2025], schema=schema)
    return {r.id: r for r in compute_indicators(frames, catalogue, 2025)}


def test_every_catalogue_indicator_has_a_hand_worked_value(catalogue) -> None:
    assert {s.id for s in catalogue.indicators} == set(EXPECTED) | REGISTER


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED))
def test_indicator_value_matches_the_hand_arithmetic(results, indicator_id) -> None:
    value, numerator, denominator, n, rows = EXPECTED[indicator_id]
    result = results[indicator_id]
    assert result.error is None
    assert result.value == pytest.approx(value)
    assert result.numerator == pytest.approx(numerator)
    assert result.denominator == pytest.approx(denominator)
    assert result.n == n
    got = {"|".join(code for _d, code, _l in row.keys): row for row in result.rows}
    for codes, (row_value, row_num, row_den) in rows.items():
        assert got[codes].value == pytest.approx(row_value), codes
        assert got[codes].numerator == pytest.approx(row_num), codes
        assert got[codes].denominator == pytest.approx(row_den), codes


def test_counting_rules_say_what_they_left_out(engine, catalogue) -> None:
    frames = load_frames(engine, catalogue, years=[2025])
    assert sorted(frames.responses["member_code"]) == [
        "AA-0001",
        "BB-0002",
        "EE-0005",
        "FF-0006",
        "II-0009",
    ]
    # kobo 1 (approved) beats the later 2; kobo 11 (latest) beats 10; 3 is its edited self
    assert set(frames.responses["kobo_id"]) == {1, 3, 6, 7, 11}
    assert frames.excluded == {
        "deleted": 1,
        "not approved": 1,
        "no consent": 1,
        "other years": 1,
        "duplicates": 2,
    }


def test_on_hold_can_be_excluded(engine, catalogue) -> None:
    strict = dataclasses.replace(catalogue, on_hold="exclude")
    frames = load_frames(engine, strict, years=[2025])
    got = {r.id: r for r in compute_indicators(frames, strict, 2025, ids=["ORG-01", "LAW-01"])}
    # without S6: sw_led S1, S7 of R = 4; L3 goes, L1 stays: still 5 changes, 5 reports
    assert (got["ORG-01"].numerator, got["ORG-01"].denominator) == (2, 4)
    assert (got["LAW-01"].value, got["LAW-01"].n) == (5, 5)


def test_without_the_alias_old_answers_are_missing(engine, catalogue) -> None:
    bare = dataclasses.replace(catalogue, aliases={})
    frames = load_frames(engine, bare, years=[2025])
    (result,) = compute_indicators(frames, bare, 2025, ids=["ORG-02"])
    # S7's six items are under gov_items: mean of S1 5, S3 0, S6 3, S11 1 = 9 / 4
    assert (result.numerator, result.n) == (9, 4)


def test_other_year_counts_its_own_responses(engine, catalogue) -> None:
    frames = load_frames(engine, catalogue)
    (result,) = compute_indicators(frames, catalogue, 2024, ids=["POL-02"])
    assert (result.numerator, result.denominator) == (1, 1)  # HH-0008 alone, ccm_seat yes


def test_register_indicators_say_they_need_the_register(results) -> None:
    for indicator_id in sorted(REGISTER):
        assert results[indicator_id].value is None
        assert "needs the register" in results[indicator_id].error


def test_breakdown_labels_are_in_the_language_asked(engine, catalogue, schema) -> None:
    frames = load_frames(engine, catalogue, years=[2025], schema=schema)
    results = compute_indicators(frames, catalogue, 2025, lang="fr")
    labels = {(key[1], key[2]) for r in results for row in r.rows for key in row.keys}
    missing = {label for code, label in labels if code == MISSING}
    assert missing == {"(sans réponse)"}
    assert not [label for _code, label in labels if "${" in label]
    filled = [label for _code, label in labels if "2025" in label]
    assert filled, "a question's ${survey_year} is filled with the year"


def test_counts_are_zero_not_blank_when_responses_report_nothing(engine, catalogue, schema):
    # 2024: one counted response (HH-0008, Germany), no law change reported
    frames = load_frames(engine, catalogue, years=[2024], schema=schema)
    assert len(frames.responses) == 1 and frames.law.empty
    got = {r.id: r for r in compute_indicators(frames, catalogue, 2024)}
    assert (got["LAW-02"].value, got["LAW-02b"].value, got["LAW-01"].value) == (0, 0, 0)
    # a share with nobody in its denominator stays unknown, not 0
    assert got["MOB-02"].value is None


def test_with_no_response_at_all_counts_stay_unknown(engine, catalogue, schema):
    frames = load_frames(engine, catalogue, years=[2019], schema=schema)
    assert frames.responses.empty
    got = {r.id: r for r in compute_indicators(frames, catalogue, 2019)}
    assert got["LAW-02"].value is None
