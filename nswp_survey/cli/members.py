"""`nswp-survey members import|list|history|undo` and `nswp-survey coverage`."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from nswp_survey.cells import csv_writer
from nswp_survey.cli.app import SURVEY_YEAR, AppContext, cli, open_store, pass_app
from nswp_survey.cli.scope import forms_to_read, scope_options
from nswp_survey.console import out_console

FORMATS = click.Choice(["table", "csv", "json"])


@cli.group()
def members() -> None:
    """Import and list the member register (names and contacts stay private)."""


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and list what would change; write nothing."
)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date the file describes (default today): members missing from it left that day.",
)
@click.option(
    "--replace", is_flag=True, help="FILE is the whole register, however many it marks as left."
)
@click.option(
    "--partial", is_flag=True, help="Update and add only the rows of FILE; nobody is marked left."
)
@pass_app
def members_import(
    app: AppContext,
    file: Path,
    dry_run: bool,
    as_of: datetime | None,
    replace: bool,
    partial: bool,
) -> None:
    """Import the member register from a .csv or .xlsx file (all rows or none).

    Columns: member_code, region, country, membership_type, join_date, preferred_language,
    active; optional regional_network, left_date, org_name, contact. Re-importing updates
    members in place; a member missing from the file is marked as left. A file that would
    mark more than register.max_left_share of the active members as left (default 10%) is
    refused until --replace or --partial says what it is. Bad rows are listed by row number.
    Refused: nothing is imported (exit code 2). `nswp-survey members undo` undoes the last
    import.
    """
    from nswp_survey.errors import RegisterError
    from nswp_survey.register import UNDO_COMMAND, changed_register, import_register

    if replace and partial:
        raise click.UsageError("give --replace (the whole register) or --partial, not both")
    settings = app.settings()
    engine = open_store(settings)
    limit = None if replace or partial else settings.register.max_left_share
    day = as_of.date() if as_of else None
    result = import_register(
        engine, file, as_of=day, dry_run=dry_run, partial=partial, max_left_share=limit
    )
    click.echo(result.summary())
    if dry_run:
        for line in result.changes():
            click.echo(line)
    if result.refused:
        raise RegisterError(result.refused)
    if not dry_run and changed_register(result):
        click.echo(f"to undo this import: {UNDO_COMMAND}")


@members.command("history")
@click.option("--member", "code", help="The events of this member code instead.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many imports to show.",
)
@pass_app
def members_history(app: AppContext, code: str | None, limit: int) -> None:
    """The register's imports, newest first, and how to undo the last one.

    Each import that wrote: when (UTC), the file's name, whole register or partial, the
    date it describes, and how many members it added, marked as rejoined, left or changed.
    With --member: that member's events (joined, left, changed; never the values).
    """
    from nswp_survey.register import (
        UNDO_COMMAND,
        describe_import,
        load_import_history,
        undoable_import,
    )
    from nswp_survey.store import iso, load_member_events

    engine = open_store(app.settings(), existing=True)
    if code is not None:
        with engine.connect() as conn:
            found = load_member_events(conn, code.strip().upper())
        rows = [
            {
                "recorded": iso(e.recorded_at),
                "event": e.event,
                "date": e.event_date,
                "details": e.details,
                "import": e.import_id,
            }
            for e in found
        ]
        _emit(rows, "table", title=f"history of member {code.strip().upper()}")
        return
    imports = load_import_history(engine)
    rows = [
        {
            "import": entry.id,
            "when": iso(entry.imported_at),
            "file": entry.file,
            "mode": entry.mode,
            "as_of": entry.as_of,
            **{k: getattr(entry, k) for k in ("rows", "added", "rejoined", "left", "changed")},
            "undone": iso(entry.undone_at) if entry.undone_at else None,
        }
        for entry in imports[:limit]
    ]
    _emit(rows, "table", title="register imports (newest first, UTC)")
    last = undoable_import(imports)
    if last is not None:
        click.echo(f"to undo the last one, {describe_import(last)}: {UNDO_COMMAND}")


@members.command("undo")
@pass_app
def members_undo(app: AppContext) -> None:
    """Undo the last import that changed the register, exactly.

    The members it changed or marked as left or rejoined are put back as they were, those
    it added are removed, and its events are deleted; the import stays in `members history`
    marked undone. Only the last import can be undone, once.
    """
    from nswp_survey.register import undo_last_import

    engine = open_store(app.settings(), existing=True)
    click.echo(undo_last_import(engine).summary())


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
            columns = list(rows[0])
            writer = csv_writer(sys.stdout)
            writer.writerow(columns)
            writer.writerows([row.get(c) for c in columns] for row in rows)
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
