"""Regional packs: build the tables of one region (or `global`) and year, write XLSX, CSV, HTML.

A pack holds: cover, indicators, law_changes, law_matrix (matrix.py), service_coverage
(coverage.py: service × country heat map, % of respondents), the sections programmes,
participation, mobilisation, violence_rights and needs (sections.py), time_series
(series.py: the headline indicators per survey year up to the pack's year), responses and
one table per repeat (internal tier only: the public tier is aggregates, domain.md §6,
since a row of a small region's answers can point at one organisation), dictionary,
definitions. Every table but time_series reads the pack's year only, whatever years the
frames hold. Sheet, CSV and column names are stable
codes in every language (analysts script against them, and a French and an English pack
line up); the values carry the labels of the pack's language, and the HTML report
translates the headers (i18n.py). `PUBLICATION_LANGUAGES` says which languages each region
is published in (domain.md §5).

Files land under `<dir>/<year>/<region>/`: `nswp-<region>-<year>-<lang>.xlsx` (one sheet per
table) and the folder `nswp-<region>-<year>-<lang>-csv/` (one UTF-8 CSV per table); on request a
self-contained report `nswp-<region>-<year>-<lang>.html` (html.py). Folders
are created 0700 and files 0600 (written to a private temporary file, then renamed).

Example:
    packs = build_packs(engine, catalogue, form, 2025, regions=["africa"], lang="fr")
    for pack in packs:
        write_pack(pack, Path("exports"), formats=("xlsx", "csv"))
"""

from __future__ import annotations

import gc
import math
import sys
import traceback
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from sqlalchemy import Engine

from nswp_survey.cells import csv_writer, xlsx_row
from nswp_survey.config import ExportSettings
from nswp_survey.errors import ExportError
from nswp_survey.export.coverage import service_coverage
from nswp_survey.export.form import ExportForm
from nswp_survey.export.matrix import direction_legend, law_matrix
from nswp_survey.export.published import (
    YearPlan,
    responses_key,
    sensitive_indicators,
    year_plan,
)
from nswp_survey.export.sections import hidden_breakdowns, section_ids, section_tables
from nswp_survey.export.series import headline_ids, time_series
from nswp_survey.export.tables import (
    Disclosure,
    controlled_cells,
    definitions_table,
    high_indicators,
    indicator_table,
    is_small,
    law_changes,
    law_table,
    response_tables,
)
from nswp_survey.export.withhold import withhold_countries
from nswp_survey.indicators import Catalogue, Frames, compute_indicators
from nswp_survey.private import private_dir, write_private
from nswp_survey.register import compute_coverage
from nswp_survey.register.codes import LANGUAGES, REGIONS

GLOBAL = "global"
WITHHELD = ExportSettings().withhold_countries  # the configuration's default
FORMATS = ("xlsx", "csv", "html")
DEFAULT_FORMATS = ("xlsx", "csv")
SENSITIVE_LINE = "includes sensitive fields"
# The indicator whose numerator the cover's SW-led share shows again (SW-led organisations).
SW_LED_ID = "ORG-01"
# The languages each pack is written in when none is asked for (domain.md §5; NSWP publishes
# in EN/FR/ES/RU/ZH). The first is the region's main language.
PUBLICATION_LANGUAGES: dict[str, tuple[str, ...]] = {
    "africa": ("en", "fr"),
    "asia_pacific": ("en", "zh"),
    "europe": ("en", "ru"),
    "lac": ("es",),
    "nac": ("en",),
    GLOBAL: ("en",),
}


@dataclass
class Pack:
    """One region's (or the global) tables for a year, in one language and tier."""

    region: str
    year: int
    lang: str
    tier: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    suppressed: int = 0
    responses: int = 0  # counted responses of the year in the pack's scope
    plan: YearPlan | None = field(default=None, repr=False)  # the public tier's, of the year
    # labels in the pack's language of codes a table shows as they are, by table name:
    # "law_matrix" (its area columns), "legend" (its direction symbols) and
    # "service_coverage" (its country or region columns)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return f"nswp-{self.region}-{self.year}-{self.lang}"


def publication_languages(region: str) -> tuple[str, ...]:
    """The languages a region's pack is published in, e.g. ("en", "fr") for africa."""
    return PUBLICATION_LANGUAGES.get(region, ("en",))


def check_choice(region: str, lang: str | None) -> list[str]:
    """The regions a `--region` value stands for; ExportError naming the valid values."""
    if lang is not None and lang not in LANGUAGES:
        raise ExportError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
    if region == "all":
        return [*REGIONS, GLOBAL]
    if region not in (*REGIONS, GLOBAL):
        valid = ", ".join((*REGIONS, GLOBAL, "all"))
        raise ExportError(f"unknown region {region!r}; valid: {valid}")
    return [region]


