"""Syncs against a sandbox over real HTTP into SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from nswp_tests_pulse import Survey, client_for  # tests/pulse.py, loaded by tests/conftest.py
from sqlalchemy import Engine, func, select

from nswp_survey.errors import ConfigError, SyncError
from nswp_survey.sandbox import Faults, SandboxServer
from nswp_survey.store import acquire_sync_lock, get_cursor, last_runs, transaction
from nswp_survey.store.models import Submission, SubmissionVersion
from nswp_survey.sync import SyncOptions, sync_forms

SUB = Submission.__table__.c


def stored_ids(engine: Engine, asset_uid: str, *, live: bool = True) -> list[int]:
    query = select(SUB.kobo_id).where(SUB.asset_uid == asset_uid).order_by(SUB.kobo_id)
    if live:
        query = query.where(SUB.deleted_at.is_(None))
    with transaction(engine) as conn:
        return list(conn.execute(query).scalars())


def run(server: SandboxServer, engine: Engine, survey: Survey, **options: object):
    with client_for(
        server.url, server.token, page_size=int(options.pop("page_size", 10))
    ) as client:  # type: ignore[call-overload]
        return sync_forms(client, engine, [survey.asset_uid], SyncOptions(**options))[0]  # type: ignore[arg-type]


def test_first_sync_commits_page_by_page_and_moves_the_cursor(
    sandbox: SandboxServer, engine: Engine, survey: Survey
) -> None:
    survey.add(25)
    result = run(sandbox, engine, survey, reconcile=False)
    assert (result.new, result.updated, result.unchanged, result.deleted) == (25, 0, 0, 0)
    assert result.pages == 3  # 10 + 10 + 5
    ids = survey.server_ids()
    assert stored_ids(engine, survey.asset_uid) == ids
    with transaction(engine) as conn:
        assert get_cursor(conn, survey.asset_uid) == max(ids)
        runs = last_runs(conn, 1)
    assert (runs[0].status, runs[0].new, runs[0].pages) == ("ok", 25, 3)


def test_a_sync_with_nothing_new_makes_one_data_request(
    sandbox: SandboxServer, engine: Engine, survey: Survey
) -> None:
    survey.add(30)
    run(sandbox, engine, survey, reconcile=False, page_size=1000)
    sandbox.stats.reset()
    result = run(sandbox, engine, survey, reconcile=False, page_size=1000, overlap=5)
    assert (result.new, result.updated, result.unchanged) == (0, 0, 5)  # the overlap window
    assert sandbox.stats.to_json()["by_kind"]["data"] == 1


def test_new_submissions_after_the_cursor_are_added(
    sandbox: SandboxServer, engine: Engine, survey: Survey
) -> None:
    survey.add(12)
    run(sandbox, engine, survey, reconcile=False)
    survey.add(7)
    result = run(sandbox, engine, survey, reconcile=False, overlap=0)
    assert (result.new, result.unchanged) == (7, 0)
    assert stored_ids(engine, survey.asset_uid) == survey.server_ids()


def test_reconcile_updates_edits_keeps_old_version_and_tombstones_deletes(
    sandbox: SandboxServer, engine: Engine, survey: Survey
) -> None:
    survey.add(6)
    run(sandbox, engine, survey, reconcile=False)
    with client_for(sandbox.url, sandbox.token) as client:
        subs = list(client.submissions.iter_submissions(survey.asset_uid))
        edited, deleted, approved = subs[0], subs[1], subs[2]
        import random

        from nswp_survey.synthetic import pulse_answers

        answers = {**pulse_answers(random.Random(0), 0), "consent": "no"}
        from nswp_survey.forms.xform import build_instance

        client.openrosa.submit(
            build_instance(
                survey.xform,
                answers,
                instance_id="99999999-0000-4000-8000-000000000001",
                deprecated_id=edited.instance_id,
            )
        )
        client.submissions.delete(survey.asset_uid, deleted.id)
        client.submissions.set_validation_status(
            survey.asset_uid, approved.id, "validation_status_approved"
        )
    result = run(sandbox, engine, survey, reconcile=True, overlap=0)
    assert result.reconciled
    assert (result.new, result.updated, result.deleted) == (0, 2, 1)
    assert stored_ids(engine, survey.asset_uid) == survey.server_ids()
    assert deleted.id in stored_ids(engine, survey.asset_uid, live=False)
    with transaction(engine) as conn:
        row = conn.execute(select(Submission.__table__).where(SUB.kobo_id == edited.id)).one()
        assert row.uuid == "99999999-0000-4000-8000-000000000001"
        assert row.root_uuid == edited.root_uuid
        kept = (
            conn.execute(
                select(SubmissionVersion.__table__.c.uuid).where(
                    SubmissionVersion.__table__.c.submission_id == row.id
                )
            )
            .scalars()
            .all()
        )
        assert kept == [edited.uuid]
        status = conn.execute(
            select(SUB.validation_status).where(SUB.kobo_id == approved.id)
        ).scalar_one()
        assert status == "validation_status_approved"


def test_sync_under_injected_faults_ends_with_exactly_the_servers_records(
    sandbox: SandboxServer, engine: Engine, survey: Survey
) -> None:
    survey.add(57)
    sandbox.set_faults(
        Faults(
            error_rate=0.15,
            throttle_rate=0.1,
            drop_rate=0.1,
            seed=11,
            script=["503", "429", "drop", "drop_midbody", "truncate"],
        )
    )
    with client_for(sandbox.url, sandbox.token, page_size=7, max_retries=12) as client:
        result = sync_forms(client, engine, [survey.asset_uid], SyncOptions(reconcile=True))[0]
    sandbox.set_faults(Faults())
    assert result.new == 57
    assert stored_ids(engine, survey.asset_uid) == survey.server_ids()
    assert sandbox.stats.to_json()["faults"]  # faults really were injected


def test_a_second_sync_while_one_runs_is_refused(
    sandbox: SandboxServer, engine: Engine, survey: Survey
) -> None:
    survey.add(3)
    with acquire_sync_lock(engine), pytest.raises(SyncError) as info:
        run(sandbox, engine, survey)
    assert "another" in str(info.value)
    with transaction(engine) as conn:
        assert conn.execute(select(func.count()).select_from(Submission.__table__)).scalar() == 0


def test_a_failed_sync_keeps_committed_pages_and_says_so(
    sandbox: SandboxServer, engine: Engine, survey: Survey
) -> None:
    survey.add(30)
    # asset, versions, version detail, pages 1-2 succeed; then 503 beyond the retry bound.
    sandbox.set_faults(Faults(script=["ok"] * 5 + ["503"] * 10))
    with (
        client_for(sandbox.url, sandbox.token, page_size=10, max_retries=2) as client,
        pytest.raises(SyncError) as info,
    ):
        sync_forms(client, engine, [survey.asset_uid], SyncOptions(reconcile=False))
    sandbox.set_faults(Faults())
    assert "(2 page(s), 20 new submission(s), were committed and are kept" in str(info.value)
    kept = stored_ids(engine, survey.asset_uid)
    assert kept and len(kept) % 10 == 0 and len(kept) < 30
    with transaction(engine) as conn:
        assert last_runs(conn, 1)[0].status == "failed"
    result = run(sandbox, engine, survey, reconcile=False, overlap=0)
    assert result.new == 30 - len(kept)
    assert stored_ids(engine, survey.asset_uid) == survey.server_ids()


def test_no_configured_form_is_a_clear_error(sandbox: SandboxServer, engine: Engine) -> None:
    with (
        client_for(sandbox.url, sandbox.token) as client,
        pytest.raises(ConfigError, match=r"kobo\.asset_uids"),
    ):
        sync_forms(client, engine, [], SyncOptions())


def test_an_unexpected_error_still_closes_the_run_as_failed(
    sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(3)

    @contextmanager
    def broken_terminal(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        def advance(n: int) -> None:
            raise BrokenPipeError("the terminal went away")

        yield advance

    with client_for(sandbox.url, sandbox.token) as client, pytest.raises(BrokenPipeError):
        sync_forms(client, engine, [survey.asset_uid], progress=broken_terminal)
    with transaction(engine) as conn:
        (run,) = last_runs(conn, 1)
    assert run.status == "failed"  # not left "running" until the next sync
    assert run.error == "stopped by an unexpected BrokenPipeError: the terminal went away"
