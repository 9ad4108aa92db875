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
@click.option(
    "--catalogue",
    type=click.Path(exists=True, dir_okay=False),
    help="Indicator catalogue whose fields the form must have (default: "
    "config/indicators.toml, when it names this form).",
)
@pass_app
def forms_check(
    app: AppContext, form: str, previous: str | None, no_odk: bool, catalogue: str | None
) -> None:
    """Check an XLSForm: translations, names, logic, data protection, pyxform, ODK Validate.

    Also checks that every field the indicator catalogue reads exists with the right kind.
    Each problem is one line naming the sheet, row and column (or the indicator and field),
    and what to do. Exit code 0 when the form is fine, 4 when it has problems.

    \b
    Example:
      nswp-survey forms check forms/annual_member_survey.xlsx
    """
    from nswp_survey.forms.check import check_form

    report = check_form(
        Path(form), odk_validate=not no_odk, previous=Path(previous) if previous else None
    )
    problems = [str(problem) for problem in report.problems]
    problems += _catalogue_problems(Path(form), catalogue)
    notes = [] if app.quiet else [f"note: {warning}" for warning in report.warnings]
    if problems:
        raise FormValidationError(f"{form}: {len(problems)} problem(s)", problems=problems + notes)
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"{form}: ok")


def _catalogue_problems(form: Path, explicit: str | None) -> list[str]:
    """The catalogue's fields missing from (or of the wrong kind in) `form`, one line each."""
    from nswp_survey.cli.indicators import DEFAULT_CATALOGUE, PROJECT
    from nswp_survey.indicators import check_catalogue_against_form, load_catalogue

    path = (
        Path(explicit)
        if explicit
        else next(
            (p for p in (DEFAULT_CATALOGUE, PROJECT / DEFAULT_CATALOGUE) if p.is_file()), None
        )
    )
    if path is None:
        return []
    catalogue = load_catalogue(path)
    named = catalogue.form and (PROJECT / catalogue.form).resolve() == form.resolve()
    if not explicit and not named:
        return []  # another form (a test form, a draft): the catalogue is not about it
    return [f"{path}: {line}" for line in check_catalogue_against_form(catalogue, form)]
