"""One self-contained HTML report per regional pack: cover facts, charts, indicators, law
changes, the law matrix, the service-coverage heat map, the sections (programmes,
participation, international days, violence and rights, support needs) and the headline
indicators over the years, all in the pack's language (i18n.py).

Opens offline: inline CSS, inline SVG charts (figures.py, charts.py), no scripts, fonts or
images. Readable on a phone (tables scroll sideways) and printable. Every text is escaped.
The law matrix colours cells by direction and always prints the symbol too; the heat map
shades cells by share and always prints the percentage too. Written 0600.

Example:
    write_html(pack, folder / f"{pack.stem}.html")
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from nswp_survey.export.coverage import KEY_COLUMNS
from nswp_survey.export.figures import (
    cell_text,
    law_chart,
    missing,
    section_figures,
    series_figures,
    share_chart,
)
from nswp_survey.export.i18n import (
    ORDER,
    REGION_NAMES,
    WORDS,
    column_label,
    cover_label,
    phrase,
    section_title,
)
from nswp_survey.export.matrix import SYMBOLS
from nswp_survey.export.pack import SENSITIVE_LINE, Pack
from nswp_survey.export.sections import SECTIONS
from nswp_survey.export.tables import SECONDARY
from nswp_survey.indicators.results import PERCENT_KINDS
from nswp_survey.private import write_private

FONTS = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", '
    '"Noto Sans CJK", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", '
    '"Helvetica Neue", Arial, sans-serif'
)
CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:$FONTS;color:#1c2833;background:#fff;line-height:1.45}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0 .6em}h2{font-size:1.15rem;margin:1.6em 0 .5em}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px;margin:0}
.facts div{background:#f4f6f7;border-radius:6px;padding:8px 10px}
.facts dt{font-size:.8rem;color:#566573}.facts dd{margin:0;font-size:1.1rem;font-weight:600}
.warning{border:2px solid #c0392b;background:#fdedec;color:#78281f;padding:10px;
border-radius:6px;font-weight:600}
.note{color:#566573;font-size:.85rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
figure{margin:0}figcaption{font-weight:600;margin-bottom:6px}
svg.chart{width:100%;height:auto;display:block}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #d5d8dc}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{padding:4px 8px;border-bottom:1px solid #e5e8e8;text-align:left;vertical-align:top}
th{background:#eaeded;position:sticky;top:0}
td.num,td:first-child{white-space:nowrap}td.num{text-align:right}
tr.headline td{font-weight:600;background:#fbfcfc}
section{margin-top:1.2em}
table.matrix th[scope=row]{font-weight:600;white-space:nowrap;text-align:left}
td.dir,span.dir{text-align:center;font-weight:700;-webkit-print-color-adjust:exact;
print-color-adjust:exact}
.pos{background:#d4efdf;color:#145a32}.neg{background:#fadbd8;color:#78281f}
.mix{background:#fcf3cf;color:#7d6608}.oth{background:#eaeded;color:#1c2833}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 14px;font-size:.85rem}
.legend span{display:inline-block;min-width:1.6em;padding:0 4px;border-radius:3px}
td.heat,span.heat{text-align:right;white-space:nowrap;-webkit-print-color-adjust:exact;
print-color-adjust:exact}
.h0{background:#f8f9f9}.h1{background:#d4efdf}.h2{background:#a9dfbf}
.h3{background:#52be80;color:#0b2e1c}.h4{background:#1e8449;color:#fff}
.hx{background:#eaeded;color:#566573}
@media (max-width:480px){main{padding:10px}h1{font-size:1.25rem}}
@media print{
@page{margin:14mm}
body{font-size:10pt}main{max-width:none;padding:0}
.table-wrap{overflow:visible;border:0}
th{position:static}thead{display:table-header-group}
tr,figure,.facts div{break-inside:avoid}
.warning{border-color:#000;background:none;color:#000}
}
""".replace("$FONTS", FONTS)
NUMERIC = {"value", "numerator", "denominator", "n", "reports"}
# heat-map shades: (class, lowest share in %, legend text); a cell takes the last it reaches
SHADES = (("h0", 0.0, "0%"), ("h1", 0.1, "1–24%"), ("h2", 25.0, "25–49%"),
          ("h3", 50.0, "50–74%"), ("h4", 75.0, "75–100%"))  # fmt: skip


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def title(pack: Pack) -> str:
    """The report's heading in the pack's language, e.g. "NSWP member survey 2025: Africa"."""
    names = REGION_NAMES.get(pack.region)
    region = names[ORDER.index(pack.lang)] if names and pack.lang in ORDER else pack.region
    return words(pack.lang)["title"].format(year=pack.year, region=region)


