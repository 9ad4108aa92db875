"""`nswp-survey doctor`: is everything set up? What to fix."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from nswp_survey.cli.app import AppContext, cli, pass_app
from nswp_survey.console import out_console

MARKS = {"ok": "[green]ok[/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]FAIL[/red]"}


@cli.command()
@pass_app
def doctor(app: AppContext) -> None:
    """Check the configuration, token, server, forms, database and Java, and say what to fix.

    Changes nothing. Exit code 0 when nothing failed, 1 otherwise (warnings do not fail).
    """
    from nswp_survey.doctor import run_checks

    checks = run_checks(app.config_path)
    table = Table(title="nswp-survey doctor")
    for column in ("check", "result", "detail", "what to do"):
        table.add_column(column, overflow="fold")
    for check in checks:
        table.add_row(check.name, MARKS[check.status], escape(check.detail), escape(check.fix))
    out_console.print(table)
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        click.echo(f"doctor: {len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        raise SystemExit(1)
    click.echo("doctor: all checks passed", err=True)
