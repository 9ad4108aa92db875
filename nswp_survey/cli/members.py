"""`nswp-survey members import|list` and `nswp-survey coverage`."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from nswp_survey.cli.app import SURVEY_YEAR, AppContext, cli, open_store, pass_app
from nswp_survey.cli.scope import forms_to_read, scope_options
from nswp_survey.console import out_console

FORMATS = click.Choice(["table", "csv", "json"])


@cli.group()
def members() -> None:
    """Import and list the member register (names and contacts stay private)."""


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and count changes; write nothing.")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date the file describes (default today): members missing from it left that day.",
)
@pass_app
def members_import(app: AppContext, file: Path, dry_run: bool, as_of: datetime | None) -> None:
    """Import the member register from a .csv or .xlsx file (all rows or none).

    Columns: member_code, region, country, membership_type, join_date, preferred_language,
    active; optional regional_network, left_date, org_name, contact. Re-importing updates
    members in place; a member missing from the file is marked as left. Bad rows are
    listed by row number and nothing is imported (exit code 2).
    """
    from nswp_survey.register import import_register

    engine = open_store(app.settings())
    day = as_of.date() if as_of else None
    result = import_register(engine, file, as_of=day, dry_run=dry_run)
    click.echo(result.summary())


@members.command("list")
@click.option("--include-sensitive", is_flag=True, help="Also show organisation names, contacts.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_app
def members_list(app: AppContext, include_sensitive: bool, fmt: str) -> None:
    """List the members of the register (without names and contacts unless asked)."""
    from nswp_survey.register import load_register

    engine = open_store(app.settings(), existing=True)
    rows = load_register(engine, include_sensitive=include_sensitive)
    if fmt == "table":  # narrow enough for a terminal
        rows = [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]
    _emit(rows, fmt, title=f"member register ({len(rows)} members)")


@cli.command()
@click.option(
    "--year",
    type=SURVEY_YEAR,
    default=lambda: date.today().year - 1,
    show_default="last year",
    help="Survey year (the year the survey asks about).",
)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--pending", is_flag=True, help="Only the members who have not answered yet.")
@scope_options
@pass_app
def coverage(
    app: AppContext,
    year: int,
    fmt: str,
    pending: bool,
    server_url: str | None,
    assets_: tuple[str, ...],
) -> None:
    """Survey responses / active members, by region and country, and whom to remind.

    Counts one response per member code (the latest); unknown codes, duplicates and
    responses from inactive members are listed, not counted. --pending lists the members
    still to answer (code, region, country, preferred language) for reminders. Reads the
    forms of one Kobo server: kobo.url's, or --server's.
    """
    from nswp_survey.register import compute_coverage, coverage_rows, pending_rows

    settings = app.settings()
    engine = open_store(settings, existing=True)
    # an unknown --asset is refused (else every member would look still to answer)
    uids = forms_to_read(settings, engine, server_url, assets_)
    result = compute_coverage(engine, year, asset_uids=uids)
    if pending:
        _emit(pending_rows(result), fmt, title=f"not answered yet ({year})")
    elif fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    elif fmt == "csv":
        rows = [{"level": "total", **coverage_rows([result.total])[0]}]
        rows += [{"level": "region", **row} for row in coverage_rows(result.by_region)]
        rows += [{"level": "country", **row} for row in coverage_rows(result.by_country)]
        _emit(rows, "csv")
    else:
        _coverage_tables(result)


def _coverage_tables(result: Any) -> None:
    from nswp_survey.register import coverage_rows, pending_rows

    year = result.year
    regions = [coverage_rows([result.total])[0], *coverage_rows(result.by_region)]
    _emit(regions, "table", title=f"survey coverage {year}, by region")
    _emit(coverage_rows(result.by_country), "table", title=f"survey coverage {year}, by country")
    _emit(pending_rows(result), "table", title="not answered yet")
    flagged = [
        {"link": r.link, "code": r.code or "-", "kobo_id": r.kobo_id}
        for r in result.responses
        if r.link != "member"
    ]
    flagged += [
        {"link": "duplicate", "code": d.code, "kobo_id": d.kept_kobo_id} for d in result.duplicates
    ]
    if flagged:
        _emit(flagged, "table", title="flagged (not counted, or only once)")
    click.echo(result.summary())


def _emit(rows: Sequence[dict[str, Any]], fmt: str, *, title: str = "") -> None:
    if fmt == "json":
        click.echo(json.dumps(list(rows), indent=2, default=str))
        return
    if fmt == "csv":
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return
    if not rows:
        click.echo(f"{title}: none")
        return
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*("-" if v is None else escape(str(v)) for v in row.values()))
    out_console.print(table)
