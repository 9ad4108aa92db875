"""The time_series table of a pack (domain.md §5 item 9): the headline indicators per survey
year, from the earliest year in the store up to the pack's year, for the Board's annual
assessment and the strategic review.

One row per headline indicator (HEADLINE_IDS), after a first row `responses` (the counted
responses of each year); columns id, indicator (title in the pack's language), then one per
survey year ("2024", "2025"). Each cell is the region-wide (or global) headline value of that
year, in the indicator sheet's units (a share is a fraction), after `tables.controlled_cells`:
a small cell shows "<3" in the public tier, exactly as on the indicator sheet.

Example:
    table, hidden = time_series(frames, catalogue, 2025, "africa", rules, "fr")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from nswp_survey.export.i18n import cover_label
from nswp_survey.export.published import responses_key
from nswp_survey.export.tables import Cell, Disclosure, controlled_cells
from nswp_survey.indicators import Catalogue, Frames, IndicatorResult, compute_indicators

RESPONSES_ROW = "responses"
# What the Board follows from year to year. Shares of organisations (and two counts of
# countries) that every member answers, so one year compares with the next whatever the
# response rate: register figures (MEM-01, MEM-04) depend on the register of each year and
# coverage is on the cover; distributions and sums have no single headline worth a trend.
HEADLINE_IDS: tuple[str, ...] = (
    "ORG-01",  # SW-led organisations: who NSWP's membership is (strategy 2)
    "MEM-03",  # members also in a regional network: the network structure
    "ORG-02b",  # organisational strength: at least 5 governance items
    "ORG-03b",  # funding decreased: the funding climate members face
    "ORG-04b",  # support from NSWP: NSWP's own reach
    "POL-02",  # sex workers on national HIV governance (CCM seat)
    "PRG-03",  # meaningful involvement in national programmes (impact h)
    "VIO-02",  # capacity to document violations
    "MOB-02",  # unsafe to act on international days: the civic-space signal
    "LAW-02",  # countries with a positive adopted change (impact d)
    "LAW-02b",  # countries with a negative adopted change
)


@dataclass(frozen=True)
class YearFigures:
    """One survey year of the series: counted responses and each headline cell by id."""

    year: int
    responses: int | str  # a label ("<3", "x") when the public tier hides it
    cells: dict[str, Cell]


def headline_ids(catalogue: Catalogue) -> list[str]:
    """HEADLINE_IDS the catalogue has (an edited catalogue may drop one)."""
    known = {spec.id for spec in catalogue.indicators}
    return [i for i in HEADLINE_IDS if i in known]


def series_years(frames: Frames, year: int) -> list[int]:
    """Survey years in the frames up to `year` (always including `year` itself)."""
    found = pd.to_numeric(frames.responses["year"], errors="coerce").dropna().astype(int)
    return sorted({int(y) for y in found if y <= year} | {year})


def _responses(frames: Frames, year: int, scope: str | None) -> int:
    responses = frames.responses
    keep = responses["year"].eq(year)
    if scope is not None:
        keep &= responses.get("region", pd.Series(None, index=responses.index)).eq(scope)
    return int(keep.sum())


def year_figures(
    frames: Frames,
    catalogue: Catalogue,
    year: int,
    scope: str | None,
    rules: Disclosure,
    lang: str,
    computed: Sequence[IndicatorResult] = (),
) -> YearFigures:
    """`computed`: the year's results if the caller has them (any breakdown: only each
    headline figure is read), else they are computed here."""
    ids = headline_ids(catalogue)
    results = [r for r in computed if r.id in ids] or compute_indicators(
        frames, catalogue, year, scope, (), lang=lang, ids=ids
    )
    cells = {
        c.id: c for c in controlled_cells(results, rules, year=year, scope=scope) if not c.keys
    }
    responses: int | str = _responses(frames, year, scope)
    if rules.public and rules.plan is not None:
        responses = rules.plan.label(responses_key(year, scope)) or responses
    return YearFigures(year, responses, cells)


def series_table(figures: Sequence[YearFigures], ids: Sequence[str], lang: str) -> pd.DataFrame:
    years = [str(f.year) for f in figures]
    rows = [[RESPONSES_ROW, cover_label("responses", lang), *(f.responses for f in figures)]]
    for indicator_id in ids:
        title = next((f.cells[indicator_id].title for f in figures if indicator_id in f.cells), "")
        values = [f.cells[indicator_id].value if indicator_id in f.cells else None
                  for f in figures]  # fmt: skip
        rows.append([indicator_id, title, *values])
    # object columns: a count stays an int beside a share and a "<3"
    return pd.DataFrame(rows, columns=["id", "indicator", *years], dtype=object)


def time_series(
    frames: Frames,
    catalogue: Catalogue,
    year: int,
    scope: str | None,
    rules: Disclosure,
    lang: str,
    current: Sequence[IndicatorResult] = (),
) -> tuple[pd.DataFrame, int]:
    """(the table, suppressed cells of the earlier years).

    The pack year's cells are the indicator sheet's headlines again, so they are counted
    there only (as the sections' headlines are); `current`: the indicator sheet's results,
    so that they are not computed twice.
    """
    figures = [
        year_figures(frames, catalogue, y, scope, rules, lang, current if y == year else ())
        for y in series_years(frames, year)
    ]
    hidden = sum(c.hidden for f in figures if f.year != year for c in f.cells.values())
    return series_table(figures, headline_ids(catalogue), lang), hidden
