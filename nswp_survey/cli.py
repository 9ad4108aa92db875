"""The `nswp-survey` command: reads configuration, calls one service function, reports.

Exit codes (cron and systemd can tell failures apart):
  0 ok · 1 other error · 2 usage or configuration · 3 Kobo server · 4 form invalid ·
  5 sync incomplete · 130 interrupted
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from nswp_survey import __version__
from nswp_survey.config import Settings, load_settings
from nswp_survey.console import (
    configure_logging,
    err_console,
    out_console,
    progress_bar,
    progress_enabled,
)
from nswp_survey.errors import ConfigError, FormValidationError, NswpError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass
class AppContext:
    """What every command needs: where the config lives and how loud to be."""

    config_path: str | None
    verbosity: int

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    def settings(self) -> Settings:
        return load_settings(self.config_path)


pass_app = click.make_pass_decorator(AppContext)


class NswpGroup(click.Group):
    """Turns every expected error into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NswpError as err:
            err_console.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
            for problem in getattr(err, "problems", []):
                err_console.print(f"  {problem}", highlight=False, soft_wrap=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            err_console.print("interrupted")
            ctx.exit(130)


@click.group(cls=NswpGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="NSWP_CONFIG",
    help="Configuration file (default: config/nswp-survey.toml if present). Env: NSWP_CONFIG.",
)
@click.option("-v", "--verbose", count=True, help="More detail: -v progress notes, -vv HTTP.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.version_option(__version__, "--version", prog_name="nswp-survey")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """Run NSWP's annual member survey on KoboToolbox and turn it into M&E evidence.

    The API token is read from the environment variable NSWP_KOBO_TOKEN (or from an
    owner-only file named by kobo.token_file) and is never printed.
    """
    verbosity = -1 if quiet else verbose
    configure_logging(verbosity)
    ctx.obj = AppContext(config_path=config_path, verbosity=verbosity)


# --- config -------------------------------------------------------------------------------


@cli.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def config_show(app: AppContext, as_json: bool) -> None:
    """Print the resolved configuration, the token masked.

    \b
    Example:
      nswp-survey --config config/nswp-survey.toml config show
    """
    settings = app.settings()
    data = settings.as_dict()
    if as_json:
        click.echo(json.dumps({"source": settings.source, **data}, indent=2, default=str))
        return
    table = Table(title=f"configuration ({settings.source or 'built-in defaults'})")
    table.add_column("key")
    table.add_column("value")
    for section, values in data.items():
        for key, value in values.items():
            table.add_row(f"{section}.{key}", str(value))
    out_console.print(table)


# --- assets -------------------------------------------------------------------------------


@cli.group()
def assets() -> None:
    """Look at the forms (assets) on the Kobo server."""


@assets.command("list")
@pass_app
def assets_list(app: AppContext) -> None:
    """List the survey assets the token can see, with deployment and submission counts."""
    from nswp_survey.kobo import KoboClient

    settings = app.settings()
    _require_token(settings)
    with KoboClient(settings.kobo) as client:
        rows = list(client.assets.list())
    table = Table(title=f"survey assets on {settings.kobo.url}")
    for column in ("uid", "name", "status", "submissions", "modified"):
        table.add_column(column)
    for asset in rows:
        table.add_row(
            asset.uid,
            asset.name,
            asset.deployment_status or "-",
            str(asset.submission_count or 0),
            asset.date_modified.isoformat() if asset.date_modified else "-",
        )
    out_console.print(table)


def _require_token(settings: Settings) -> None:
    if not settings.kobo.token:
        raise ConfigError(
            "no Kobo API token: set NSWP_KOBO_TOKEN, or kobo.token_file in the configuration "
            "(find the token in Kobo under Account settings > Security > API key)"
        )


# --- sync --------------------------------------------------------------------------------


def _open_store(settings: Settings) -> Any:
    """The configured database, migrated to the current schema (created owner-only)."""
    from nswp_survey.store import make_engine, migrate

    engine = make_engine(settings.database.url)
    migrate(engine)
    return engine


def _sync_options(settings: Settings, **overrides: Any) -> Any:
    from nswp_survey.sync import SyncOptions

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
    "--wait", default=0.0, show_default=True, help="Seconds to wait if another sync is running."
)
@click.pass_context
def sync(
    ctx: click.Context, full: bool, reconcile: bool | None, assets_: tuple[str, ...], wait: float
) -> None:
    """Pull new, edited and deleted submissions from Kobo into the database.

    Each page of up to 1000 submissions is committed together with the sync cursor, so an
    interrupted sync loses nothing and the next one resumes where it stopped. Exit code 5
    when a sync could not finish (what it committed stays).

    \b
    Examples:
      nswp-survey sync              # new submissions of every configured form
      nswp-survey sync --reconcile  # also find edits and deletions now
      nswp-survey sync status       # last runs and cursors
    """
    if ctx.invoked_subcommand is not None:
        return
    from nswp_survey.kobo import KoboClient
    from nswp_survey.sync import sync_forms

    app: AppContext = ctx.obj
    settings = app.settings()
    _require_token(settings)
    options = _sync_options(settings, full=full, reconcile=reconcile, lock_timeout=wait)
    engine = _open_store(settings)
    bar = partial(progress_bar, enabled=progress_enabled(app.quiet))
    with KoboClient(settings.kobo) as client:
        results = sync_forms(
            client, engine, assets_ or settings.kobo.asset_uids, options, progress=bar
        )
    for result in results:
        click.echo(f"synced {result.summary()}")


@sync.command("status")
@click.option("--limit", default=10, show_default=True, help="How many runs to show.")
@pass_app
def sync_status(app: AppContext, limit: int) -> None:
    """Show the last sync runs and the cursor of each form."""
    from nswp_survey.store import iso, last_runs, load_sync_state, transaction

    settings = app.settings()
    engine = _open_store(settings)
    with transaction(engine) as conn:
        runs = last_runs(conn, limit)
        states = {uid: load_sync_state(conn, uid) for uid in {r.asset_uid for r in runs}}
    table = Table(title="sync runs (newest first, UTC)")
    for column in ("form", "started", "finished", "status", "new", "updated", "deleted", "error"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            run.asset_uid,
            iso(run.started_at),
            iso(run.finished_at) if run.finished_at else "-",
            run.status,
            str(run.new),
            str(run.updated),
            str(run.deleted),
            (run.error or "")[:80],
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
    _require_token(settings)
    engine = _open_store(settings)
    options = _sync_options(settings)

    def job() -> list[str]:
        with KoboClient(settings.kobo) as client:
            results = sync_forms(client, engine, settings.kobo.asset_uids, options)
        return [result.summary() for result in results]

    if not app.quiet:  # a long-running service reports each run, not only problems
        logging.getLogger("nswp_survey").setLevel(min(logging.INFO, logging.root.level))
    scheduler = make_scheduler(settings.sync, job)
    when = settings.sync.cron or f"every {settings.sync.interval_minutes} min"
    click.echo(f"scheduler started ({when}, UTC); Ctrl-C stops it", err=True)
    run_scheduler(scheduler)


# --- forms -------------------------------------------------------------------------------

DEFAULT_SURVEY_FORM = "forms/annual_member_survey.xlsx"


@cli.group()
def forms() -> None:
    """Check the survey's XLSForm as KoboCollect would."""


@forms.command("check")
@click.argument("form", type=click.Path(exists=True, dir_okay=False), default=DEFAULT_SURVEY_FORM)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False),
    help="An earlier version of the form: report changes that break collected data.",
)
@click.option("--no-odk", is_flag=True, help="Skip ODK Validate (Java); faster, less strict.")
@pass_app
def forms_check(app: AppContext, form: str, previous: str | None, no_odk: bool) -> None:
    """Check an XLSForm: translations, names, logic, data protection, pyxform, ODK Validate.

    Each problem is one line naming the sheet, row and column, and what to do.
    Exit code 0 when the form is fine, 4 when it has problems.

    \b
    Example:
      nswp-survey forms check forms/annual_member_survey.xlsx
    """
    from nswp_survey.forms.check import check_form

    report = check_form(
        Path(form), odk_validate=not no_odk, previous=Path(previous) if previous else None
    )
    notes = [] if app.quiet else [f"note: {warning}" for warning in report.warnings]
    if not report.ok:
        raise FormValidationError(
            f"{form}: {len(report.problems)} problem(s)",
            problems=[str(problem) for problem in report.problems] + notes,
        )
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"{form}: ok")


