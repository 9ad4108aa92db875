"""`nswp-survey demo`: the whole job end to end on this machine."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click
from rich.table import Table

from nswp_survey.cli.app import (
    AppContext,
    cli,
    pass_app,
)
from nswp_survey.console import out_console, progress_bar, progress_enabled


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
