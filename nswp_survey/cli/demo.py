"""`nswp-survey demo`: the whole job end to end on this machine."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path

import click
from rich.table import Table

from nswp_survey.cli.app import AppContext, cli, pass_app
from nswp_survey.config import Settings
from nswp_survey.console import out_console, progress_bar, progress_enabled
from nswp_survey.errors import ConfigError


@cli.command()
@click.option("--seed", default=2026, show_default=True, help="Seed for the simulated answers.")
@click.option(
    "--database",
    type=click.Path(dir_okay=False),
    default="data/nswp-survey-demo.db",
    show_default=True,
    help="SQLite file the demo syncs into (replaced on each run; owner-only).",
)
@click.option(
    "--exports",
    type=click.Path(file_okay=False),
    default="data/demo-exports",
    show_default=True,
    help="Folder for the demo's regional packs (owner-only).",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pretend today is this date (YYYY-MM-DD); the survey year is the year before.",
)
@pass_app
def demo(app: AppContext, seed: int, database: str, exports: str, as_of: datetime | None) -> None:
    """Run the whole job end to end on this machine, with no Kobo account needed.

    Starts a local Kobo sandbox, checks and deploys the annual member survey, imports the
    sample register of fictitious members, lets most of them answer as KoboCollect would,
    syncs into a SQLite database, deletes one answer and rejects another on the server and
    syncs again, prints the survey's coverage by region and writes the regional packs.
    """
    from nswp_survey.demo import run_demo

    if as_of is not None and not 1991 <= as_of.year <= 2101:  # its survey year: 1990..2100
        raise click.BadParameter("give a date between 1991 and 2101", param_hint="--as-of")
    refuse_the_configured_database(Path(database), app.settings())

    def on_step(message: str) -> None:
        if not app.quiet:
            click.echo(f"- {message}", err=True)

    result = run_demo(
        seed=seed,
        database=Path(database),
        exports=Path(exports),
        today=as_of.date() if as_of else None,
        on_step=on_step,
        progress=partial(progress_bar, enabled=progress_enabled(app.quiet)),
    )
    coverage = result.coverage
    table = Table(title=f"survey year {result.year}: coverage by region")
    for column in ("region", "active members", "answered", "coverage"):
        table.add_column(column, justify="left" if column == "region" else "right")
    total = coverage.total
    for label, cell in [*((c.region, c) for c in coverage.by_region), ("all", total)]:
        share = "-" if cell.coverage is None else f"{cell.coverage:.0%}"
        table.add_row(label, str(cell.active), str(cell.responded), share)
    out_console.print(table)
    click.echo(coverage.summary())
    for pack in result.packs:
        report = pack.with_suffix(".html")
        shown = f"{pack} (report: {report.name})" if report.exists() else str(pack)
        click.echo(f"regional pack: {shown}")
    click.echo(
        f"demo ok: {result.simulated.posted} answers posted, {result.first_sync.new} synced; "
        f"then {result.second_sync.updated} updated and {result.second_sync.deleted} deleted; "
        f"database {result.database}; {result.seconds:.1f} s"
    )


def refuse_the_configured_database(database: Path, settings: Settings) -> None:
    """The demo deletes and refills its database: never the one the configuration reads."""
    from nswp_survey.store.db import normalize_url, sqlite_path

    url = normalize_url(settings.database.url)
    configured = sqlite_path(url) if url.get_backend_name() == "sqlite" else None
    if configured is not None and configured.expanduser().resolve() == database.resolve():
        raise ConfigError(
            f"--database {database} is the configured database (database.url in "
            f"{settings.source or 'the defaults'}): the demo replaces its database on each "
            "run; give the demo another --database"
        )
