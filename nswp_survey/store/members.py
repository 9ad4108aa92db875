"""The member register's tables, and the survey answers that link submissions to members.

Persistence only: the rules (validation, joins and leavings, coverage) live in
`nswp_survey.register`. Functions take a Connection (or Session) inside the caller's
transaction and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlmodel import Session

from nswp_survey.store.db import connection_of
from nswp_survey.store.models import Answer, Member, MemberEvent, Submission
from nswp_survey.store.timestamps import utcnow

MEMBER = Member.__table__
MEMBER_EVENT = MemberEvent.__table__
SUBMISSION = Submission.__table__
ANSWER = Answer.__table__
MEMBER_EVENTS = ("joined", "left", "changed")


@dataclass(frozen=True)
class SubmissionAnswers:
    """A live submission with the values of the top-level answers asked for (by path)."""

    submission_id: int
    asset_uid: str
    kobo_id: int
    submission_time: datetime | None
    validation_status: str | None
    values: dict[str, str | None] = field(default_factory=dict)


def load_members(db: Connection | Session) -> list[Member]:
    """Every member of the register, active or not, ordered by code."""
    conn = connection_of(db)
    rows = conn.execute(select(MEMBER).order_by(MEMBER.c.code))
    return [Member(**row._mapping) for row in rows]


def insert_member(db: Connection | Session, values: Mapping[str, Any]) -> None:
    """Add one member (`values` are the column values; `updated_at` defaults to now)."""
    conn = connection_of(db)
    conn.execute(insert(MEMBER).values({"updated_at": utcnow(), **values}))


def update_member(db: Connection | Session, code: str, values: Mapping[str, Any]) -> None:
    """Change some columns of one member; `updated_at` defaults to now."""
    conn = connection_of(db)
    stmt = update(MEMBER).where(MEMBER.c.code == code)
    conn.execute(stmt.values({"updated_at": utcnow(), **values}))


def delete_member(db: Connection | Session, code: str) -> None:
    """Remove one member (its events first: `members undo` of the import that added it)."""
    conn = connection_of(db)
    conn.execute(delete(MEMBER_EVENT).where(MEMBER_EVENT.c.code == code))
    conn.execute(delete(MEMBER).where(MEMBER.c.code == code))


def add_member_event(
    db: Connection | Session,
    code: str,
    event: str,
    event_date: date,
    details: str | None = None,
    *,
    import_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Record that member `code` joined, left or changed on `event_date` (in import
    `import_id`, when an import did it)."""
    if event not in MEMBER_EVENTS:
        raise ValueError(f"unknown member event {event!r}")
    conn = connection_of(db)
    conn.execute(
        insert(MEMBER_EVENT).values(
            code=code,
            event=event,
            event_date=event_date,
            details=details,
            recorded_at=now or utcnow(),
            import_id=import_id,
        )
    )


def delete_member_events(db: Connection | Session, import_id: int) -> None:
    """Remove the events import `import_id` recorded (`members undo`)."""
    conn = connection_of(db)
    conn.execute(delete(MEMBER_EVENT).where(MEMBER_EVENT.c.import_id == import_id))


def load_member_events(db: Connection | Session, code: str | None = None) -> list[MemberEvent]:
    """The register's history (of one member when `code` is given), oldest first."""
    conn = connection_of(db)
    query = select(MEMBER_EVENT).order_by(MEMBER_EVENT.c.id)
    if code is not None:
        query = query.where(MEMBER_EVENT.c.code == code)
    return [MemberEvent(**row._mapping) for row in conn.execute(query)]


def load_submission_answers(
    db: Connection | Session, paths: Iterable[str], asset_uids: Sequence[str] | None = None
) -> list[SubmissionAnswers]:
    """Live (not deleted) submissions having at least one of `paths`, with those answers.

    Only answers outside repeats are read. `asset_uids` limits the forms looked at.
    """
    conn = connection_of(db)
    s, a = SUBMISSION.c, ANSWER.c
    query = (
        select(
            s.id,
            s.asset_uid,
            s.kobo_id,
            s.submission_time,
            s.validation_status,
            a.path,
            a.value,
        )
        .join(ANSWER, a.submission_id == s.id)
        .where(s.deleted_at.is_(None), a.repeat_row_id.is_(None), a.path.in_(list(paths)))
        .order_by(s.id)
    )
    if asset_uids is not None:
        query = query.where(s.asset_uid.in_(list(asset_uids)))
    found: dict[int, SubmissionAnswers] = {}
    for row in conn.execute(query):
        item = found.get(row.id)
        if item is None:
            item = found[row.id] = SubmissionAnswers(
                row.id, row.asset_uid, row.kobo_id, row.submission_time, row.validation_status, {}
            )
        item.values[row.path] = row.value
    return list(found.values())
