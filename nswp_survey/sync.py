"""Kobo -> store: incremental, reconciled, crash-safe syncs of each configured form.

An incremental run asks for submissions with `_id` above the stored cursor minus an overlap
window (KPI can make a slow submission with a lower `_id` visible after a higher one,
kpi-api.md §5), page by page by `_id`, and commits each page together with the cursor in one
transaction: a run killed anywhere resumes from the last committed page, and upserts by `_id`
make re-reading harmless. Kobo has no modified-at field and deletes for good, so a
reconciliation sweep lists only `_id`, `_uuid` and validation status of every submission,
re-fetches those whose `_uuid` (an edit) or status changed (or that were never stored, as a
page may skip one), and tombstones the ids that are gone. Only one sync runs at a time
(`acquire_sync_lock`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from nswp_survey.attachments import download_attachments
from nswp_survey.errors import ConfigError, NswpError, StoreError, SyncError
from nswp_survey.kobo import KoboClient
from nswp_survey.kobo.models import Submission
from nswp_survey.prefetch import prefetch
from nswp_survey.progress import ProgressFactory, no_progress
from nswp_survey.store import (
    AttachmentRow,
    SubmissionRow,
    UpsertCounts,
    acquire_sync_lock,
    commit_page,
    database_error,
    finish_run,
    get_cursor,
    last_runs,
    load_fingerprints,
    load_form_versions,
    load_sync_state,
    record_form_version,
    start_run,
    tombstone_missing,
    transaction,
    upsert_form,
)

log = logging.getLogger(__name__)

SWEEP_FIELDS = ("_id", "_uuid", "_validation_status")
STOPPED = "interrupted (Ctrl-C or SIGTERM); committed pages are kept, the next sync resumes"
REFETCH_CHUNK = 500  # ids per `$in` query when re-fetching edited submissions


@dataclass(frozen=True)
class SyncOptions:
    """How a run behaves; the defaults come from the [sync] section of the configuration."""

    full: bool = False
    reconcile: bool | None = None  # None: when `reconcile_every` runs have passed
    overlap: int = 1000
    reconcile_every: int = 24
    page_size: int | None = None
    lock_timeout: float = 0.0
    attachments_dir: str | None = None  # also download attachment files here (None: don't)


@dataclass(frozen=True)
class SyncResult:
    """What one form's run did."""

    asset_uid: str
    run_id: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    pages: int = 0
    reconciled: bool = False
    cursor: int | None = None
    seconds: float = 0.0
    files: int = 0
    files_failed: int = 0

    def summary(self) -> str:
        sweep = ", reconciled" if self.reconciled else ""
        files = f", {self.files} file(s) downloaded" if self.files else ""
        if self.files_failed:
            files += f", {self.files_failed} file(s) not downloaded (retried next sync)"
        return (
            f"{self.asset_uid}: {self.new} new, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged in {self.pages} page(s){sweep}{files}, "
            f"{self.seconds:.1f} s"
        )


def to_row(sub: Submission) -> SubmissionRow:
    """The store's view of a Kobo submission (the raw JSON travels whole)."""
    return SubmissionRow(
        kobo_id=sub.id,
        uuid=sub.uuid or sub.root_uuid or str(sub.id),
        raw=sub.raw,
        root_uuid=sub.root_uuid,
        instance_id=sub.instance_id,
        deprecated_id=sub.deprecated_id,
        version_uid=sub.version,
        submission_time=sub.submission_time,
        validation_status=sub.validation_status,
        submitted_by=sub.submitted_by,
        attachments=tuple(
            AttachmentRow(
                uid=a.uid,
                filename=a.filename,
                mimetype=a.mimetype,
                question_xpath=a.question_xpath,
                download_url=a.download_url,
                is_deleted=a.is_deleted,
            )
            for a in sub.attachments
        ),
    )


def sync_forms(
    client: KoboClient,
    engine: Engine,
    asset_uids: Sequence[str],
    options: SyncOptions = SyncOptions(),
    *,
    progress: ProgressFactory = no_progress,
) -> list[SyncResult]:
    """Sync each form in turn under the one-sync-at-a-time lock.

    Raises ConfigError when there is no form to sync, SyncError when a form's run fails
    (what was committed is kept), StoreError when the database cannot be reached or written
    (a run marked "running" then shows as interrupted at the next start).
    """
    if not asset_uids:  # nothing went wrong yet: the configuration names nothing (exit 2)
        raise ConfigError(
            "no form to sync: deploy one with nswp-survey deploy, or set kobo.asset_uids in "
            "the configuration"
        )
    try:
        with acquire_sync_lock(engine, timeout=options.lock_timeout):
            return [
                sync_form(client, engine, uid, options, progress=progress) for uid in asset_uids
            ]
    except DBAPIError as err:  # the database went away mid-run; committed pages are kept
        raise database_error(err, engine.url) from err


