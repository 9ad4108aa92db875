"""Submissions: bulk upsert of a page, edit history, answers, tombstones, fingerprints.

Every write here is set-based, never one ORM object at a time: one SELECT finds which of the
page's `_id`s are stored (and with which `_uuid` and content hash), then new rows go in with
ids reserved up front (COPY on PostgreSQL, one prepared INSERT executemany on SQLite; see
bulk.py), changed rows are rewritten by one UPDATE executemany, and their old answers are
removed with `DELETE ... WHERE submission_id IN (...)`. A page of 1000 submissions costs a
fixed, small number of statements.

The functions take a Connection (or a SQLModel Session) and do not commit: the caller's
transaction decides. `commit_page` is the one that opens and commits a transaction, holding
a page and the cursor together, so a sync killed at any point resumes without losing or
doubling a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    delete,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from nswp_survey.errors import SyncError
from nswp_survey.store.answers import flatten_submission
from nswp_survey.store.bulk import bulk_insert, convert_all, converters, param_mark, reserve_ids
from nswp_survey.store.db import connection_of, transaction
from nswp_survey.store.models import Answer, Attachment, RepeatRow, Submission, SubmissionVersion
from nswp_survey.store.rows import SubmissionRow, UpsertCounts, content_hash, dump_json
from nswp_survey.store.syncs import add_page_to_run, get_cursor, set_cursor
from nswp_survey.store.timestamps import utcnow

SUBMISSION = Submission.__table__
SUBMISSION_VERSION = SubmissionVersion.__table__
REPEAT_ROW = RepeatRow.__table__
ANSWER = Answer.__table__
ATTACHMENT = Attachment.__table__

# Columns an update rewrites on an existing submission (first_synced_at is kept).
_UPDATED_COLUMNS = (
    "uuid",
    "root_uuid",
    "instance_id",
    "deprecated_id",
    "version_uid",
    "submission_time",
    "validation_status",
    "validated_at",
    "submitted_by",
    "raw_json",
    "content_hash",
    "updated_at",
    "deleted_at",
)
ID_CHUNK = 900  # ids per `IN (...)`: well under SQLite's and PostgreSQL's parameter limits
STREAM_BATCH = 5000


@dataclass(frozen=True)
class _Existing:
    pk: int
    uuid: str
    content_hash: str
    deleted: bool


def _chunks(items: Sequence[Any], size: int = ID_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert_submissions(
    db: Connection | Session,
    asset_uid: str,
    rows: Iterable[SubmissionRow],
    *,
    now: datetime | None = None,
) -> UpsertCounts:
    """Insert new submissions and update changed ones, by Kobo `_id`, in bulk.

    A submission whose `_uuid` or content (hash of `raw`) differs from the stored one is
    updated: the stored version moves to `submission_version` first, and its answers, repeat
    rows and attachments are rewritten (a downloaded file's `local_path` is kept for an
    attachment uid that is still there). A stored submission that was tombstoned comes back
    to life (counted as updated). Unchanged submissions are not touched at all. When one
    `_id` appears twice in `rows`, the last one wins. The form must exist (`upsert_form`).
    Does not commit.
    """
    conn = connection_of(db)
    now = now or utcnow()
    by_id: dict[int, SubmissionRow] = {row.kobo_id: row for row in rows}
    if not by_id:
        return UpsertCounts()
    with _keyed_plans(conn):
        return _upsert(conn, asset_uid, by_id, now)


@contextmanager
def _keyed_plans(conn: Connection) -> Iterator[None]:
    """PostgreSQL: every statement of a page looks rows up by key, so use the indexes even
    when the planner's statistics lag behind a bulk load (before autovacuum's ANALYZE,
    it would scan the whole answer table for each page). Scoped to these statements.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    before = conn.exec_driver_sql("SELECT current_setting('enable_seqscan')").scalar_one()
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    yield
    conn.execute(text("SELECT set_config('enable_seqscan', :v, true)"), {"v": before})


def _upsert(
    conn: Connection, asset_uid: str, by_id: dict[int, SubmissionRow], now: datetime
) -> UpsertCounts:
    existing = _load_existing(conn, asset_uid, list(by_id))
    hashes = {kobo_id: content_hash(row.raw) for kobo_id, row in by_id.items()}

    new: list[int] = []
    changed: list[int] = []
    edited_pks: list[int] = []
    for kobo_id, row in by_id.items():
        old = existing.get(kobo_id)
        if old is None:
            new.append(kobo_id)
            continue
        differs = old.uuid != row.uuid or old.content_hash != hashes[kobo_id]
        if differs:
            edited_pks.append(old.pk)
        if differs or old.deleted:
            changed.append(kobo_id)
    unchanged = len(by_id) - len(new) - len(changed)
    if not new and not changed:
        return UpsertCounts(unchanged=unchanged)

    changed_pks = [existing[kobo_id].pk for kobo_id in changed]
    if edited_pks:
        _keep_earlier_versions(conn, edited_pks, now)
    kept_files = _clear_children(conn, changed_pks) if changed_pks else {}

    new_pks = reserve_ids(conn, SUBMISSION, len(new))
    written = [(pk, by_id[kobo_id]) for pk, kobo_id in zip(new_pks, new, strict=True)]
    _insert_submissions(conn, asset_uid, written, hashes, now)
    updated = [(existing[kobo_id].pk, by_id[kobo_id]) for kobo_id in changed]
    _update_submissions(conn, updated, hashes, now)
    _insert_children(conn, written + updated, kept_files)
    return UpsertCounts(new=len(new), updated=len(changed), unchanged=unchanged)