def _coverage(
    engine: Engine,
    year: int,
    region: str,
    withhold: Collection[str] = (),
    asset_uids: Sequence[str] | None = None,
) -> tuple[Any, Any]:
    """(active members, coverage %) of the region, or of everyone for the global pack, without
    the withheld countries (else coverage x members - responses would count their answers),
    from the responses of `asset_uids` (the forms the pack's frames were loaded from)."""
    cells = [
        c
        for c in compute_coverage(engine, year, asset_uids=asset_uids).by_country
        if (region == GLOBAL or c.region == region) and c.country not in withhold
    ]
    active = sum(c.active for c in cells)
    if not active:
        return active, None
    return active, round(sum(c.responded for c in cells) / active * 100, 1)


def _cover(
    pack: Pack,
    responses: pd.DataFrame,
    engine: Engine,
    *,
    public: bool,
    min_cell: int,
    min_cell_high: int,
    include_sensitive: bool,
    left_out: int,
    withhold: Collection[str] = (),
    asset_uids: Sequence[str] | None = None,
    plan: YearPlan | None = None,
) -> pd.DataFrame:
    """`plan`: the year's public plan; the responses, and what they would give away (the
    coverage, the countries, the SW-led share), show its label when it hides them."""
    active, coverage = _coverage(engine, pack.year, pack.region, withhold, asset_uids)
    sw_led = responses.get("sw_led", pd.Series(dtype="object"))
    answered = sw_led[sw_led.isin(["0", "1"])]
    led = int(answered.eq("1").sum())
    share: Any = round(led / len(answered) * 100, 1) if len(answered) else None
    if public and (is_small(led, min_cell) or is_small(len(answered), min_cell)):
        share = f"<{min_cell}"
        pack.suppressed += 1
    countries = responses.get("country", pd.Series(dtype="object")).dropna()
    count: Any = len(responses)
    places: Any = int(countries[countries.ne("")].nunique())
    if plan is not None:
        scope = None if pack.region == GLOBAL else pack.region
        total = responses_key(pack.year, scope)
        led_key = ("ind", SW_LED_ID, "numerator", "", *total[1:])
        if hidden := plan.label(total):
            count = places = coverage = hidden
        if (hidden or plan.label(led_key)) and share is not None:
            share = hidden or plan.label(led_key)
    items: list[tuple[str, Any]] = [
        ("region", pack.region),
        ("year", pack.year),
        ("responses", count),
        ("active members", active),
        ("coverage (%)", coverage),
        ("countries", places),
        ("SW-led share (%)", share),
        ("language", pack.lang),
        ("generated at", datetime.now(UTC).replace(microsecond=0).isoformat()),
        ("tier", pack.tier),
        ("minimum cell size", min_cell if public else None),
        ("minimum cell size, high-sensitivity items", min_cell_high if public else None),
        ("suppressed cells", pack.suppressed),
        ("sensitive fields left out", left_out),
        ("row-level responses", "no" if public else "yes"),
        # whether the rule is on, never which countries, nor whether any of them answered
        ("countries withheld for safety", "yes" if withhold else "no"),
    ]
    if include_sensitive:
        items.append((SENSITIVE_LINE, "yes"))
    return pd.DataFrame(items, columns=["item", "value"])