# --- sandbox ------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, help="Port (0 picks a free one).")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Keep the sandbox's data in this SQLite file (default: in memory).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    default=".nswp-sandbox/token",
    show_default=True,
    help="Where to write the sandbox's API token (owner-only).",
)
@click.option("--latency", default=0.0, help="Seconds added to every API answer.")
@click.option("--error-rate", default=0.0, help="Share of answers that are 5xx (0-1).")
@click.option("--throttle-rate", default=0.0, help="Share of answers that are 429 (0-1).")
@click.option("--drop-rate", default=0.0, help="Share of connections dropped mid-answer (0-1).")
@click.option("--seed", type=int, default=None, help="Seed for the fault choices.")
def sandbox(
    host: str,
    port: int,
    db_path: str | None,
    token_file: str,
    latency: float,
    error_rate: float,
    throttle_rate: float,
    drop_rate: float,
    seed: int | None,
) -> None:
    """Run a local Kobo-compatible (KPI API v2) server for trying things out and testing.

    It speaks the same URLs, envelopes and errors as KoboToolbox, takes XLSForm imports,
    deployments and OpenRosa submissions (KoboCollect, Enketo), and can inject faults.
    Listens on 127.0.0.1 by default; stop it with Ctrl-C.
    """
    from nswp_survey.sandbox import Faults, SandboxServer

    faults = Faults(
        latency=latency,
        error_rate=error_rate,
        throttle_rate=throttle_rate,
        drop_rate=drop_rate,
        seed=seed,
    )
    server = SandboxServer(db_path=db_path, host=host, port=port, faults=faults)
    path = _write_private(Path(token_file), server.token + "\n")
    err_console.print(f"Kobo sandbox listening on {server.url}")
    err_console.print(f"API token written to {path} (mode 0600). To use it:")
    err_console.print(
        f'  NSWP_KOBO_TOKEN=$(cat {path}) nswp-survey ... with kobo.url = "{server.url}"',
        highlight=False,
    )
    server.serve_forever()