def _table(
    frame: pd.DataFrame,
    lang: str,
    *,
    headline: str | None = None,
    hide: tuple[str, ...] = (),
    labels: Mapping[str, str] | None = None,
) -> str:
    """A table with headers in `lang`; rows whose `headline` column is blank are emphasised."""
    if frame.empty:
        return f'<p class="note">{escape(words(lang)["none"])}</p>'
    columns = [c for c in frame.columns if c not in hide]
    head = "".join(
        f'<th scope="col">{escape(column_label(str(c), lang, labels))}</th>' for c in columns
    )
    rows = []
    for record in frame.to_dict("records"):
        cls = ' class="headline"' if headline and not cell_text(record.get(headline)) else ""
        cells = "".join(
            f'<td class="num">{escape(cell_text(record[c]))}</td>'
            if c in NUMERIC or str(c).isdigit() else
            f"<td>{escape(cell_text(record[c]))}</td>"
            for c in columns
        )  # fmt: skip
        rows.append(f"<tr{cls}>{cells}</tr>")
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _direction_class(text: str) -> str:
    """The colour class of a matrix cell from its symbols (the symbols stay as text)."""
    found = set(text.split())
    if not found:
        return ""
    if found == {SYMBOLS["positive"]}:
        return "pos"
    if found == {SYMBOLS["negative"]}:
        return "neg"
    if found & {SYMBOLS["positive"], SYMBOLS["negative"], SYMBOLS["mixed"]}:
        return "mix"
    return "oth"