def build_pack(
    engine: Engine,
    catalogue: Catalogue,
    frames: Frames,
    form: ExportForm,
    year: int,
    region: str,
    *,
    lang: str = "en",
    tier: str = "public",
    min_cell: int = 3,
    min_cell_high: int = 5,
    min_group: int = 10,
    joint: bool = False,
    include_sensitive: bool = False,
    withhold: Collection[str] = WITHHELD,
) -> Pack:
    """Every table of one regional (or the global) pack; public tier = disclosure control.

    `min_cell_high` is the floor for indicators reading a field marked high-sensitivity
    (never below `min_cell`); `min_group`: a share of 0 % or 100 % of a smaller group is
    hidden for medium- and high-sensitivity items (published.py); both with `joint`, which
    protects every public table of the year together (published.py) instead of each table
    on its own. `withhold`: countries the
    public tier leaves out altogether (withhold.py).
    """
    public = tier == "public"
    if public and include_sensitive:
        raise ExportError("sensitive fields never go into the public tier: use the internal tier")
    if public and joint and 2 in (min_cell, min_cell_high):
        # "<2" can only be 1: the label would publish the cell it hides
        raise ExportError("a minimum cell size of 2 would show 1 as '<2': use 1 (no "
                          "suppression, internal use) or 3 and more")  # fmt: skip
    withheld = bool(public and withhold)
    source = frames
    if withheld:
        frames = withhold_countries(frames, withhold)
    rules = Disclosure(
        public,
        min_cell,
        max(min_cell, min_cell_high),
        high_indicators(catalogue, form),
        min_group=min_group,
        sensitive=sensitive_indicators(catalogue, form),
    )
    if public and joint:  # one plan over every public table of the year, shared by all packs
        plan = year_plan(
            frames, catalogue, form, year, rules, cache=source.cache,
            series=headline_ids(catalogue), section=section_ids(catalogue),
        )  # fmt: skip
        rules = replace(rules, plan=plan, catalogue=catalogue)
    pack = Pack(region, year, lang, tier, plan=rules.plan)
    scope = None if region == GLOBAL else region
    by = ("region",) if region == GLOBAL else ("country",)
    results = compute_indicators(frames, catalogue, year, scope, by, lang=lang)
    responses = frames.responses[frames.responses["year"].eq(year)]
    if scope:
        responses = responses[responses.get("region", pd.Series(index=responses.index)).eq(scope)]
    pack.responses = len(responses)
    law = frames.law[frames.law["submission_id"].isin(responses["submission_id"])]
    indicators, pack.suppressed = indicator_table(results, rules, year=year, scope=scope)
    # sections: the same indicators region-wide, by their own categories only
    overall = compute_indicators(frames, catalogue, year, scope, (), lang=lang,
                                 ids=section_ids(catalogue))  # fmt: skip
    section_cells = controlled_cells(overall, rules, year=year, scope=scope)
    pack.suppressed += hidden_breakdowns(section_cells)
    changes = law_changes(law, public=public)  # de-duplicated once, for the table and matrix
    matrix, areas = law_matrix(changes, form, lang)
    heat = service_coverage(responses, form, lang, by=by[0], rules=rules, year=year, scope=scope)
    pack.suppressed += heat.hidden
    series, hidden = time_series(frames, catalogue, year, scope, rules, lang, results)
    pack.suppressed += hidden
    pack.labels = {
        "law_matrix": areas,
        "legend": direction_legend(form, lang),
        "service_coverage": heat.labels,
    }
    # the public tier shows no rows: only the dictionary is wanted, so no answer is read
    rows, repeats, dictionary, left_out = response_tables(
        engine,
        responses.head(0) if public else responses,
        form,
        lang,
        aliases=catalogue.aliases,
        include_sensitive=include_sensitive,
    )
    cover = _cover(
        pack,
        responses,
        engine,
        public=public,
        min_cell=min_cell,
        min_cell_high=rules.min_cell_high,
        include_sensitive=include_sensitive,
        left_out=left_out,
        withhold=withhold if withheld else (),
        asset_uids=frames.asset_uids,
        plan=rules.plan,
    )
    pack.tables = {
        "cover": cover,
        "indicators": indicators,
        "law_changes": law_table(changes, form, lang),
        "law_matrix": matrix,
        "service_coverage": heat.table,
        **section_tables(section_cells, catalogue),
        "time_series": series,
        **({} if public else {"responses": rows, **repeats}),
        "dictionary": dictionary,
        "definitions": definitions_table(catalogue, lang),
    }
    return pack


def build_packs(
    engine: Engine,
    catalogue: Catalogue,
    frames: Frames,
    form: ExportForm,
    year: int,
    regions: Iterable[str],
    **options: Any,
) -> list[Pack]:
    return [build_pack(engine, catalogue, frames, form, year, r, **options) for r in regions]


def _cell(value: Any) -> Any:
    """pandas values -> what a spreadsheet cell holds (None for missing; ints stay ints);
    the writers neutralise the text (cells.py)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows(table: pd.DataFrame) -> list[list[Any]]:
    return [[_cell(v) for v in row] for row in table.itertuples(index=False, name=None)]


def write_xlsx(pack: Pack, path: Path) -> Path:
    def write(tmp: Path) -> None:
        book = openpyxl.Workbook(write_only=True)
        for name, table in pack.tables.items():
            sheet = book.create_sheet(name[:31])
            sheet.append(xlsx_row(sheet, [str(c) for c in table.columns]))
            for row in _rows(table):
                sheet.append(xlsx_row(sheet, row))
        book.save(tmp)

    return write_private(path, write)


def write_csvs(pack: Pack, folder: Path) -> list[Path]:
    private_dir(folder)
    written = []
    for name, table in pack.tables.items():

        def write(tmp: Path, table: pd.DataFrame = table) -> None:
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                writer = csv_writer(handle)
                writer.writerow([str(c) for c in table.columns])
                writer.writerows(_rows(table))

        written.append(write_private(folder / f"{name}.csv", write))
    return written


def _collect_workbook(err: BaseException) -> None:
    """Free now, quietly, a workbook that failed mid-write (a disk full): openpyxl's
    write-only sheets stream into open temporary files, and an abandoned one prints
    "Exception ignored" tracebacks when it is collected at exit."""
    traceback.clear_frames(err.__traceback__)  # the failed frames hold the workbook
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def write_pack(pack: Pack, out_dir: Path, formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    """The pack's files under `<out_dir>/<year>/<region>/`; returns the paths written."""
    if unknown := [f for f in formats if f not in FORMATS]:
        raise ExportError(f"unknown format {', '.join(unknown)}; valid: {', '.join(FORMATS)}")
    folder = private_dir(Path(out_dir), str(pack.year), pack.region)
    written: list[Path] = []
    if "xlsx" in formats:
        try:
            written.append(write_xlsx(pack, folder / f"{pack.stem}.xlsx"))
        except BaseException as err:
            _collect_workbook(err)
            raise
    if "csv" in formats:
        written += write_csvs(pack, folder / f"{pack.stem}-csv")
    if "html" in formats:
        from nswp_survey.export.html import write_html  # html.py imports this module

        written.append(write_html(pack, folder / f"{pack.stem}.html"))
    return written
