"""Sync bookkeeping: the per-form cursor and the log of sync runs.

The cursor is the highest Kobo `_id` committed for a form; `commit_page` moves it in the same
transaction as the page. A run row is written (and committed by the caller) when a run
starts, so a run that dies shows as "running" until the next `start_run` for that form
marks it failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, select, update
from sqlmodel import Session

from nswp_survey.errors import redact_text
from nswp_survey.store.db import connection_of, upsert_insert
from nswp_survey.store.models import RUN_STATUSES, SyncRun, SyncState
from nswp_survey.store.rows import UpsertCounts
from nswp_survey.store.timestamps import utcnow

SYNC_STATE = SyncState.__table__
SYNC_RUN = SyncRun.__table__
RunStatus = Literal["running", "ok", "failed", "partial"]
INTERRUPTED = "interrupted: the process ended before the run finished"


def get_cursor(db: Connection | Session, asset_uid: str) -> int | None:
    """The highest `_id` committed for the form; None before its first page."""
    conn = connection_of(db)
    query = select(SYNC_STATE.c.cursor).where(SYNC_STATE.c.asset_uid == asset_uid)
    return conn.execute(query).scalar_one_or_none()


def set_cursor(
    db: Connection | Session, asset_uid: str, cursor: int | None, *, now: datetime | None = None
) -> None:
    """Set the form's cursor to exactly `cursor` (None starts over). Does not commit."""
    conn = connection_of(db)
    now = now or utcnow()
    stmt = upsert_insert(conn, SYNC_STATE).values(
        asset_uid=asset_uid, cursor=cursor, runs_since_reconcile=0, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[SYNC_STATE.c.asset_uid],
        set_={"cursor": stmt.excluded.cursor, "updated_at": stmt.excluded.updated_at},
    )
    conn.execute(stmt)


def load_sync_state(db: Connection | Session, asset_uid: str) -> SyncState | None:
    """The form's sync state (cursor, last success, runs since the last reconciliation)."""
    conn = connection_of(db)
    row = conn.execute(select(SYNC_STATE).where(SYNC_STATE.c.asset_uid == asset_uid)).first()
    return None if row is None else SyncState(**row._mapping)


def start_run(db: Connection | Session, asset_uid: str, *, now: datetime | None = None) -> int:
    """Record a run of the form as started; return its id. Does not commit.

    Call it holding the sync lock: any other run of the form still marked "running" is then
    a run whose process died, and is marked failed.
    """
    conn = connection_of(db)
    now = now or utcnow()
    r = SYNC_RUN.c
    conn.execute(
        update(SYNC_RUN)
        .where(r.asset_uid == asset_uid, r.status == "running")
        .values(status="failed", finished_at=now, error=INTERRUPTED)
    )
    stmt = (
        SYNC_RUN.insert()
        .values(
            asset_uid=asset_uid,
            started_at=now,
            status="running",
            new=0,
            updated=0,
            deleted=0,
            unchanged=0,
            pages=0,
        )
        .returning(r.id)
    )
    return conn.execute(stmt).scalar_one()


def add_page_to_run(db: Connection | Session, run_id: int, counts: UpsertCounts) -> None:
    """Add one committed page's counts to the run (commit_page does it in its transaction)."""
    conn = connection_of(db)
    r = SYNC_RUN.c
    conn.execute(
        update(SYNC_RUN)
        .where(r.id == run_id)
        .values(
            new=r.new + counts.new,
            updated=r.updated + counts.updated,
            unchanged=r.unchanged + counts.unchanged,
            pages=r.pages + 1,
        )
    )


def finish_run(
    db: Connection | Session,
    run_id: int,
    status: RunStatus,
    *,
    deleted: int = 0,
    error: str | None = None,
    reconciled: bool = False,
    now: datetime | None = None,
) -> None:
    """Close a run with its final status, tombstone count and error text. Does not commit.

    When `status` is "ok", the form's sync state records the success: `last_success_at`,
    and `runs_since_reconcile` reset to 0 if this run `reconciled` (swept for deletions and
    edits), else increased by 1. The error text is stored with token-like strings masked.
    """
    if status not in RUN_STATUSES or status == "running":
        raise ValueError(f"a run finishes as ok, failed or partial, not {status!r}")
    conn = connection_of(db)
    now = now or utcnow()
    r = SYNC_RUN.c
    asset_uid = conn.execute(
        update(SYNC_RUN)
        .where(r.id == run_id)
        .values(
            status=status,
            finished_at=now,
            deleted=r.deleted + deleted,
            error=None if error is None else redact_text(error),
        )
        .returning(r.asset_uid)
    ).scalar_one_or_none()
    if asset_uid is None:
        raise ValueError(f"no sync run with id {run_id}")
    if status != "ok":
        return
    s = SYNC_STATE.c
    stmt = upsert_insert(conn, SYNC_STATE).values(
        asset_uid=asset_uid,
        cursor=None,
        runs_since_reconcile=0 if reconciled else 1,
        last_success_at=now,
        last_reconcile_at=now if reconciled else None,
        updated_at=now,
    )
    changes = {
        "last_success_at": stmt.excluded.last_success_at,
        "updated_at": stmt.excluded.updated_at,
        "runs_since_reconcile": 0 if reconciled else s.runs_since_reconcile + 1,
    }
    if reconciled:
        changes["last_reconcile_at"] = stmt.excluded.last_reconcile_at
    conn.execute(stmt.on_conflict_do_update(index_elements=[s.asset_uid], set_=changes))


def last_runs(
    db: Connection | Session, limit: int = 20, *, asset_uid: str | None = None
) -> list[SyncRun]:
    """The most recent runs, newest first (all forms, or one)."""
    conn = connection_of(db)
    query = select(SYNC_RUN).order_by(SYNC_RUN.c.started_at.desc(), SYNC_RUN.c.id.desc())
    if asset_uid is not None:
        query = query.where(SYNC_RUN.c.asset_uid == asset_uid)
    return [SyncRun(**row._mapping) for row in conn.execute(query.limit(limit))]
