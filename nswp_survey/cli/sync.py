"""`nswp-survey sync`, `sync status` and `schedule`."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from nswp_survey.cli.app import (
    AppContext,
    cli,
    forms_on_server,
    open_store,
    pass_app,
    require_token,
    stop_on_sigterm,
)
from nswp_survey.config import Settings
from nswp_survey.console import out_console, progress_bar, progress_enabled

log = logging.getLogger(__name__)


def _sync_options(settings: Settings, **overrides: Any) -> Any:
    from nswp_survey.sync import SyncOptions

    overrides.setdefault("attachments_dir", settings.sync.attachments_dir)
    return SyncOptions(
        overlap=settings.sync.overlap,
        reconcile_every=settings.sync.reconcile_every,
        page_size=settings.kobo.page_size,
        **overrides,
    )


@cli.group(invoke_without_command=True)
@click.option("--full", is_flag=True, help="Re-pull every submission, not only new ones.")
@click.option(
    "--reconcile/--no-reconcile",
    default=None,
    help="Sweep for edits and deletions now (default: every sync.reconcile_every runs).",
)
@click.option("--asset", "assets_", multiple=True, help="Sync only this asset uid (repeatable).")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait if another sync is running.",
)
@click.option(
    "--attachments",
    "attachments_dir",
    type=click.Path(file_okay=False),
    help="Also download attachment files into this folder, owner-only "
    "(default: sync.attachments_dir).",
)
@click.pass_context
def sync(
    ctx: click.Context,
    full: bool,
    reconcile: bool | None,
    assets_: tuple[str, ...],
    wait: float,
    attachments_dir: str | None,
) -> None:
    """Pull new, edited and deleted submissions from Kobo into the database.

    Each page of up to 1000 submissions is committed together with the sync cursor, so an
    interrupted sync loses nothing and the next one resumes where it stopped. Exit code 5
    when a sync could not finish (what it committed stays).

    \b
    Examples:
      nswp-survey sync              # new submissions of every configured form (default:
                                    # the forms deployed with nswp-survey deploy)
      nswp-survey sync --reconcile  # also find edits and deletions now
      nswp-survey sync status       # last runs and cursors
    """
    if ctx.invoked_subcommand is not None:
        return
    from nswp_survey.kobo import KoboClient
    from nswp_survey.sync import sync_forms

    app: AppContext = ctx.obj
    settings = app.settings()
    require_token(settings)
    options = _sync_options(settings, full=full, reconcile=reconcile, lock_timeout=wait)
    if attachments_dir:
        options = replace(options, attachments_dir=attachments_dir)
    engine = open_store(settings)
    bar = partial(progress_bar, enabled=progress_enabled(app.quiet))
    forms = forms_on_server(settings, engine, assets_)
    # SIGTERM (systemd, kill) stops the sync as Ctrl-C does: the run is closed, exit 130
    stop_on_sigterm()
    with KoboClient(settings.kobo) as client:
        results = sync_forms(client, engine, forms, options, progress=bar)
    for result in results:
        click.echo(f"synced {result.summary()}")


@sync.command("status")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many runs to show.",
)
@pass_app
def sync_status(app: AppContext, limit: int) -> None:
    """Show the last sync runs and the cursor of each form."""
    from nswp_survey.store import iso, last_runs, load_sync_state, transaction

    settings = app.settings()
    engine = open_store(settings, existing=True)
    with transaction(engine) as conn:
        runs = last_runs(conn, limit)
        states = {uid: load_sync_state(conn, uid) for uid in {r.asset_uid for r in runs}}
    table = Table(title="sync runs (newest first, UTC)")
    for column in ("form", "started", "finished", "status", "new", "updated", "deleted", "error"):
        table.add_column(column, overflow="fold")  # a narrow terminal wraps, never cuts
    for run in runs:
        table.add_row(
            run.asset_uid,
            iso(run.started_at),
            iso(run.finished_at) if run.finished_at else "-",
            run.status,
            str(run.new),
            str(run.updated),
            str(run.deleted),
            escape(run.error or ""),  # folded, not cut: the cause is at its end
        )
    out_console.print(table)
    for uid, state in sorted(states.items()):
        cursor = state.cursor if state else None
        success = iso(state.last_success_at) if state and state.last_success_at else "never"
        click.echo(f"{uid}: cursor _id={cursor}, last success {success}")


@cli.command()
@pass_app
def schedule(app: AppContext) -> None:
    """Run syncs on the schedule from the configuration until stopped (Ctrl-C, SIGTERM).

    Uses sync.cron when set, else every sync.interval_minutes; runs once at start. Missed
    runs are coalesced; two syncs never run at once. Each run is logged.
    """
    from nswp_survey.kobo import KoboClient
    from nswp_survey.scheduler import make_scheduler, run_scheduler
    from nswp_survey.sync import sync_forms

    settings = app.settings()
    require_token(settings)
    engine = open_store(settings)
    options = _sync_options(settings)

    def job() -> list[str]:
        with KoboClient(settings.kobo) as client:  # (a form deployed meanwhile is synced too)
            results = sync_forms(client, engine, forms_on_server(settings, engine), options)
        return [result.summary() for result in results]

    if not app.quiet:  # a long-running service reports each run, not only problems
        logging.getLogger("nswp_survey").setLevel(min(logging.INFO, logging.root.level))
    scheduler = make_scheduler(settings.sync, job)
    when = settings.sync.cron or f"every {settings.sync.interval_minutes} min"
    log.info("scheduler started (%s, UTC); Ctrl-C or SIGTERM stops it", when)
    run_scheduler(scheduler)