def sync_form(
    client: KoboClient,
    engine: Engine,
    asset_uid: str,
    options: SyncOptions = SyncOptions(),
    *,
    progress: ProgressFactory = no_progress,
) -> SyncResult:
    """One run for one form. The caller holds the sync lock (see `sync_forms`)."""
    started = time.perf_counter()
    with transaction(engine) as conn:
        run_id = start_run(conn, asset_uid)
    result = SyncResult(asset_uid=asset_uid, run_id=run_id)
    try:
        _record_form(client, engine, asset_uid)
        result = _pull(client, engine, result, options, progress)
        if _should_reconcile(engine, asset_uid, options):
            result = _reconcile(client, engine, result, options, progress)
        if options.attachments_dir:
            done, failed = download_attachments(
                client, engine, asset_uid, Path(options.attachments_dir), progress=progress
            )
            result = replace(result, files=done, files_failed=failed)
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM, see cli/sync.py): close the run now
        with transaction(engine) as conn:
            finish_run(conn, run_id, "failed", deleted=result.deleted, error=STOPPED)
        raise
    except StoreError:  # the database itself failed: the run cannot be recorded in it
        raise
    except NswpError as err:
        with transaction(engine) as conn:
            finish_run(conn, run_id, "failed", deleted=result.deleted, error=str(err))
            run = last_runs(conn, 1, asset_uid=asset_uid)[0]
        kept = (
            f" ({run.pages} page(s), {run.new} new submission(s), were committed and are kept;"
            " run the sync again to continue)"
            if run.pages
            else ""
        )
        raise SyncError(f"sync of {asset_uid} stopped: {err}{kept}") from err
    except Exception as err:  # a bug: still close the run, so status does not say "running"
        with suppress(Exception), transaction(engine) as conn:
            error = f"stopped by an unexpected {type(err).__name__}: {err}"
            finish_run(conn, run_id, "failed", deleted=result.deleted, error=error[:500])
        raise
    with transaction(engine) as conn:
        finish_run(conn, run_id, "ok", deleted=result.deleted, reconciled=result.reconciled)
        cursor = get_cursor(conn, asset_uid)
    return replace(result, cursor=cursor, seconds=time.perf_counter() - started)


def _record_form(client: KoboClient, engine: Engine, asset_uid: str) -> None:
    """Remember the form and the content of each deployed version (labels old submissions)."""
    asset = client.assets.get(asset_uid)
    versions = [v for v in client.assets.list_versions(asset_uid) if v.deployed]
    with transaction(engine) as conn:
        upsert_form(conn, asset_uid, name=asset.name, server_url=client.session.settings.url)
        known = {v.version_uid for v in load_form_versions(conn, asset_uid) if v.content_json}
    for version in versions:
        if version.uid in known:
            continue
        detail = client.assets.get_version(asset_uid, version.uid)
        with transaction(engine) as conn:
            record_form_version(
                conn,
                asset_uid,
                detail.uid,
                version_number=detail.version_number,
                content_hash=detail.content_hash,
                content=detail.content,
                date_deployed=detail.date_deployed,
            )


def _pull(
    client: KoboClient,
    engine: Engine,
    result: SyncResult,
    options: SyncOptions,
    progress: ProgressFactory,
) -> SyncResult:
    uid = result.asset_uid
    with transaction(engine) as conn:
        cursor = None if options.full else get_cursor(conn, uid)
    after_id = None if cursor is None else max(cursor - options.overlap, 0)
    # The next page downloads while this one is stored (the loop never uses the client).
    pages = prefetch(
        client.submissions.iter_keyset_pages(uid, after_id=after_id, page_size=options.page_size)
    )
    counts = UpsertCounts()
    with closing(pages):
        first = next(pages, None)
        if first is None:
            return result
        with progress(f"Syncing {uid}", first.count) as advance:
            for page in chain([first], pages):
                if not page.results:
                    continue
                top = max(sub.id for sub in page.results)
                counts += commit_page(
                    engine, uid, [to_row(s) for s in page.results], top, run_id=result.run_id
                )
                result = replace(result, pages=result.pages + 1)
                advance(len(page.results))
    return replace(
        result,
        new=result.new + counts.new,
        updated=result.updated + counts.updated,
        unchanged=result.unchanged + counts.unchanged,
    )


def _should_reconcile(engine: Engine, asset_uid: str, options: SyncOptions) -> bool:
    if options.reconcile is not None:
        return options.reconcile
    if options.full:
        return True
    if options.reconcile_every <= 0:
        return False
    with transaction(engine) as conn:
        state = load_sync_state(conn, asset_uid)
    # A form's first runs reconcile too, so a fresh database learns of deletions at once.
    return state is None or state.runs_since_reconcile + 1 >= options.reconcile_every


def _reconcile(
    client: KoboClient,
    engine: Engine,
    result: SyncResult,
    options: SyncOptions,
    progress: ProgressFactory,
) -> SyncResult:
    """Find edits, validation changes, deletions and missed ids with a sweep of every `_id`."""
    uid = result.asset_uid
    with transaction(engine) as conn:
        stored = load_fingerprints(conn, uid)
    present: set[int] = set()
    changed: list[int] = []
    pages = client.submissions.iter_keyset_pages(
        uid, fields=list(SWEEP_FIELDS), page_size=options.page_size
    )
    with progress(f"Checking {uid} for edits and deletions", len(stored) or None) as advance:
        for page in pages:
            for sub in page.results:
                present.add(sub.id)
                known = stored.get(sub.id)
                # An id we never stored (a page that skipped it) is fetched like an edit.
                if known != (sub.uuid, sub.validation_status):
                    changed.append(sub.id)
            advance(len(page.results))
    counts = UpsertCounts()

    def refetched() -> Iterator[list[SubmissionRow]]:
        for start in range(0, len(changed), REFETCH_CHUNK):
            chunk = changed[start : start + REFETCH_CHUNK]
            yield [to_row(s) for s in client.submissions.iter_by_ids(uid, chunk)]

    # as in _pull: the next chunk downloads while this one is stored
    with closing(prefetch(refetched())) as batches:
        for rows in batches:
            counts += commit_page(engine, uid, rows, None, run_id=result.run_id)
    with transaction(engine) as conn:
        deleted = tombstone_missing(conn, uid, present)
    log.info("reconciled %s: %d re-fetched, %d tombstoned", uid, len(changed), deleted)
    return replace(
        result,
        new=result.new + counts.new,
        updated=result.updated + counts.updated,
        deleted=result.deleted + deleted,
        reconciled=True,
    )
