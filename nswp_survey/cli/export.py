"""`nswp-survey export`: regional packs (XLSX, CSV, HTML) of a year, with disclosure control."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource
from rich.markup import escape

from nswp_survey.cli.app import SURVEY_YEAR, AppContext, cli, open_store, pass_app, stop_on_sigterm
from nswp_survey.cli.indicators import PROJECT, load_checked
from nswp_survey.cli.scope import forms_to_read, scope_options
from nswp_survey.console import err_console, out_console
from nswp_survey.errors import ExportError


@cli.command("export")
@click.option("--region", required=True, help="Region code, `global`, or `all` (every region).")
@click.option("--year", type=SURVEY_YEAR, required=True, help="Survey (reporting) year.")
@click.option(
    "--lang",
    help="Language of titles and labels: en, fr, es, ru, zh. Default: config, else each "
    "region's publication languages (africa en+fr, asia_pacific en+zh, europe en+ru, lac es, "
    "nac en, global en).",
)
@click.option(
    "--format",
    "formats",
    default="xlsx,csv",
    show_default=True,
    help="Comma-separated: xlsx,csv,html (html: one self-contained report per region).",
)
@click.option(
    "--tier",
    type=click.Choice(["public", "internal"]),
    default="public",
    show_default=True,
    help="public: aggregates only, small cells suppressed; internal (Board and "
    "Secretariat): every cell, plus the row-level responses.",
)
@click.option(
    "--include-sensitive",
    is_flag=True,
    help="Keep high/medium-sensitivity fields (implies --tier internal).",
)
@click.option(
    "--min-cell", type=click.IntRange(min=1), help="Smallest cell shown (default: config)."
)
@click.option(
    "--min-cell-high",
    type=click.IntRange(min=1),
    help="Smallest cell shown for indicators reading high-sensitivity fields (default: config, 5).",
)
@click.option(
    "--audit",
    is_flag=True,
    help="Public tier: protect every public table of the year together (all regions, the "
    "global pack, covers, time series; docs/disclosure.md) instead of each table on its own, "
    "then attack them as a reader would (linear programming over every published cell) and "
    "refuse (exit 1, nothing written) if a hidden count can be worked out; prints the "
    "figures. Slower, and it hides more.",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Export folder.")
@click.option("--catalogue", "catalogue_path", type=click.Path(dir_okay=False))
@click.option("--form", "form_path", type=click.Path(dir_okay=False), help="XLSForm fallback.")
@scope_options
@pass_app
def export(
    app: AppContext,
    region: str,
    year: int,
    lang: str | None,
    formats: str,
    tier: str,
    include_sensitive: bool,
    min_cell: int | None,
    min_cell_high: int | None,
    audit: bool,
    out_dir: str | None,
    catalogue_path: str | None,
    form_path: str | None,
    server_url: str | None,
    assets_: tuple[str, ...],
) -> None:
    """Write one pack per region (`all`: every region plus `global`) under the export folder.

    Each pack is <out>/<year>/<region>/nswp-<region>-<year>-<lang>.xlsx plus a folder of
    CSVs: cover, indicators, law changes, law matrix (country x area), service coverage
    (service x country), programmes, participation, mobilisation (international days),
    violence and rights, support needs, time series over the survey years, the data
    dictionary and the indicator definitions; the internal tier adds the responses (labels
    in the chosen language), one sheet per repeat. Without --lang, each region is written in
    its publication languages. Folders are 0700, files 0600.

    The packs are written into a temporary folder inside the export folder, recorded in the
    export log, then moved into place: an export that fails or is stopped changes no pack
    already there, and one that was killed is finished or removed by the next export.

    The public tier is aggregates only: cells under --min-cell organisations show "<3",
    one more shows "x" when the total would give a hidden cell away, and the countries in
    export.withhold_countries (default Russia) are left out altogether.

    In the XLSX and CSV files, text a spreadsheet would run as a formula (starting with
    = + - @, a tab or a carriage return, as the law matrix's "+" does) gets a leading
    apostrophe ('); the HTML report shows it as typed.

    Only the forms of one Kobo server are read: kobo.url's, or --server's (a database that
    holds forms of several servers, with nothing saying which, is refused: exit 2).

    \b
    Examples:
      nswp-survey export --region africa --year 2025 --lang fr
      nswp-survey export --region all --year 2025 --format xlsx --out /secure/exports
      nswp-survey export --region africa --year 2025 --format xlsx,csv,html
    """
    from nswp_survey.export import FORMATS, check_choice
    from nswp_survey.export.run import export_packs

    settings = app.settings()
    lang = lang or settings.export.language or None
    try:
        regions = check_choice(region, lang)
    except ExportError as err:
        hint = "--lang" if str(err).startswith("unknown language") else "--region"
        raise click.BadParameter(str(err), param_hint=hint) from err
    wanted = [part.strip() for part in formats.split(",") if part.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        said = f"unknown {', '.join(bad)}" if bad else "no format given"
        raise click.BadParameter(
            f"{said}; valid: {', '.join(FORMATS)} (comma-separated)", param_hint="--format"
        )
    if include_sensitive and tier == "public" and _given("tier"):
        raise click.BadParameter(
            "--include-sensitive makes an internal pack; drop --tier public or the flag",
            param_hint="--tier",
        )
    tier = "internal" if include_sensitive else tier
    engine = open_store(settings, existing=True)
    uids = forms_to_read(settings, engine, server_url, assets_)
    catalogue, schema = load_checked(catalogue_path, form_path, engine, uids)
    fallback = Path(form_path) if form_path else None
    if fallback is None and catalogue.form:
        base = catalogue.path.parent.parent if catalogue.path else Path.cwd()
        fallback = next(
            (p for p in (Path(catalogue.form), base / catalogue.form, PROJECT / catalogue.form)
             if p.is_file()),
            None,
        )  # fmt: skip
    target = Path(out_dir or settings.export.dir)
    stop_on_sigterm()  # a stopped export removes its temporary folder: nothing half-published
    packs = export_packs(
        engine,
        catalogue,
        year,
        regions,
        target,
        formats=wanted,
        form_fallback=fallback,
        schema=schema,
        lang=lang,
        tier=tier,
        min_cell=min_cell or settings.export.min_cell,
        min_cell_high=min_cell_high or settings.export.min_cell_high,
        include_sensitive=include_sensitive,
        withhold=settings.export.withhold_countries,
        asset_uids=uids,
        audit=audit,
    )
    report = packs[0][0].plan.report if packs and packs[0][0].plan else None
    if report is not None and not app.quiet:
        out_console.print(
            f"audit of the {year} public tables: {report.published} counts published, "
            f"{report.primary} hidden as small, {report.secondary} hidden to protect them; "
            f"none can be worked out ({report.seconds:.1f} s)",
            highlight=False,
        )
    for pack, written in packs:
        code = pack.region
        if not app.quiet:
            out_console.print(
                f"{code} ({pack.lang}): {len(written)} files in "
                f"{written[0].parent if written else target} "
                f"({pack.tier}, {pack.responses} responses, {pack.suppressed} cells suppressed)",
                highlight=False,
            )
    if packs and not any(pack.responses for pack, _written in packs):
        err_console.print(
            f"[yellow]warning:[/yellow] no response of survey year {year} is in the database, so "
            "the packs are empty: run nswp-survey sync first, or check --year",
            highlight=False,
            soft_wrap=True,
        )


@cli.command("export-log")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many export runs to show.",
)
@pass_app
def export_log(app: AppContext, limit: int) -> None:
    """Show who exported which packs and when, newest first (the access log of exports).

    Every `export` (and the demo's) is recorded: time (UTC), operating-system user, year,
    regions, languages, formats, tier, whether sensitive fields were included, the folder and
    the number of files. Never the contents.
    """
    from rich.table import Table

    from nswp_survey.store import iso, last_exports, transaction

    engine = open_store(app.settings(), existing=True)
    with transaction(engine) as conn:
        runs = last_exports(conn, limit)
    table = Table(title="exports (newest first, UTC)")
    columns = ("when", "by", "year", "regions", "languages", "tier", "sensitive", "files", "folder")
    for column in columns:
        table.add_column(column, overflow="fold")
    for run in runs:
        table.add_row(
            iso(run.exported_at),
            escape(run.exported_by),
            str(run.year),
            run.regions.replace(",", ", "),
            run.languages.replace(",", ", "),
            run.tier,
            "yes" if run.include_sensitive else "no",
            str(run.files),
            run.folder,
        )
    out_console.print(table)


def _given(name: str) -> bool:
    """True when the user wrote the option (not its default)."""
    source = click.get_current_context().get_parameter_source(name)
    return source is ParameterSource.COMMANDLINE
