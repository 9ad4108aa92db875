"""The report's charts, drawn from a pack's tables (charts.py does the SVG).

Every figure reads the disclosure-controlled tables, so a suppressed cell stays suppressed:
it is drawn as a muted stub carrying the pack's "<3" text, never as a bar.

    share_chart      headline shares of the indicator sheet
    law_chart        law changes by area, stacked by direction
    section_figures  per section (sections.py): one chart per indicator with categories
                     (shares of organisations, counts for sums, started vs stopped for
                     PRG-02), plus one chart of the section's headline shares
    series_figures   time_series (series.py): responses per year, then one chart per
                     headline share with a bar per year (none with a single year)
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from nswp_survey.export.charts import bar_chart, stacked_chart
from nswp_survey.export.i18n import WORDS, phrase
from nswp_survey.export.pack import Pack
from nswp_survey.export.tables import LABEL_SEPARATOR
from nswp_survey.indicators.results import PERCENT_KINDS

# kinds shown as a percentage of organisations (a share, a ratio, a distribution's choices)
Figure = tuple[str, str]  # (caption, svg)


def missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def cell_text(value: Any) -> str:
    """A cell as shown: blanks for missing, whole floats as ints, others at most 3 decimals."""
    if missing(value):
        return ""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3f}".rstrip("0")
    return str(value)


def _words(pack: Pack) -> dict[str, str]:
    return WORDS.get(pack.lang, WORDS["en"])


def _kinds(pack: Pack) -> dict[str, str]:
    definitions = pack.tables.get("definitions", pd.DataFrame(columns=["id", "kind"]))
    return dict(zip(definitions["id"], definitions["kind"], strict=True))


def _bar(label: str, value: Any, percent: bool) -> tuple[str, float | None, str]:
    """One bar of a chart; a suppressed cell (text) keeps its text and gets no length."""
    if isinstance(value, str):
        return (label, None, value)
    if missing(value):
        return (label, 0.0, "—")
    if percent:
        share = float(value) * 100
        return (label, share, f"{share:.0f}%")
    return (label, float(value), cell_text(value))


def share_chart(pack: Pack) -> str:
    indicators = pack.tables.get("indicators", pd.DataFrame())
    kinds = _kinds(pack)
    rows = [
        _bar(str(r["title"]), r["value"], True)
        for r in indicators.to_dict("records")
        if not cell_text(r["breakdown"]) and kinds.get(r["id"]) == "share"
        and not missing(r["value"])
    ]  # fmt: skip
    return bar_chart(rows, _words(pack)["shares"], maximum=100)


def law_chart(pack: Pack) -> str:
    law = pack.tables.get("law_changes", pd.DataFrame(columns=["area", "direction"]))
    if law.empty:
        return stacked_chart([], [], _words(pack)["law_chart"])
    # a change in several areas counts once in each (not as a combination of its own)
    areas = law["area"].fillna("").astype(str).str.split(LABEL_SEPARATOR, regex=False)
    long = law.assign(area=areas).explode("area")
    area = long["area"].replace("", "—")
    direction = long["direction"].fillna("").astype(str).replace("", "—")
    counts = pd.crosstab(area, direction)
    series = [str(s) for s in counts.columns]
    rows = [(str(a), [int(n) for n in counts.loc[a]]) for a in counts.index]
    rows.sort(key=lambda row: -sum(row[1]))
    return stacked_chart(rows, series, _words(pack)["law_chart"])


def _balance(pack: Pack, title: str, cells: pd.DataFrame) -> str:
    """PRG-02: per service, members that started/expanded it and members that cut it."""
    rows: list[tuple[str, list[int] | str]] = []
    for record in cells.to_dict("records"):
        if isinstance(record["value"], str):
            rows.append((str(record["category"]), str(record["value"])))
        else:
            counts = [record["numerator"], record["denominator"]]
            rows.append((str(record["category"]), [0 if missing(c) else int(c) for c in counts]))
    series = [phrase("expanded", pack.lang), phrase("reduced", pack.lang)]
    return stacked_chart(rows, series, title)


def section_figures(pack: Pack, section: str) -> list[Figure]:
    """The charts of one section table, in the table's order; [] when it has no rows."""
    table = pack.tables.get(section)
    if table is None or table.empty:
        return []
    kinds = _kinds(pack)
    figures: list[Figure] = []
    headline: list[tuple[str, float | None, str]] = []
    for indicator_id, rows in table.groupby("id", sort=False):
        kind = kinds.get(str(indicator_id), "")
        title = str(rows["indicator"].iloc[0])
        cells = rows[rows["code"].astype(str).ne("")]
        if cells.empty:
            if kind in PERCENT_KINDS and not missing(rows["value"].iloc[0]):
                headline.append(_bar(title, rows["value"].iloc[0], True))
            continue
        if kind == "programmes:balance":
            figures.append((title, _balance(pack, title, cells)))
            continue
        percent = kind in PERCENT_KINDS
        bars = [_bar(str(r["category"]), r["value"], percent) for r in cells.to_dict("records")]
        largest = max((b[1] or 0.0 for b in bars), default=0.0)
        figures.append((title, bar_chart(bars, title, maximum=100 if percent else largest or 1)))
    if headline:
        caption = phrase("headline", pack.lang)
        figures.append((caption, bar_chart(headline, caption, maximum=100)))
    return figures


def _year_columns(table: pd.DataFrame) -> list[str]:
    return [str(c) for c in table.columns if str(c).isdigit()]


def series_figures(pack: Pack) -> list[Figure]:
    """Year-by-year charts of the time_series table; [] when it holds one year or fewer."""
    table = pack.tables.get("time_series")
    if table is None or len(_year_columns(table)) < 2:
        return []
    years = _year_columns(table)
    kinds = _kinds(pack)
    figures: list[Figure] = []
    for record in table.to_dict("records"):
        title = str(record["indicator"])
        if record["id"] == "responses":
            counts = [_bar(y, record[y], False) for y in years]
            largest = max((b[1] or 0.0 for b in counts), default=0.0)
            figures.append((title, bar_chart(counts, title, maximum=largest or 1)))
        elif kinds.get(str(record["id"])) in PERCENT_KINDS:
            bars = [_bar(y, record[y], True) for y in years]
            figures.append((title, bar_chart(bars, title, maximum=100)))
    return figures
