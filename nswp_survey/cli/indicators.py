"""`nswp-survey indicators`: the M&E indicators of a survey year, as a table, CSV or JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from nswp_survey.cells import csv_writer
from nswp_survey.cli.app import SURVEY_YEAR, AppContext, cli, open_store, pass_app
from nswp_survey.cli.scope import forms_to_read, scope_options
from nswp_survey.config import LANGUAGES
from nswp_survey.console import err_console, out_console
from nswp_survey.errors import IndicatorError
from nswp_survey.export.i18n import column_label
from nswp_survey.indicators.results import PERCENT_KINDS
from nswp_survey.register.codes import REGIONS

DEFAULT_CATALOGUE = Path("config") / "indicators.toml"
PROJECT = Path(__file__).resolve().parents[2]
DIMENSIONS = ("region", "country", "year", "sw_led", "constituency")


def _existing(path: Path, *bases: Path) -> Path | None:
    """`path` itself, or relative to one of `bases` (the project checkout), if it exists."""
    for candidate in (path, *(base / path for base in bases)):
        if candidate.is_file():
            return candidate
    return None


def load_checked(
    catalogue_path: str | None,
    form_path: str | None,
    engine: Any,
    asset_uids: Sequence[str] | None = None,
) -> tuple:
    """The catalogue and the form schema it was checked against (IndicatorError if wrong);
    without a form file, the schema is the newest stored one of `asset_uids`."""
    from nswp_survey.indicators import check_catalogue_against_form, load_catalogue
    from nswp_survey.indicators.form import load_form_schema
    from nswp_survey.indicators.load import load_schema

    wanted = Path(catalogue_path) if catalogue_path else DEFAULT_CATALOGUE
    found = _existing(wanted, PROJECT) if not catalogue_path else wanted
    catalogue = load_catalogue(found or wanted)
    form_file = Path(form_path) if form_path else Path(catalogue.form or "")
    base = catalogue.path.parent.parent if catalogue.path else Path.cwd()
    located = _existing(form_file, base, PROJECT) if (form_path or catalogue.form) else None
    if form_path and located is None:
        raise IndicatorError(f"form {form_path} does not exist")
    schema = load_form_schema(located) if located else load_schema(engine, asset_uids)
    if schema is not None:
        problems = check_catalogue_against_form(catalogue, schema)
        if problems:
            error = IndicatorError(
                f"the indicator catalogue {catalogue.path} does not match the form "
                f"{schema.source}: {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            )
            error.problems = problems  # type: ignore[attr-defined]  (printed one a line)
            raise error
    return catalogue, schema


def _number(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind in PERCENT_KINDS:
        return f"{value * 100:.1f}%"
    if isinstance(value, float) and not float(value).is_integer():
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _plain(value: float | None) -> str:
    return "" if value is None else str(value)


def render_table(results: Sequence[Any], caption: str, lang: str = "en") -> None:
    table = Table(title="NSWP indicators", caption=caption)
    for column in ("id", "indicator", "value", "numerator", "denominator", "n"):
        justify = "right" if column in ("value", "n") else "left"
        table.add_column(column_label(column, lang), justify=justify)
    for result in results:
        if result.error:
            table.add_row(
                result.id,
                escape(result.title),
                f"[yellow]{escape(result.error)}[/yellow]",
                "",
                "",
                "",
            )
            continue
        table.add_row(
            f"[bold]{result.id}[/bold]",
            f"[bold]{escape(result.title)}[/bold]",
            _number(result.value, result.kind),
            _plain(result.numerator),
            _plain(result.denominator),
            str(result.n),
        )
        for row in result.rows:
            label = " · ".join(lab for _dim, _code, lab in row.keys)
            table.add_row(
                "",
                f"  {escape(label)}",
                _number(row.value, result.kind),
                _plain(row.numerator),
                _plain(row.denominator),
                str(row.n),
            )
    out_console.print(table)


def render_csv(results: Sequence[Any]) -> None:
    dims: dict[str, None] = {}
    for result in results:
        for row in result.rows:
            dims.update(dict.fromkeys(dim for dim, _c, _l in row.keys))
    writer = csv_writer(sys.stdout)
    writer.writerow(["id", "title", "kind", *dims, "value", "numerator", "denominator", "n"])
    for result in results:
        value = result.error if result.error else result.value
        writer.writerow(
            [
                result.id,
                result.title,
                result.kind,
                *([""] * len(dims)),
                value,
                result.numerator,
                result.denominator,
                result.n,
            ]
        )
        for row in result.rows:
            labels = {dim: label for dim, _code, label in row.keys}
            writer.writerow(
                [
                    result.id,
                    result.title,
                    result.kind,
                    *(labels.get(d, "") for d in dims),
                    row.value,
                    row.numerator,
                    row.denominator,
                    row.n,
                ]
            )


@cli.command("indicators")
@click.option(
    "--year",
    "years",
    type=SURVEY_YEAR,
    multiple=True,
    required=True,
    help="Survey (reporting) year; repeat for several years.",
)
@click.option("--region", help="Only this NSWP region (code, e.g. africa).")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="Language of titles and labels.",
)
@click.option(
    "--by",
    "by_text",
    default="",
    help="Disaggregations, comma-separated: region,country,year,sw_led,constituency.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--id", "ids", multiple=True, help="Only this indicator (repeatable).")
@click.option(
    "--catalogue",
    "catalogue_path",
    type=click.Path(dir_okay=False),
    help="Indicator catalogue (default: config/indicators.toml).",
)
@click.option(
    "--form",
    "form_path",
    type=click.Path(dir_okay=False),
    help="XLSForm to check the catalogue against (default: the catalogue's form).",
)
@scope_options
@pass_app
def indicators(
    app: AppContext,
    years: tuple[int, ...],
    region: str | None,
    lang: str,
    by_text: str,
    fmt: str,
    ids: tuple[str, ...],
    catalogue_path: str | None,
    form_path: str | None,
    server_url: str | None,
    assets_: tuple[str, ...],
) -> None:
    """Compute the catalogue's indicators from the stored submissions.

    Counts one response per member organisation and survey year (the latest approved one),
    leaves out deleted and "not approved" submissions, and prints each indicator's value
    with numerator, denominator and n. Reads the forms of one Kobo server: kobo.url's, or
    --server's. Exit code 1 when the catalogue is wrong, 2 when the database holds forms of
    several servers and nothing says which.

    \b
    Examples:
      nswp-survey indicators --year 2025
      nswp-survey indicators --year 2025 --region africa --lang fr --by country
      nswp-survey indicators --year 2024 --year 2025 --by year --format csv > ind.csv
    """
    from nswp_survey.indicators import compute_indicators, load_frames

    by = tuple(part.strip() for part in by_text.split(",") if part.strip())
    if unknown := [d for d in by if d not in DIMENSIONS]:
        raise click.BadParameter(f"unknown {', '.join(unknown)}", param_hint="--by")
    if region is not None and region not in REGIONS:  # else every figure is silently 0
        raise click.BadParameter(
            f"unknown region {region!r}; valid: {', '.join(REGIONS)}", param_hint="--region"
        )
    settings = app.settings()
    engine = open_store(settings, existing=True)
    uids = forms_to_read(settings, engine, server_url, assets_)
    catalogue, schema = load_checked(catalogue_path, form_path, engine, uids)
    frames = load_frames(engine, catalogue, years=years, schema=schema, asset_uids=uids)
    results = compute_indicators(
        frames, catalogue, list(years), region, by, lang=lang, ids=list(ids) or None
    )
    responses = frames.responses
    if region:
        responses = responses[responses.get("region", responses["year"] * 0).eq(region)]
    excluded = ", ".join(f"{n} {why}" for why, n in frames.excluded.items() if n)
    caption = f"R = {len(responses)} counted responses" + (
        f"; left out: {excluded}" if excluded else ""
    )
    if fmt == "json":
        meta = {
            "years": list(years),
            "region": region,
            "lang": lang,
            "by": list(by),
            "responses": len(responses),
            "excluded": frames.excluded,
        }
        payload = {**meta, "indicators": [r.as_dict() for r in results]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        render_csv(results)
    else:
        render_table(results, caption, lang)
    for result in results:
        if result.error and not app.quiet:
            err_console.print(f"[yellow]note:[/yellow] {escape(result.error)}", highlight=False)
