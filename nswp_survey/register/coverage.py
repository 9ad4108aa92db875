"""Who has answered the annual survey: coverage of the register, and the MEM-01/02 counts.

For survey year Y:
- a response is a live (not deleted) submission with `a_consent/consent` = yes, whose
  validation status is not "not approved", and whose survey year is Y: its
  `a_consent/survey_year` answer, else the year of its `today` answer - 1, else the year of
  its submission time - 1 (the form computes `format-date(today(), '%Y') - 1`);
- one response per member code and year: the latest (submission time, then Kobo id) wins,
  the others are listed as duplicates. Codes are compared trimmed and upper-cased;
- a member is active in Y when active on 31 Dec Y: join_date on or before that day and no
  left_date, or a left_date after it. MEM-01 counts them; MEM-02 counts join dates in Y;
- coverage = active members with a response / active members, in total, by region and by
  country (the register's region and country);
- flagged, never dropped silently: responses without a member code, with a code not in the
  register, or from a member not active on 31 Dec Y; and the duplicates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from nswp_survey.register.codes import (
    CODE_PATH,
    CONSENT_PATH,
    NOT_APPROVED,
    REGIONS,
    SURVEY_YEAR_PATH,
    TODAY_PATH,
)
from nswp_survey.store import SubmissionAnswers, load_members, load_submission_answers
from nswp_survey.store.models import Member

LINKS = ("member", "unknown_code", "inactive_member", "missing_code")


@dataclass(frozen=True)
class SurveyPaths:
    """The Kobo paths of the answers coverage reads; the defaults are the annual survey's.

    Example (the demo's pulse form): `SurveyPaths(member_code="member_code", consent="consent")`.
    """

    member_code: str = CODE_PATH
    consent: str = CONSENT_PATH
    survey_year: str = SURVEY_YEAR_PATH
    today: str = TODAY_PATH


ANNUAL_SURVEY = SurveyPaths()


@dataclass(frozen=True)
class CoverageCell:
    """Active members and those of them who responded, in total (region None) or a part."""

    region: str | None
    country: str | None
    active: int
    responded: int

    @property
    def coverage(self) -> float | None:
        """responded / active (None when there is no active member)."""
        return self.responded / self.active if self.active else None


@dataclass(frozen=True)
class PendingMember:
    """An active member without a response: whom to remind, and in which language."""

    code: str
    region: str
    country: str
    preferred_language: str


@dataclass(frozen=True)
class Response:
    """The response kept for a member code (or a submission without one), and its link."""

    code: str | None
    submission_id: int
    asset_uid: str
    kobo_id: int
    link: str  # one of LINKS


@dataclass(frozen=True)
class Duplicate:
    """A member code that answered more than once in the year: which one counts."""

    code: str
    kept_kobo_id: int
    dropped_kobo_ids: tuple[int, ...]


@dataclass(frozen=True)
class Coverage:
    """Coverage of the survey year `year` (see the module docstring for the rules)."""

    year: int
    total: CoverageCell
    by_region: tuple[CoverageCell, ...]
    by_country: tuple[CoverageCell, ...]
    pending: tuple[PendingMember, ...]
    responses: tuple[Response, ...]
    duplicates: tuple[Duplicate, ...]

    def flagged(self, link: str) -> tuple[Response, ...]:
        """The responses with this link (`unknown_code`, `inactive_member`, ...)."""
        return tuple(r for r in self.responses if r.link == link)

    def summary(self) -> str:
        share = f"{self.total.coverage:.1%}" if self.total.coverage is not None else "-"
        return (
            f"survey year {self.year}: {self.total.responded} of {self.total.active} active "
            f"members answered ({share}); {len(self.pending)} to remind, "
            f"{len(self.flagged('unknown_code'))} unknown code(s), "
            f"{len(self.flagged('inactive_member'))} from inactive members, "
            f"{len(self.flagged('missing_code'))} without code, "
            f"{len(self.duplicates)} duplicate(s)"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (no organisation names or contacts: none are read)."""
        return {
            "year": self.year,
            "total": coverage_rows([self.total])[0],
            "by_region": coverage_rows(self.by_region),
            "by_country": coverage_rows(self.by_country),
            "pending": pending_rows(self),
            "flagged": {
                link: [asdict(r) for r in self.flagged(link)] for link in LINKS if link != "member"
            },
            "duplicates": [asdict(d) for d in self.duplicates],
        }


@dataclass(frozen=True)
class MemberCounts:
    """MEM-01 (active on 31 Dec of `year`) and MEM-02 (join date in `year`), by region."""

    year: int
    active: int
    joined: int
    active_by_region: dict[str, int]
    joined_by_region: dict[str, int]
    active_by_country: dict[str, int]
    joined_by_country: dict[str, int]


def is_active_on(member: Member, day: date) -> bool:
    """Whether the member belonged to NSWP on `day` according to the register."""
    return member.join_date <= day and (member.left_date is None or member.left_date > day)


def member_counts(engine: Engine, year: int) -> MemberCounts:
    """MEM-01 and MEM-02 for `year`, from the register (not from the survey)."""
    with engine.connect() as conn:
        members = load_members(conn)
    end = date(year, 12, 31)
    active = Counter(m.region for m in members if is_active_on(m, end))
    joined = Counter(m.region for m in members if m.join_date.year == year)
    active_country = Counter(m.country for m in members if is_active_on(m, end))
    joined_country = Counter(m.country for m in members if m.join_date.year == year)
    return MemberCounts(
        year=year,
        active=sum(active.values()),
        joined=sum(joined.values()),
        active_by_region={region: active[region] for region in REGIONS},
        joined_by_region={region: joined[region] for region in REGIONS},
        active_by_country=dict(sorted(active_country.items())),
        joined_by_country=dict(sorted(joined_country.items())),
    )


def compute_coverage(
    engine: Engine,
    year: int,
    *,
    asset_uids: Sequence[str] | None = None,
    paths: SurveyPaths = ANNUAL_SURVEY,
) -> Coverage:
    """Coverage of survey year `year` from the register and the stored submissions.

    `asset_uids` limits the forms read (default: every form with a member code answer).
    """
    wanted = (paths.member_code, paths.consent, paths.survey_year, paths.today)
    with engine.connect() as conn:
        members = load_members(conn)
        submissions = load_submission_answers(conn, wanted, asset_uids)
    return coverage_of(members, submissions, year, paths)


def survey_year(submission: SubmissionAnswers, paths: SurveyPaths = ANNUAL_SURVEY) -> int | None:
    """The survey year a submission answers for (see the module docstring)."""
    stated = (submission.values.get(paths.survey_year) or "").strip()
    try:
        return int(float(stated))
    except ValueError:
        pass
    today = (submission.values.get(paths.today) or "").strip()
    try:
        return date.fromisoformat(today[:10]).year - 1
    except ValueError:
        pass
    if submission.submission_time is None:
        return None
    return submission.submission_time.year - 1


def _is_response(submission: SubmissionAnswers, year: int, paths: SurveyPaths) -> bool:
    consent = (submission.values.get(paths.consent) or "").strip()
    return (
        consent == "yes"
        and submission.validation_status != NOT_APPROVED
        and survey_year(submission, paths) == year
    )


def coverage_of(
    members: Iterable[Member],
    submissions: Iterable[SubmissionAnswers],
    year: int,
    paths: SurveyPaths = ANNUAL_SURVEY,
) -> Coverage:
    """The pure part of `compute_coverage`."""
    end = date(year, 12, 31)
    register = {m.code: m for m in members}
    active = {code: m for code, m in register.items() if is_active_on(m, end)}
    by_code: dict[str, list[SubmissionAnswers]] = defaultdict(list)
    responses: list[Response] = []
    for sub in submissions:
        if not _is_response(sub, year, paths):
            continue
        code = (sub.values.get(paths.member_code) or "").strip().upper()
        if code:
            by_code[code].append(sub)
        else:
            responses.append(
                Response(None, sub.submission_id, sub.asset_uid, sub.kobo_id, "missing_code")
            )
    duplicates: list[Duplicate] = []
    for code, subs in sorted(by_code.items()):
        subs.sort(key=lambda s: (s.submission_time is not None, s.submission_time, s.kobo_id))
        kept = subs[-1]
        if len(subs) > 1:
            duplicates.append(Duplicate(code, kept.kobo_id, tuple(s.kobo_id for s in subs[:-1])))
        link = (
            "member"
            if code in active
            else "inactive_member"
            if code in register
            else "unknown_code"
        )
        responses.append(Response(code, kept.submission_id, kept.asset_uid, kept.kobo_id, link))
    answered = {r.code for r in responses if r.link == "member"}
    active_n: Counter[tuple[str, str]] = Counter()
    answered_n: Counter[tuple[str, str]] = Counter()
    for code, member in active.items():
        active_n[member.region, member.country] += 1
        answered_n[member.region, member.country] += code in answered

    def cell(region: str | None, country: str | None) -> CoverageCell:
        def keep(key: tuple[str, str]) -> bool:
            return region in (None, key[0]) and country in (None, key[1])

        return CoverageCell(
            region,
            country,
            sum(n for key, n in active_n.items() if keep(key)),
            sum(n for key, n in answered_n.items() if keep(key)),
        )

    pending = sorted(
        (m for code, m in active.items() if code not in answered),
        key=lambda m: (REGIONS.index(m.region), m.country, m.code),
    )
    return Coverage(
        year=year,
        total=cell(None, None),
        by_region=tuple(cell(region, None) for region in REGIONS),
        by_country=tuple(
            cell(region, country)
            for region, country in sorted(active_n, key=lambda k: (REGIONS.index(k[0]), k[1]))
        ),
        pending=tuple(
            PendingMember(m.code, m.region, m.country, m.preferred_language) for m in pending
        ),
        responses=tuple(sorted(responses, key=lambda r: (r.link, r.code or "", r.kobo_id))),
        duplicates=tuple(duplicates),
    )


def coverage_rows(cells: Iterable[CoverageCell]) -> list[dict[str, Any]]:
    """Coverage cells as flat rows (for CSV and JSON): coverage in percent, 1 decimal."""
    return [
        {
            "region": c.region or "all",
            "country": c.country or "all",
            "active_members": c.active,
            "responded": c.responded,
            "coverage_pct": None if c.coverage is None else round(100 * c.coverage, 1),
        }
        for c in cells
    ]


def pending_rows(coverage: Coverage) -> list[dict[str, Any]]:
    """The members to remind, as flat rows: code, region, country, preferred_language."""
    return [asdict(p) for p in coverage.pending]