def _matrix(pack: Pack) -> str:
    """The country × area table: symbols coloured by direction, and a legend in words."""
    matrix = pack.tables.get("law_matrix", pd.DataFrame())
    if matrix.empty:
        return f'<p class="note">{escape(words(pack.lang)["none"])}</p>'
    areas = pack.labels.get("law_matrix", {})
    head = f'<th scope="col">{escape(column_label("country", pack.lang))}</th>' + "".join(
        f'<th scope="col">{escape(areas.get(str(c), str(c)))}</th>' for c in matrix.columns[1:]
    )
    rows = []
    for record in matrix.to_dict("records"):
        country = cell_text(record["country"]) or phrase("not_shown", pack.lang)
        cells = []
        for column in matrix.columns[1:]:
            text = cell_text(record[column])
            cls = _direction_class(text)
            cells.append(f'<td class="dir {cls}">{escape(text)}</td>' if cls else "<td></td>")
        rows.append(f'<tr><th scope="row">{escape(country)}</th>{"".join(cells)}</tr>')
    legend = "".join(
        f'<li><span class="dir {_direction_class(sym)}">{escape(sym)}</span> {escape(name)}</li>'
        for sym, name in pack.labels.get("legend", {}).items()
    )
    return (
        f'<ul class="legend">{legend}</ul>'
        f'<div class="table-wrap"><table class="matrix"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _shade(value: Any) -> tuple[str, str]:
    """(class, text) of a heat-map cell: suppressed cells keep their "<3" text, greyed."""
    if isinstance(value, str):
        return "hx", value
    if missing(value):
        return "", ""
    share = float(value)
    cls = next(c for c, low, _text in reversed(SHADES) if share >= low)
    return cls, f"{cell_text(value)}%"


def _heat(pack: Pack) -> str:
    """Service × country table shaded by share (the percentage printed too), with a legend."""
    lang = pack.lang
    table = pack.tables.get("service_coverage", pd.DataFrame())
    groups = [c for c in table.columns if c not in KEY_COLUMNS]
    if table.empty or not groups:
        return f'<p class="note">{escape(words(lang)["none"])}</p>'
    names = pack.labels.get("service_coverage", {})
    head = f'<th scope="col">{escape(column_label("service", lang))}</th>' + "".join(
        f'<th scope="col">{escape(names.get(str(c), str(c)))}</th>' for c in groups
    )
    rows = []
    for record in table.to_dict("records"):
        cells = []
        for column in groups:
            cls, text = _shade(record[column])
            cells.append(f'<td class="heat {cls}">{escape(text)}</td>')
        service = escape(cell_text(record["service"]))
        rows.append(f'<tr><th scope="row">{service}</th>{"".join(cells)}</tr>')
    legend = "".join(
        f'<li><span class="heat {cls}">{escape(text)}</span></li>' for cls, _low, text in SHADES
    )
    hidden = next((v for v in table[groups].to_numpy().ravel() if isinstance(v, str)), None)
    if hidden:  # the grey cells say why they are empty, in words too
        said = phrase("coverage_hidden", lang).format(n=hidden.removeprefix("<"))
        legend += f'<li><span class="heat hx">{escape(hidden)}</span> {escape(said)}</li>'
    return (
        f'<p class="note">{escape(phrase("coverage_legend", lang))}</p>'
        f'<ul class="legend">{legend}</ul>'
        f'<div class="table-wrap"><table class="matrix"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _facts(pack: Pack) -> tuple[dict[str, Any], str]:
    """Every cover item, named in the pack's language (region and year are in the title)."""
    cover = pack.tables.get("cover", pd.DataFrame(columns=["item", "value"]))
    info = dict(zip(cover["item"], cover["value"], strict=True))
    w = words(pack.lang)
    items = []
    for item, value in info.items():
        if item in ("region", "year", "language", "generated at"):
            continue
        if item == "tier":
            shown = w.get(str(value), str(value))
        elif item == SENSITIVE_LINE or value in ("yes", "no"):
            shown = phrase("yes" if item == SENSITIVE_LINE else str(value), pack.lang)
        elif missing(value):
            shown = "—"
        elif item.endswith("(%)") and not isinstance(value, str):
            shown = f"{cell_text(value)}%"
        else:
            shown = cell_text(value)
        items.append((cover_label(str(item), pack.lang), shown))
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in items)
    return info, f'<dl class="facts">{cells}</dl>'


def _figures(figures: list[tuple[str, str]]) -> str:
    inner = "".join(
        f"<figure><figcaption>{escape(caption)}</figcaption>{svg}</figure>"
        for caption, svg in figures
    )
    return f'<div class="charts">{inner}</div>' if inner else ""


def _sections(pack: Pack) -> str:
    """Law matrix, then one <section> per section table: heading, charts, table."""
    lang = pack.lang
    parts = [
        f'<section id="law_matrix"><h2>{escape(section_title("law_matrix", lang))}</h2>'
        f"{_matrix(pack)}</section>",
        f'<section id="service_coverage"><h2>{escape(section_title("service_coverage", lang))}'
        f"</h2>{_heat(pack)}</section>",
    ]
    for name in SECTIONS:
        if name not in pack.tables:
            continue
        table = pack.tables[name]
        parts.append(
            f'<section id="{name}"><h2>{escape(section_title(name, lang))}</h2>'
            f"{_figures(section_figures(pack, name))}"
            f"{_table(table, lang, headline='code', hide=('code',))}</section>"
        )
    series = pack.tables.get("time_series", pd.DataFrame())
    parts.append(
        f'<section id="time_series"><h2>{escape(section_title("time_series", lang))}</h2>'
        f"{_figures(series_figures(pack))}{_table(series, lang)}</section>"
    )
    return "\n".join(parts)


def _shown_breakdowns(pack: Pack) -> tuple[pd.DataFrame, int]:
    """The indicator rows worth reading: every headline, and the breakdown rows that are not
    suppressed (in a region of many small countries most are; the XLSX keeps them all); a
    share as a percentage, as the charts show it (the XLSX keeps the fraction)."""
    indicators = pack.tables.get("indicators", pd.DataFrame())
    if indicators.empty or "breakdown" not in indicators:
        return indicators, 0
    value = indicators["value"]
    hidden = value.map(lambda v: isinstance(v, str) and (v.startswith("<") or v == SECONDARY))
    drop = hidden & indicators["breakdown"].fillna("").astype(str).ne("")
    shown = indicators[~drop].copy()
    definitions = pack.tables.get("definitions", pd.DataFrame(columns=["id", "kind"]))
    kinds = dict(zip(definitions["id"], definitions["kind"], strict=True))
    is_share = shown["id"].map(kinds).isin(PERCENT_KINDS)
    shown["value"] = [
        f"{v * 100:.1f}%" if share and isinstance(v, int | float) and not missing(v) else v
        for v, share in zip(shown["value"], is_share, strict=True)
    ]
    return shown, int(drop.sum())


def render_html(pack: Pack) -> str:
    """The whole report as one HTML document (a string)."""
    w = words(pack.lang)
    heading = escape(title(pack))
    info, facts = _facts(pack)
    warning = ""
    if SENSITIVE_LINE in info:
        warning = f'<p class="warning" role="alert">{escape(w["sensitive"])}</p>'
    min_cell = info.get("minimum cell size")
    note = ""
    if pack.tier == "public" and not missing(min_cell):
        note = f'<p class="note">{escape(w["suppressed"].format(n=cell_text(min_cell)))}</p>'
    generated = escape(f"{w['generated']}: {cell_text(info.get('generated at'))}")
    charts = _figures([(w["shares"], share_chart(pack)), (w["law_chart"], law_chart(pack))])
    empty = pd.DataFrame()
    indicators, left_out = _shown_breakdowns(pack)
    if left_out:
        note += f'<p class="note">{escape(w["left_out"].format(n=left_out))}</p>'

    return (
        f'<!DOCTYPE html>\n<html lang="{escape(pack.lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{heading}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{heading}</h1>\n{warning}\n{facts}\n"
        f'<p class="note">{generated}</p>\n'
        f'<section class="charts-top">{charts}</section>\n'
        f"<h2>{escape(w['indicators'])}</h2>\n{note}\n"
        f"{_table(indicators, pack.lang, headline='breakdown')}\n"
        f"<h2>{escape(w['law'])}</h2>\n"
        f"{_table(pack.tables.get('law_changes', empty), pack.lang)}\n"
        f"{_sections(pack)}\n"
        "</main>\n</body>\n</html>\n"
    )


def write_html(pack: Pack, path: Path) -> Path:
    """Write the report to `path` (normally `<stem>.html` beside the xlsx), mode 0600."""
    document = render_html(pack)

    def write(tmp: Path) -> None:
        tmp.write_text(document, encoding="utf-8")

    return write_private(Path(path), write)