def _load_existing(conn: Connection, asset_uid: str, kobo_ids: list[int]) -> dict[int, _Existing]:
    found: dict[int, _Existing] = {}
    c = SUBMISSION.c
    for chunk in _chunks(kobo_ids):
        query = select(c.id, c.kobo_id, c.uuid, c.content_hash, c.deleted_at).where(
            c.asset_uid == asset_uid, c.kobo_id.in_(chunk)
        )
        for pk, kobo_id, uuid, digest, deleted_at in conn.execute(query):
            found[kobo_id] = _Existing(pk, uuid, digest, deleted_at is not None)
    return found


def _keep_earlier_versions(conn: Connection, pks: list[int], now: datetime) -> None:
    c = SUBMISSION.c
    for chunk in _chunks(pks):
        replaced_at = literal(now, SUBMISSION_VERSION.c.replaced_at.type)
        source = select(c.id, c.uuid, c.content_hash, c.raw_json, replaced_at).where(
            c.id.in_(chunk)
        )
        conn.execute(
            insert(SUBMISSION_VERSION).from_select(
                ["submission_id", "uuid", "content_hash", "raw_json", "replaced_at"], source
            )
        )


def _clear_children(conn: Connection, pks: list[int]) -> dict[tuple[int, str], str]:
    """Delete answers, repeat rows and attachments; return kept (pk, uid) -> local_path."""
    kept: dict[tuple[int, str], str] = {}
    a = ATTACHMENT.c
    for chunk in _chunks(pks):
        query = select(a.submission_id, a.uid, a.local_path).where(
            a.submission_id.in_(chunk), a.local_path.is_not(None)
        )
        for pk, uid, local_path in conn.execute(query):
            kept[(pk, uid)] = local_path
        conn.execute(delete(ANSWER).where(ANSWER.c.submission_id.in_(chunk)))
        conn.execute(delete(REPEAT_ROW).where(REPEAT_ROW.c.submission_id.in_(chunk)))
        conn.execute(delete(ATTACHMENT).where(a.submission_id.in_(chunk)))
    return kept


def _submission_values(row: SubmissionRow, digest: str, now: datetime) -> tuple[Any, ...]:
    """The values of _UPDATED_COLUMNS for one row."""
    return (
        row.uuid,
        row.root_uuid,
        row.instance_id,
        row.deprecated_id,
        row.version_uid,
        row.submission_time,
        row.validation_status,
        row.validated_at,
        row.submitted_by,
        dump_json(row.raw),
        digest,
        now,
        None,
    )


def _insert_submissions(
    conn: Connection,
    asset_uid: str,
    rows: list[tuple[int, SubmissionRow]],
    hashes: dict[int, str],
    now: datetime,
) -> None:
    columns = ("id", "asset_uid", "kobo_id", "first_synced_at", *_UPDATED_COLUMNS)
    values = [
        (pk, asset_uid, row.kobo_id, now, *_submission_values(row, hashes[row.kobo_id], now))
        for pk, row in rows
    ]
    bulk_insert(conn, SUBMISSION, columns, values)


def _update_submissions(
    conn: Connection,
    rows: list[tuple[int, SubmissionRow]],
    hashes: dict[int, str],
    now: datetime,
) -> None:
    if not rows:
        return
    mark = param_mark(conn)
    assignments = ", ".join(f"{name} = {mark}" for name in _UPDATED_COLUMNS)
    funcs = converters(conn, SUBMISSION, (*_UPDATED_COLUMNS, "id"))
    values = convert_all(
        funcs, [(*_submission_values(row, hashes[row.kobo_id], now), pk) for pk, row in rows]
    )
    conn.exec_driver_sql(f"UPDATE submission SET {assignments} WHERE id = {mark}", values)