def _write_private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
    return path


# --- demo ---------------------------------------------------------------------------------


@cli.command()
@click.option("--submissions", "-n", default=300, show_default=True, help="Members to simulate.")
@click.option("--seed", default=2026, show_default=True, help="Seed for the simulated answers.")
@click.option(
    "--database",
    type=click.Path(dir_okay=False),
    default="data/nswp-survey-demo.db",
    show_default=True,
    help="SQLite file the demo syncs into (replaced on each run; owner-only).",
)
@pass_app
def demo(app: AppContext, submissions: int, seed: int, database: str) -> None:
    """Run the whole job end to end on this machine, with no Kobo account needed.

    Starts a local Kobo sandbox, imports and deploys the demo form, posts simulated member
    submissions as KoboCollect would, syncs them into a SQLite database, then edits one and
    deletes one on the server and syncs again to show that both are picked up.
    """
    from nswp_survey.demo import run_demo

    if submissions < 1:
        raise click.BadParameter("must be at least 1", param_hint="--submissions")

    def on_step(message: str) -> None:
        if not app.quiet:
            click.echo(f"- {message}", err=True)

    result = run_demo(
        submissions=submissions,
        seed=seed,
        database=Path(database),
        on_step=on_step,
        progress=partial(progress_bar, enabled=progress_enabled(app.quiet)),
    )
    table = Table(title="demo: member organisations in the database, by region")
    table.add_column("region")
    table.add_column("submissions", justify="right")
    for region, count in result.by_region.items():
        table.add_row(region, str(count))
    declined = result.stored - sum(result.by_region.values())
    if declined:
        table.add_row("(declined to take part)", str(declined))
    out_console.print(table)
    click.echo(
        f"demo ok: posted {result.posted}, synced {result.first_sync.new} new; "
        f"then {result.second_sync.updated} updated and {result.second_sync.deleted} deleted; "
        f"{result.stored} in {result.database}, {result.law_changes} law changes, "
        f"{result.seconds:.1f} s"
    )


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(cli())
