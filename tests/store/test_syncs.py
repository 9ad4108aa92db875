"""Sync bookkeeping: cursor, runs and their counts, success and reconciliation state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from nswp_survey.store import (
    SubmissionRow,
    commit_page,
    finish_run,
    get_cursor,
    last_runs,
    load_sync_state,
    set_cursor,
    start_run,
    transaction,
)
from nswp_survey.store.syncs import INTERRUPTED

T1 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def test_cursor_starts_empty_and_can_be_set(engine: Engine, asset: str) -> None:
    with transaction(engine) as conn:
        assert get_cursor(conn, asset) is None
        set_cursor(conn, asset, 1500)
    with transaction(engine) as conn:
        assert get_cursor(conn, asset) == 1500
        set_cursor(conn, asset, None)
    with engine.connect() as conn:
        assert get_cursor(conn, asset) is None


def test_a_run_adds_up_its_committed_pages(
    engine: Engine, asset: str, make_row: Callable[..., SubmissionRow]
) -> None:
    with transaction(engine) as conn:
        run_id = start_run(conn, asset, now=T1)
    commit_page(engine, asset, [make_row(1), make_row(2)], 2, run_id=run_id)
    commit_page(engine, asset, [make_row(2, org="changed"), make_row(3)], 3, run_id=run_id)
    with transaction(engine) as conn:
        finish_run(conn, run_id, "ok", deleted=4, now=T2)
    with engine.connect() as conn:
        (run,) = last_runs(conn)
    assert (run.status, run.new, run.updated, run.unchanged, run.deleted, run.pages) == (
        "ok",
        3,
        1,
        0,
        4,
        2,
    )
    assert (run.started_at, run.finished_at, run.error) == (T1, T2, None)


def test_a_run_whose_process_died_is_marked_failed_by_the_next(engine: Engine, asset: str) -> None:
    with transaction(engine) as conn:
        dead = start_run(conn, asset, now=T1)
    with transaction(engine) as conn:
        alive = start_run(conn, asset, now=T2)
    with engine.connect() as conn:
        runs = {run.id: run for run in last_runs(conn, asset_uid=asset)}
    assert (runs[dead].status, runs[dead].error, runs[dead].finished_at) == (
        "failed",
        INTERRUPTED,
        T2,
    )
    assert runs[alive].status == "running"


def test_failed_runs_keep_their_error_without_tokens(engine: Engine, asset: str) -> None:
    with transaction(engine) as conn:
        run_id = start_run(conn, asset)
        finish_run(
            conn,
            run_id,
            "failed",
            error="401 with header Token " + "0123456789abcdef" * 2 + "01234567",
        )
    with engine.connect() as conn:
        (run,) = last_runs(conn)
        assert load_sync_state(conn, asset) is None  # a failure is not a success
    assert run.status == "failed"
    assert run.error == "401 with header Token ***"


def test_success_and_reconciliation_are_counted(engine: Engine, asset: str) -> None:
    for when, reconciled in ((T1, True), (T2, False), (T3, False)):
        with transaction(engine) as conn:
            run_id = start_run(conn, asset, now=when)
            finish_run(conn, run_id, "ok", reconciled=reconciled, now=when)
    with engine.connect() as conn:
        state = load_sync_state(conn, asset)
    assert state is not None
    assert (state.last_success_at, state.last_reconcile_at, state.runs_since_reconcile) == (
        T3,
        T1,
        2,
    )


def test_last_runs_lists_newest_first_and_filters_by_form(engine: Engine, asset: str) -> None:
    with transaction(engine) as conn:
        start_run(conn, "aOther", now=T1)
        start_run(conn, asset, now=T2)
        start_run(conn, "aOther", now=T3)
    with engine.connect() as conn:
        assert [(r.asset_uid, r.started_at) for r in last_runs(conn, 2)] == [
            ("aOther", T3),
            (asset, T2),
        ]
        assert [r.started_at for r in last_runs(conn, asset_uid="aOther")] == [T3, T1]


def test_a_run_cannot_finish_as_running(engine: Engine, asset: str) -> None:
    with transaction(engine) as conn:
        run_id = start_run(conn, asset)
        with pytest.raises(ValueError, match="not 'running'"):
            finish_run(conn, run_id, "running")  # type: ignore[arg-type]