def _insert_children(
    conn: Connection,
    items: list[tuple[int, SubmissionRow]],
    kept_files: dict[tuple[int, str], str],
) -> None:
    """Repeat rows (ids chosen here, so children can point at them), answers, attachments."""
    flat = [(pk, *flatten_submission(row.raw)) for pk, row in items]
    count = sum(len(nodes) for _, nodes, _ in flat)
    ids = iter(reserve_ids(conn, REPEAT_ROW, count))
    node_ids: dict[tuple[int, int], int] = {}
    repeat_rows: list[tuple[Any, ...]] = []
    for pk, nodes, _ in flat:
        for index, node in enumerate(nodes):  # parents come before their children
            row_id = node_ids[(pk, index)] = next(ids)
            parent = None if node.parent is None else node_ids[(pk, node.parent)]
            repeat_rows.append((row_id, pk, parent, node.path, node.position))
    bulk_insert(
        conn, REPEAT_ROW, ("id", "submission_id", "parent_id", "path", "position"), repeat_rows
    )

    answers = [
        (pk, None if node is None else node_ids[(pk, node)], path, value)
        for pk, _, flat_answers in flat
        for node, path, value in flat_answers
    ]
    bulk_insert(conn, ANSWER, ("submission_id", "repeat_row_id", "path", "value"), answers)

    attachments: dict[tuple[int, str], dict[str, Any]] = {}
    for pk, row in items:
        for att in row.attachments:
            attachments[(pk, att.uid)] = {
                "submission_id": pk,
                "uid": att.uid,
                "filename": att.filename,
                "mimetype": att.mimetype,
                "question_xpath": att.question_xpath,
                "download_url": att.download_url,
                "local_path": kept_files.get((pk, att.uid)),
                "is_deleted": att.is_deleted,
            }
    if attachments:
        conn.execute(insert(ATTACHMENT), list(attachments.values()))


def commit_page(
    engine: Engine,
    asset_uid: str,
    rows: Iterable[SubmissionRow],
    new_cursor: int | None,
    *,
    run_id: int | None = None,
    now: datetime | None = None,
) -> UpsertCounts:
    """Upsert one page and move the cursor, in ONE transaction: all of it, or none of it.

    The cursor only moves forward (an overlap page with lower ids leaves it where it is);
    `new_cursor=None` leaves it alone. With `run_id`, the run's counters grow in the same
    transaction, so a killed run still shows what it committed. Raises SyncError (the page
    and the cursor are then as they were before the call).
    """
    rows = list(rows)
    try:
        with transaction(engine) as conn:
            counts = upsert_submissions(conn, asset_uid, rows, now=now)
            if new_cursor is not None:
                current = get_cursor(conn, asset_uid)
                if current is None or new_cursor > current:
                    set_cursor(conn, asset_uid, new_cursor, now=now)
            if run_id is not None:
                add_page_to_run(conn, run_id, counts)
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as err:
        # (the driver's own errors come straight from COPY / executemany)
        detail = str(getattr(err, "orig", None) or err).splitlines()[0][:300]
        raise SyncError(
            f"could not store a page of {len(rows)} submissions of form {asset_uid} "
            f"(nothing of it was kept): {detail}"
        ) from err
    return counts


def tombstone_missing(
    db: Connection | Session,
    asset_uid: str,
    present_ids: Iterable[int],
    *,
    now: datetime | None = None,
) -> int:
    """Mark every live submission of the form whose `_id` is not in `present_ids` as deleted.

    For the reconciliation sweep: `present_ids` is every `_id` the server lists now. Returns
    how many were tombstoned now (already tombstoned ones are left as they are). Careful: an
    empty `present_ids` tombstones the whole form. Does not commit.
    """
    conn = connection_of(db)
    now = now or utcnow()
    present = set(present_ids)
    c = SUBMISSION.c
    live = (
        select(c.kobo_id)
        .where(c.asset_uid == asset_uid, c.deleted_at.is_(None))
        .execution_options(yield_per=STREAM_BATCH)
    )
    missing = [kobo_id for kobo_id in conn.execute(live).scalars() if kobo_id not in present]
    for chunk in _chunks(missing):
        conn.execute(
            update(SUBMISSION)
            .where(c.asset_uid == asset_uid, c.kobo_id.in_(chunk), c.deleted_at.is_(None))
            .values(deleted_at=now)
        )
    return len(missing)


def load_fingerprints(
    db: Connection | Session, asset_uid: str, *, include_deleted: bool = False
) -> dict[int, tuple[str, str | None]]:
    """`{kobo_id: (uuid, validation_status)}` of the form's stored submissions.

    Compare with a cheap `fields=["_id","_uuid","_validation_status"]` listing to find edits
    (changed `_uuid`), validation changes and deletions. Rows are streamed from the database
    in batches, so memory holds only the dict. Tombstoned ones are left out unless asked.
    """
    conn = connection_of(db)
    c = SUBMISSION.c
    query = select(c.kobo_id, c.uuid, c.validation_status).where(c.asset_uid == asset_uid)
    if not include_deleted:
        query = query.where(c.deleted_at.is_(None))
    result = conn.execute(query.execution_options(yield_per=STREAM_BATCH))
    return {kobo_id: (uuid, status) for kobo_id, uuid, status in result}
