"""Coverage of survey year 2025, worked out by hand from a small register and submissions.

Register (imported 2026-01-15), and what each member sent for survey year 2025:

    code     region        country  membership              submissions             counts?
    KE-0001  africa        KEN      since 2010              #1                      yes
    KE-0002  africa        KEN      since 2015              #2 (Feb), #3 (Mar)      yes, #3 (latest)
    NG-0003  africa        NGA      joined 2025-06-01       none                    pending
    UG-0004  africa        UGA      left 2025-06-30         #4                      inactive member
    IN-0101  asia_pacific  IND      since 2012              #5 not approved         pending
    TH-0102  asia_pacific  THA      joins 2026-02-01        #6                      inactive member
    NP-0103  asia_pacific  NPL      leaves 2026-01-10       #7                      yes (on 31 Dec)
    FR-0201  europe        FRA      since 2012              #8 deleted on Kobo      pending
    UA-0202  europe        UKR      since 2013              #9 no survey_year,      yes (2026 - 1)
                                                               sent 2026-03-05
    DE-0203  europe        DEU      since 2014              #10 survey year 2024    pending
    AR-0301  lac           ARG      since 2009              #11                     yes
    US-0401  nac           USA      since 2008              none                    pending
    (not in the register)                                   #12 ZZ-9999             unknown code
    (no code)                                               #13                     missing code
    (consent refused)                                       #14                     not a response

Active on 31 Dec 2025: all but UG-0004 (left before) and TH-0102 (joined after) = 12 - 2 = 10.
Responded among them: KE-0001, KE-0002, NP-0103, UA-0202, AR-0301 = 5 -> 5 / 10 = 50.0 %.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from nswp_survey.register import SurveyPaths, compute_coverage, import_register, member_counts
from nswp_survey.store import SubmissionRow, commit_page, tombstone_missing, transaction

ASSET = "aRegisterTestAsset0000"  # the form the `engine` fixture records

REGISTER = (
    "KE-0001,africa,KEN,full,aswa,2010-01-01,,en,yes,,",
    "KE-0002,africa,KEN,full,aswa,2015-01-01,,en,yes,,",
    "NG-0003,africa,NGA,associate,,2025-06-01,,en,yes,,",
    "UG-0004,africa,UGA,full,,2011-01-01,2025-06-30,en,no,,",
    "IN-0101,asia_pacific,IND,full,apnsw,2012-01-01,,en,yes,,",
    "TH-0102,asia_pacific,THA,full,apnsw,2026-02-01,,en,yes,,",
    "NP-0103,asia_pacific,NPL,full,apnsw,2013-01-01,2026-01-10,en,no,,",
    "FR-0201,europe,FRA,full,eswa,2012-01-01,,fr,yes,,",
    "UA-0202,europe,UKR,full,swan,2013-01-01,,ru,yes,,",
    "DE-0203,europe,DEU,supporting,,2014-01-01,,en,yes,,",
    "AR-0301,lac,ARG,full,plaperts,2009-01-01,,es,yes,,",
    "US-0401,nac,USA,full,none,2008-01-01,,en,yes,,",
)


def load_scenario(engine: Engine, register_csv: Any, make_submission: Any) -> None:
    import_register(engine, register_csv(*REGISTER), as_of=date(2026, 1, 15))
    rows = [
        make_submission(1, "KE-0001"),
        make_submission(2, "KE-0002", submitted="2026-02-01T09:00:00"),
        make_submission(3, "KE-0002", submitted="2026-03-01T09:00:00"),
        make_submission(4, "UG-0004"),
        make_submission(5, "IN-0101", status="validation_status_not_approved"),
        make_submission(6, "TH-0102"),
        make_submission(7, " np-0103 "),  # compared trimmed and upper-cased
        make_submission(8, "FR-0201"),
        make_submission(9, "UA-0202", year=None, submitted="2026-03-05T10:00:00"),
        make_submission(10, "DE-0203", year=2024),
        make_submission(11, "AR-0301", status="validation_status_approved"),
        make_submission(12, "ZZ-9999"),
        make_submission(13, None),
        make_submission(14, None, consent="no"),
    ]
    commit_page(engine, ASSET, rows, 14)
    with transaction(engine) as conn:  # Kobo no longer lists #8: it was deleted there
        tombstone_missing(conn, ASSET, [i for i in range(1, 15) if i != 8])


def test_coverage_worked_out_by_hand(
    engine: Engine, register_csv: Any, make_submission: Any
) -> None:
    load_scenario(engine, register_csv, make_submission)
    cov = compute_coverage(engine, 2025)
    assert (cov.total.active, cov.total.responded) == (10, 5)
    assert cov.total.coverage == 0.5
    by_region = {c.region: (c.active, c.responded) for c in cov.by_region}
    assert by_region == {
        "africa": (3, 2),  # KE-0001, KE-0002, NG-0003; answered: both KE
        "asia_pacific": (2, 1),  # IN-0101, NP-0103; answered: NP-0103 (IN's was not approved)
        "europe": (3, 1),  # FR-0201, UA-0202, DE-0203; answered: UA-0202
        "lac": (1, 1),  # AR-0301
        "nac": (1, 0),  # US-0401
    }  # 3+2+3+1+1 = 10 active, 2+1+1+1+0 = 5 responded
    by_country = {c.country: (c.active, c.responded) for c in cov.by_country}
    assert by_country == {
        "KEN": (2, 2),
        "NGA": (1, 0),
        "IND": (1, 0),
        "NPL": (1, 1),
        "DEU": (1, 0),
        "FRA": (1, 0),
        "UKR": (1, 1),
        "ARG": (1, 1),
        "USA": (1, 0),
    }  # UGA and THA have no active member, so no row
    assert [(p.code, p.preferred_language) for p in cov.pending] == [
        ("NG-0003", "en"),
        ("IN-0101", "en"),
        ("DE-0203", "en"),
        ("FR-0201", "fr"),
        ("US-0401", "en"),
    ]  # 10 active - 5 responded = 5 to remind, by region, then country
    assert [r.code for r in cov.flagged("unknown_code")] == ["ZZ-9999"]
    assert [r.code for r in cov.flagged("inactive_member")] == ["TH-0102", "UG-0004"]
    assert [r.kobo_id for r in cov.flagged("missing_code")] == [13]
    assert [(d.code, d.kept_kobo_id, d.dropped_kobo_ids) for d in cov.duplicates] == [
        ("KE-0002", 3, (2,))
    ]
    kept = {r.code: r.kobo_id for r in cov.flagged("member")}
    assert kept == {"AR-0301": 11, "KE-0001": 1, "KE-0002": 3, "NP-0103": 7, "UA-0202": 9}
    assert cov.summary() == (
        "survey year 2025: 5 of 10 active members answered (50.0%); 5 to remind, "
        "1 unknown code(s), 2 from inactive members, 1 without code, 1 duplicate(s)"
    )


def test_coverage_of_another_year_counts_only_its_responses(
    engine: Engine, register_csv: Any, make_submission: Any
) -> None:
    load_scenario(engine, register_csv, make_submission)
    cov = compute_coverage(engine, 2024)
    # On 31 Dec 2024: the 10 of 2025, minus NG-0003 (joined 2025-06-01), plus UG-0004
    # (left 2025-06-30) = 10; only DE-0203 answered for 2024 -> 1 / 10.
    assert (cov.total.active, cov.total.responded) == (10, 1)
    assert cov.responses == cov.flagged("member")  # nothing else is about 2024


def test_coverage_can_be_limited_to_other_forms(
    engine: Engine, register_csv: Any, make_submission: Any
) -> None:
    load_scenario(engine, register_csv, make_submission)
    cov = compute_coverage(engine, 2025, asset_uids=["aSomeOtherForm"])
    assert (cov.total.active, cov.total.responded, cov.responses) == (10, 0, ())


def test_member_counts_for_mem_01_and_mem_02(engine: Engine, register_csv: Any) -> None:
    import_register(engine, register_csv(*REGISTER), as_of=date(2026, 1, 15))
    counts = member_counts(engine, 2025)
    assert (counts.active, counts.joined) == (10, 1)  # joined in 2025: NG-0003
    assert counts.active_by_region == {
        "africa": 3,
        "asia_pacific": 2,
        "europe": 3,
        "lac": 1,
        "nac": 1,
    }
    assert counts.joined_by_region["africa"] == 1
    assert counts.joined_by_country == {"NGA": 1}
    assert counts.active_by_country["KEN"] == 2 and "UGA" not in counts.active_by_country
    # 2026: NP-0103 left on 10 Jan, TH-0102 joined on 1 Feb -> 10 - 1 + 1 = 10, 1 joined.
    assert (member_counts(engine, 2026).active, member_counts(engine, 2026).joined) == (10, 1)


def test_coverage_without_a_register_has_no_denominator(
    engine: Engine, make_submission: Any
) -> None:
    commit_page(engine, ASSET, [make_submission(1, "KE-0001")], 1)
    cov = compute_coverage(engine, 2025)
    assert cov.total.active == 0 and cov.total.coverage is None
    assert [r.code for r in cov.flagged("unknown_code")] == ["KE-0001"]


def test_a_form_with_other_paths_is_read_with_survey_paths(
    engine: Engine, register_csv: Any
) -> None:
    """The demo's pulse form keeps `member_code` and `consent` at the top level, no year."""
    import_register(engine, register_csv(*REGISTER), as_of=date(2026, 1, 15))
    raw = {"_id": 1, "consent": "yes", "member_code": "US-0401"}
    row = SubmissionRow(
        kobo_id=1,
        uuid="pulse-1",
        raw=raw,
        submission_time=datetime(2026, 3, 1, tzinfo=UTC),  # survey year 2026 - 1 = 2025
    )
    commit_page(engine, ASSET, [row], 1)
    assert compute_coverage(engine, 2025).total.responded == 0  # not at the annual paths
    pulse = SurveyPaths(member_code="member_code", consent="consent")
    cov = compute_coverage(engine, 2025, paths=pulse)
    assert (cov.total.active, cov.total.responded) == (10, 1)
    assert {c.region: c.responded for c in cov.by_region}["nac"] == 1
