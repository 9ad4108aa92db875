"""`nswp-survey forms`: checking the XLSForm."""

from __future__ import annotations

from pathlib import Path

import click

from nswp_survey.cli.app import (
    AppContext,
    cli,
    pass_app,
)
from nswp_survey.errors import FormValidationError

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
