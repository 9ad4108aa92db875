"""A small survey year worked out by hand, stored in a real SQLite file through commit_page.

Members and what happens to their submissions (survey year 2025 unless said):

  kobo  member   region        country  what                             counted?
  1     AA-0001  africa        KEN      approved, older than 2           yes (S1)
  2     AA-0001  africa        KEN      later, not validated: duplicate  no (approved 1 wins)
  3     BB-0002  asia_pacific  THA      edited after first upload        yes (S3, edited answers)
  4     CC-0003  europe        RUS      deleted on the server            no
  5     DD-0004  lac           BRA      validation "not approved"        no
  6     EE-0005  africa        KEN      validation "on hold"             yes (S6; not if excluded)
  7     FF-0006  nac           USA      older version (gov_items, no sw_led)  yes (S7)
  8     GG-0007  africa        NGA      consent = no                     no
  9     HH-0008  europe        DEU      survey year 2024                 only in 2024
  10    II-0009  africa        ZAF      not validated, older than 11     no (latest wins)
  11    II-0009  africa        ZAF      not validated, latest            yes (S11)

So R(2025) = 5: S1, S3, S6, S7, S11. The expected values are in test_values.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from nswp_survey.indicators import Catalogue, load_catalogue, load_form_schema
from nswp_survey.indicators.form import FormSchema
from nswp_survey.store import (
    SubmissionRow,
    commit_page,
    make_engine,
    migrate,
    tombstone_missing,
    transaction,
    upsert_form,
)

ROOT = Path(__file__).resolve().parents[2]
FORM = ROOT / "forms" / "annual_member_survey.xlsx"
CATALOGUE = ROOT / "config" / "indicators.toml"
ASSET = "aIndicatorsTest0000000"
SCHEMA = load_form_schema(FORM)


def law(area, level, stage, direction, date, source=None) -> dict[str, str]:
    change = {"lc_area": area, "lc_level": level, "lc_stage": stage, "lc_direction": direction}
    change["lc_date"] = date
    if source:
        change["lc_source"] = source
    return change


def submission(
    kobo_id: int,
    answers: dict[str, str],
    *,
    changes: tuple[dict[str, str], ...] = (),
    status: str | None = None,
    day: str = "2026-01-10",
    version: str = "vCurrent",
    uuid: str | None = None,
    renamed: dict[str, str] | None = None,
) -> SubmissionRow:
    """A Kobo-shaped submission: answers by field name, put at their group paths."""
    renamed = renamed or {}
    raw: dict[str, Any] = {"_id": kobo_id, "__version__": version}
    for name, value in answers.items():
        path = SCHEMA.fields[name].path
        raw[path.rsplit("/", 1)[0] + "/" + renamed[name] if name in renamed else path] = value
    if changes:
        raw["d_law/law_change"] = [
            {f"d_law/law_change/{k}": v for k, v in change.items()} for change in changes
        ]
    uuid = uuid or f"uuid-{kobo_id}"
    return SubmissionRow(
        kobo_id=kobo_id,
        uuid=uuid,
        raw=raw,
        root_uuid=f"root-{kobo_id}",
        version_uid=version,
        submission_time=datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC),
        validation_status=f"validation_status_{status}" if status else None,
    )


def profile(code: str, region: str, country: str, **more: str) -> dict[str, str]:
    base = {"consent": "yes", "survey_year": "2025", "member_code": code}
    return {**base, "region": region, "country": country, **more}


# fmt: off
S1 = profile(
    "AA-0001", "africa", "KEN", sw_led="1", constituencies="female trans", regional_net="aswa",
    exchange="swlo_same_country nswp_global",
    governance="elected_board constitution agm_held audited_accounts strategic_plan",
    budget_band="lt_5k", funding_trend="decreased",
    funding_sources="red_umbrella_fund global_fund", support_received="nswp regional_network",
    org_level="national", ccm_seat="yes", forums_nat="3", forums_reg="1", forums_glob="1",
    forums_nswp="1", mentor_prog="yes", ment_18_29="2", ment_30p="1", ment_f="2", ment_m="0",
    ment_t="1", ment_gd="0", ment_by_nswp="1", mentors_exp="2",
    days_marked="dec17_violence mar3_labour", day_unsafe="no", viol_trend="increased",
    viol_perp="police clients", doc_violations="yes", resources_used="briefing_paper",
    resource_lang="en", alliances="plhiv", ta_needs="fundraising advocacy",
    services="hiv_testing sti legal_aid_paralegal", service_change="hiv_testing",
    service_cut="sti", cut_reason="funding", natl_prog_change="sw_involved_design",
    any_change="yes", day_format="public_event online",
    rights_affected="freedom_from_violence protection_of_law", pref_lang="en",
)
S1_LAW = (
    law("criminalisation_sale", "national", "adopted", "positive", "2025-03-01",
        "https://www.kenyalaw.org/act/2025/5/"),  # L1
    law("policing_practice", "national", "proposed", "negative", "2025-06-01"),  # L2
)
S3_FIRST = profile("BB-0002", "asia_pacific", "THA", sw_led="1", ccm_seat="yes")
S3 = profile(
    "BB-0002", "asia_pacific", "THA", sw_led="0", constituencies="female migrant",
    regional_net="none", exchange="none", governance="none", budget_band="prefer_not",
    funding_trend="dk", funding_sources="self_funded", support_received="none", org_level="local",
    ccm_seat="dk", forums_nat="0", forums_reg="0", forums_glob="0", mentor_prog="no",
    days_marked="none", day_unsafe="yes", viol_trend="dk", viol_perp="prefer_not",
    doc_violations="no", resources_used="none", alliances="none", ta_needs="safety_security",
    services="hiv_prevention", service_cut="hiv_prevention", cut_reason="legal_pressure police",
    natl_prog_change="dk", any_change="no", rights_affected="freedom_from_violence",
    pref_lang="en",
)
S6 = profile(
    "EE-0005", "africa", "KEN", sw_led="1", constituencies="male", regional_net="aswa other",
    exchange="regional_network", governance="elected_board constitution agm_held",
    budget_band="5k_25k", funding_trend="same", funding_sources="global_fund",
    support_received="regional_network", org_level="national_network", ccm_seat="no",
    forums_nat="2", forums_reg="0", forums_glob="1", forums_nswp="1", mentor_prog="yes",
    ment_18_29="1", ment_30p="0", ment_f="0", ment_m="1", ment_t="0", ment_gd="0",
    ment_by_nswp="0", mentors_exp="1", days_marked="mar3_labour", day_unsafe="yes",
    viol_trend="increased", viol_perp="police", doc_violations="yes",
    resources_used="smart_guide statement", resource_lang="en fr", alliances="none",
    ta_needs="fundraising", services="hiv_testing", service_change="hiv_testing",
    natl_prog_change="none", any_change="yes", day_format="public_event",
    rights_affected="freedom_from_violence", pref_lang="fr",
)
# L3: the change of L1 again, from another member: other month, same source (other spelling)
S6_LAW = (
    law("criminalisation_sale", "national", "adopted", "positive", "2025-04-01",
        "http://kenyalaw.org/act/2025/5"),
)
S7 = profile(
    "FF-0006", "nac", "USA", sw_board_share="60_plus", sw_spokes_share="50_59", paid_staff="0",
    constituencies="trans", regional_net="cswc", exchange="swlo_other_country",
    governance="elected_board constitution agm_held audited_accounts strategic_plan finance_policy",
    budget_band="lt_5k", funding_trend="decreased", funding_sources="private_foundation",
    support_received="other_ngo", org_level="national", ccm_seat="yes", forums_nat="1",
    forums_reg="2", forums_glob="0", forums_nswp="2", mentor_prog="no",
    days_marked="jun2_justice", day_unsafe="no", viol_trend="same", viol_perp="online",
    doc_violations="yes", resources_used="legal_map", resource_lang="en",
    alliances="lgbti labour_unions", ta_needs="advocacy", services="legal_aid_paralegal",
    service_change="legal_aid_paralegal",
    natl_prog_change="sw_involved_delivery coercive_practice_removed", any_change="yes",
    day_format="online", pref_lang="en",
)
S7_LAW = (
    law("criminalisation_purchase third_parties", "national", "implemented", "negative",
        "2025-09-01",
        ),
)  # L4
S11 = profile(
    "II-0009", "africa", "ZAF", sw_led="0", regional_net="aswa", exchange="swlo_same_country",
    governance="elected_board", funding_trend="increased", funding_sources="none",
    support_received="nswp", org_level="local", ccm_seat="yes", forums_nat="1", forums_reg="0",
    forums_glob="0", mentor_prog="yes", ment_18_29="0", ment_30p="2", ment_f="1", ment_m="0",
    ment_t="0", ment_gd="1", ment_by_nswp="2", mentors_exp="1", days_marked="dec17_violence",
    viol_trend="decreased", viol_perp="none", doc_violations="no",
    resources_used="briefing_paper", resource_lang="fr", alliances="pwud",
    ta_needs="fundraising governance", services="hiv_testing legal_aid_paralegal",
    service_cut="legal_aid_paralegal hiv_testing", natl_prog_change="new_rights_based",
    any_change="yes", day_format="press_statement",
    rights_affected="freedom_from_violence health", pref_lang="en",
)
S11_LAW = (
    law("hiv_criminalisation", "court_ruling", "struck_down", "positive", "2025-11-01",
        "https://zaf.example/ruling"),  # L5
    law("anti_discrimination", "national", "adopted", "positive", "2025-04-01"),  # L6
)
# fmt: on
# Changes that must NOT count: they belong to submissions that do not count.
NOT_COUNTED_LAW = (law("anti_trafficking", "national", "adopted", "positive", "2025-02-01"),)


# fmt: off
def fixture_pages() -> tuple[list[SubmissionRow], list[SubmissionRow]]:
    """The first upload of kobo 1..11, and the edit of kobo 3 (same _id, new _uuid)."""
    first = [
        submission(1, S1, changes=S1_LAW, status="approved", day="2026-01-10"),
        submission(2, {**S1, "sw_led": "0", "regional_net": "none"}, changes=NOT_COUNTED_LAW,
                   day="2026-02-01"),
        submission(3, S3_FIRST, day="2026-01-12"),
        submission(4, profile("CC-0003", "europe", "RUS", ccm_seat="yes", sw_led="1"),
                   changes=NOT_COUNTED_LAW),
        submission(5, profile("DD-0004", "lac", "BRA", ccm_seat="yes", sw_led="1"),
                   changes=NOT_COUNTED_LAW, status="not_approved"),
        submission(6, S6, changes=S6_LAW, status="on_hold"),
        submission(7, S7, changes=S7_LAW, version="vOld", renamed={"governance": "gov_items"}),
        submission(8, {**profile("GG-0007", "africa", "NGA", ccm_seat="yes"), "consent": "no"}),
        submission(9, {**profile("HH-0008", "europe", "DEU", ccm_seat="yes", sw_led="1"),
                       "survey_year": "2024"}),
        submission(10, profile("II-0009", "africa", "ZAF", ccm_seat="no", sw_led="1"),
                   day="2026-01-05"),
        submission(11, S11, changes=S11_LAW, day="2026-01-20"),
    ]
    edits = [submission(3, S3, day="2026-01-12", uuid="uuid-3-edited")]
    return first, edits
# fmt: on


def store_fixture(path: Path | str) -> Engine:
    """The dataset in a SQLite file (a path) or in the database at a URL."""
    engine = make_engine(path if isinstance(path, str) else f"sqlite:///{path}")
    migrate(engine)
    with transaction(engine) as conn:
        upsert_form(conn, ASSET, name="annual member survey")
    first, edits = fixture_pages()
    commit_page(engine, ASSET, first, 11)
    commit_page(engine, ASSET, edits, None)
    with transaction(engine) as conn:
        tombstone_missing(conn, ASSET, [k for k in range(1, 12) if k != 4])
    return engine


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-worked survey year, in a SQLite file (tests only read it)."""
    path = tmp_path_factory.mktemp("indicators") / "nswp.db"
    store_fixture(path).dispose()
    return path


@pytest.fixture(scope="session")
def engine(database: Path) -> Engine:
    engine = make_engine(f"sqlite:///{database}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def schema() -> FormSchema:
    return SCHEMA


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The real catalogue, plus the alias the older version (vOld) needs."""
    real = load_catalogue(CATALOGUE)
    return dataclasses.replace(real, aliases={**real.aliases, "gov_items": "governance"})
