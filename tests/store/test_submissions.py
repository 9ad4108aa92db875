"""Submissions: bulk upsert counts, edit history, answers, repeats, atomic pages, tombstones."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from nswp_survey.errors import SyncError
from nswp_survey.store import (
    AttachmentRow,
    SubmissionRow,
    UpsertCounts,
    commit_page,
    get_cursor,
    load_fingerprints,
    load_pending_attachments,
    session_scope,
    set_attachment_file,
    tombstone_missing,
    transaction,
    upsert_form,
    upsert_submissions,
)
from nswp_survey.store.models import Submission

MakeRow = Callable[..., SubmissionRow]
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
NESTED = SHARED / "kobo-recordings" / "submissions" / "nested_repeats_data.json"
T1 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def query(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def answers_of(engine: Engine, kobo_id: int) -> dict[str, str | None]:
    rows = query(
        engine,
        "SELECT a.path, a.value FROM answer a JOIN submission s ON s.id = a.submission_id "
        "WHERE s.kobo_id = :k AND a.repeat_row_id IS NULL",
        k=kobo_id,
    )
    return dict(rows)  # type: ignore[arg-type]


def test_first_page_is_all_new(engine: Engine, asset: str, make_row: MakeRow) -> None:
    rows = [make_row(i, org="A", region="africa") for i in (1, 2, 3)]
    with transaction(engine) as conn:
        assert upsert_submissions(conn, asset, rows, now=T1) == UpsertCounts(new=3)
    stored = query(
        engine,
        "SELECT kobo_id, uuid, root_uuid, version_uid, submitted_by, submission_time "
        "FROM submission ORDER BY kobo_id",
    )
    assert [r[:5] for r in stored] == [
        (i, f"uuid-{i}", f"root-{i}", "vVersion1", "member1") for i in (1, 2, 3)
    ]
    assert answers_of(engine, 2) == {"org": "A", "region": "africa"}


def test_counts_new_updated_unchanged_worked_out_by_hand(
    engine: Engine, asset: str, make_row: MakeRow
) -> None:
    with transaction(engine) as conn:
        upsert_submissions(conn, asset, [make_row(i, org="A") for i in (1, 2, 3, 4)], now=T1)
    page = [
        make_row(1, org="A"),  # same as stored: unchanged
        make_row(2, uuid="uuid-2-edited", org="B"),  # edited (new _uuid): updated
        make_row(3, org="C"),  # same _uuid, other content (e.g. validation): updated
        make_row(4, org="A"),  # unchanged
        make_row(5, org="E"),  # new
        make_row(6, org="F"),  # new
    ]
    with transaction(engine) as conn:
        counts = upsert_submissions(conn, asset, page, now=T2)
    assert counts == UpsertCounts(new=2, updated=2, unchanged=2)
    assert counts.total == 6
    changed = query(engine, "SELECT kobo_id FROM submission WHERE updated_at > first_synced_at")
    assert sorted(r[0] for r in changed) == [2, 3]
    with transaction(engine) as conn:
        again = upsert_submissions(conn, asset, page, now=T2)
    assert again == UpsertCounts(unchanged=6)


def test_an_edit_keeps_the_earlier_version_and_rewrites_answers(
    engine: Engine, asset: str, make_row: MakeRow
) -> None:
    original = make_row(9, uuid="first", org="Old name", kids=[{"kids/name": "A"}])
    with transaction(engine) as conn:
        upsert_submissions(conn, asset, [original], now=T1)
    edited = make_row(9, uuid="second", org="New name", kids=[{"kids/name": "B"}])
    with transaction(engine) as conn:
        assert upsert_submissions(conn, asset, [edited], now=T2) == UpsertCounts(updated=1)

    assert query(engine, "SELECT uuid, first_synced_at < updated_at FROM submission") == [
        ("second", True)
    ]
    history = query(engine, "SELECT uuid, raw_json FROM submission_version")
    assert len(history) == 1
    assert history[0][0] == "first"
    assert json.loads(history[0][1])["org"] == "Old name"
    assert answers_of(engine, 9) == {"org": "New name"}
    assert query(engine, "SELECT path, value FROM answer WHERE repeat_row_id IS NOT NULL") == [
        ("kids/name", "B")
    ]
    assert query(engine, "SELECT count(*) FROM repeat_row") == [(1,)]


def test_raw_json_is_kept_whole(engine: Engine, asset: str, make_row: MakeRow) -> None:
    row = make_row(1, name="Zoë", note="line\n  kept  ")
    with transaction(engine) as conn:
        upsert_submissions(conn, asset, [row])
    (stored,) = query(engine, "SELECT raw_json FROM submission")
    assert json.loads(stored[0]) == row.raw
    assert list(json.loads(stored[0])) == list(row.raw)  # key order as received


def test_last_duplicate_in_a_page_wins(engine: Engine, asset: str, make_row: MakeRow) -> None:
    page = [make_row(1, org="first"), make_row(1, org="second")]
    with transaction(engine) as conn:
        assert upsert_submissions(conn, asset, page) == UpsertCounts(new=1)
    assert answers_of(engine, 1) == {"org": "second"}


@pytest.mark.skipif(not NESTED.is_file(), reason=f"shared recordings not found at {NESTED}")
def test_nested_repeats_are_linked_to_their_parents(
    engine: Engine, from_raw: Callable[[dict[str, Any]], SubmissionRow]
) -> None:
    body = json.loads(NESTED.read_text(encoding="utf-8"))["body"]
    rows = [from_raw(raw) for raw in body["results"]]
    asset = rows[0].raw["_xform_id_string"]
    with transaction(engine) as conn:
        upsert_form(conn, asset, name="nested_repeats")
        assert upsert_submissions(conn, asset, rows) == UpsertCounts(new=2)

    kids = query(
        engine,
        "SELECT r.id, r.position, a.value FROM repeat_row r "
        "JOIN submission s ON s.id = r.submission_id "
        "JOIN answer a ON a.repeat_row_id = r.id AND a.path = 'kids/kids_details/kids_name' "
        "WHERE s.kobo_id = 8 AND r.path = 'kids/kids_details' AND r.parent_id IS NULL "
        "ORDER BY r.position",
    )
    assert [(pos, name) for _, pos, name in kids] == [(0, "Tom"), (1, "Dick"), (2, "Harry")]
    dick_id = kids[1][0]
    shots = query(
        engine,
        "SELECT r.position, a.value FROM repeat_row r JOIN answer a ON a.repeat_row_id = r.id "
        "WHERE r.parent_id = :p AND r.path = 'kids/kids_details/kids_immunization' "
        "ORDER BY r.position",
        p=dick_id,
    )
    assert shots == [(0, "Measles"), (1, "Flu"), (2, "Anemia")]
    # Every nested row's parent belongs to the same submission.
    assert query(
        engine,
        "SELECT count(*) FROM repeat_row c JOIN repeat_row p ON p.id = c.parent_id "
        "WHERE c.submission_id <> p.submission_id",
    ) == [(0,)]
    assert query(engine, "SELECT count(*) FROM repeat_row") == [(5 + 11,)]
    assert answers_of(engine, 7) == {
        "kids/has_kids": "1",
        "kids/nested_group/nested_name": "The Witch",
        "kids/nested_group/nested_age": "45",
        "address": "1234",
        "gps": "-1.2627557 36.7926442 0.0 30.0",
        "web_browsers": "ie safari",
    }


def test_commit_page_stores_rows_and_cursor_together(
    engine: Engine, asset: str, make_row: MakeRow
) -> None:
    counts = commit_page(engine, asset, [make_row(i) for i in (10, 11)], 11)
    assert counts == UpsertCounts(new=2)
    with engine.connect() as conn:
        assert get_cursor(conn, asset) == 11
    # An overlap page with lower ids never moves the cursor back.
    commit_page(engine, asset, [make_row(9), make_row(10)], 10)
    with engine.connect() as conn:
        assert get_cursor(conn, asset) == 11


def test_commit_page_is_all_or_nothing(engine: Engine, asset: str, make_row: MakeRow) -> None:
    commit_page(engine, asset, [make_row(i, org="v1") for i in (1, 2, 3)], 3)
    before = query(engine, "SELECT kobo_id, uuid, raw_json FROM submission ORDER BY kobo_id")
    answers_before = query(engine, "SELECT submission_id, path, value FROM answer ORDER BY id")
    bad = replace(make_row(5), uuid=None)  # violates NOT NULL, in the middle of the page
    page = [make_row(1, uuid="edited-1", org="v2"), make_row(4), bad, make_row(6)]

    with pytest.raises(SyncError, match="nothing of it was kept"):
        commit_page(engine, asset, page, 6)

    assert query(engine, "SELECT kobo_id, uuid, raw_json FROM submission ORDER BY kobo_id") == (
        before
    )
    assert query(engine, "SELECT submission_id, path, value FROM answer ORDER BY id") == (
        answers_before
    )
    assert query(engine, "SELECT count(*) FROM submission_version") == [(0,)]
    with engine.connect() as conn:
        assert get_cursor(conn, asset) == 3


def test_tombstones_mark_missing_ids_once(engine: Engine, asset: str, make_row: MakeRow) -> None:
    commit_page(engine, asset, [make_row(i) for i in range(1, 6)], 5)
    with transaction(engine) as conn:
        assert tombstone_missing(conn, asset, [1, 3, 5], now=T2) == 2
    with transaction(engine) as conn:
        assert tombstone_missing(conn, asset, [1, 3, 5]) == 0
    deleted = query(
        engine, "SELECT kobo_id, deleted_at FROM submission WHERE deleted_at IS NOT NULL"
    )
    assert sorted(r[0] for r in deleted) == [2, 4]
    with engine.connect() as conn:
        assert set(load_fingerprints(conn, asset)) == {1, 3, 5}
        assert set(load_fingerprints(conn, asset, include_deleted=True)) == {1, 2, 3, 4, 5}


def test_a_tombstoned_submission_that_comes_back_is_restored(
    engine: Engine, asset: str, make_row: MakeRow
) -> None:
    commit_page(engine, asset, [make_row(1), make_row(2)], 2)
    with transaction(engine) as conn:
        tombstone_missing(conn, asset, [1])
    assert commit_page(engine, asset, [make_row(2)], 2) == UpsertCounts(updated=1)
    assert query(engine, "SELECT count(*) FROM submission WHERE deleted_at IS NULL") == [(2,)]
    assert query(engine, "SELECT count(*) FROM submission_version") == [(0,)]


def test_fingerprints_hold_uuid_and_validation_status(
    engine: Engine, asset: str, make_row: MakeRow
) -> None:
    approved = {"uid": "validation_status_approved", "timestamp": 1772366400}
    rows = [make_row(1), make_row(2, _validation_status=approved)]
    commit_page(engine, asset, rows, 2)
    with engine.connect() as conn:
        assert load_fingerprints(conn, asset) == {
            1: ("uuid-1", None),
            2: ("uuid-2", "validation_status_approved"),
        }
    with session_scope(engine) as session:
        stored = session.exec(select(Submission).where(Submission.kobo_id == 2)).one()
    assert stored.validated_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert stored.submission_time == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_other_forms_are_left_alone(engine: Engine, asset: str, make_row: MakeRow) -> None:
    with transaction(engine) as conn:
        upsert_form(conn, "aOtherForm")
    commit_page(engine, asset, [make_row(1)], 1)
    commit_page(engine, "aOtherForm", [make_row(1), make_row(2)], 2)
    with transaction(engine) as conn:
        assert tombstone_missing(conn, asset, []) == 1
    with engine.connect() as conn:
        assert set(load_fingerprints(conn, "aOtherForm")) == {1, 2}
        assert get_cursor(conn, asset) == 1


def test_attachments_keep_their_downloaded_file_across_edits(
    engine: Engine, asset: str, make_row: MakeRow
) -> None:
    photo = AttachmentRow(uid="att1", filename="u/attachments/x/photo.jpg", mimetype="image/jpeg")
    doc = AttachmentRow(uid="att2", filename="u/attachments/x/doc.pdf")
    commit_page(engine, asset, [replace(make_row(1), attachments=(photo, doc))], 1)
    with engine.connect() as conn:
        pending = load_pending_attachments(conn, asset)
    assert [(p.kobo_id, p.uid) for p in pending] == [(1, "att1"), (1, "att2")]
    with transaction(engine) as conn:
        set_attachment_file(conn, pending[0].id, "files/photo.jpg")

    edited = replace(make_row(1, uuid="edited", org="x"), attachments=(photo,))
    assert commit_page(engine, asset, [edited], 1) == UpsertCounts(updated=1)
    assert query(engine, "SELECT uid, local_path FROM attachment") == [("att1", "files/photo.jpg")]
    with engine.connect() as conn:
        assert load_pending_attachments(conn, asset) == []


def test_a_page_for_an_unknown_form_is_refused(engine: Engine, make_row: MakeRow) -> None:
    with pytest.raises(SyncError, match="aNeverRecorded"):
        commit_page(engine, "aNeverRecorded", [make_row(1)], 1)
