"""Small inline-SVG charts for the HTML report: horizontal bars, plain or stacked.

No JavaScript and no external resources: each chart is one `<svg>` element whose text is
escaped. Labels sit above their bar so the chart stays legible when a phone scales it down.

Example:
    svg = bar_chart([("Members in a network", 100.0, "100%")], "Headline shares", maximum=100)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

WIDTH = 400
ROW = 40
BAR = 16
LABEL_CHARS = 56
# bars in green; series in neutral colours (direction labels arrive translated, not coded)
BAR_COLOUR = "#1b7f5c"
PALETTE = ("#2e86c1", "#e67e22", "#7d3c98", "#566573", "#17a589", "#a04000")
MUTED = "#d5d8dc"
LEGEND_LINE = 16  # height of a line of the legend


def _width(text: str) -> int:
    """Rough width in pixels at 11px: CJK (wide) characters take about twice a Latin one."""
    return sum(12 if unicodedata.east_asian_width(ch) in "WF" else 7 for ch in text)


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _svg(title: str, height: int, body: list[str]) -> str:
    name = escape(title)
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{name}" '
        f'preserveAspectRatio="xMinYMin meet">'
        f"<title>{name}</title>{''.join(body)}</svg>"
    )


def _label(y: float, text: str) -> str:
    return (
        f'<text x="0" y="{y:.0f}" font-size="12" fill="#1c2833"><title>{escape(text)}</title>'
        f"{escape(_short(text))}</text>"
    )


def bar_chart(
    rows: Sequence[tuple[str, float | None, str]], title: str, *, maximum: float = 100.0
) -> str:
    """One bar per (label, value or None, shown text); None draws a muted stub (suppressed)."""
    body: list[str] = []
    scale = (WIDTH - 60) / maximum if maximum else 0
    for i, (label, value, shown) in enumerate(rows):
        top = i * ROW
        body.append(_label(top + 12, label))
        y = top + 17
        if value is None:
            body.append(f'<rect x="0" y="{y}" width="8" height="{BAR}" fill="{MUTED}"/>')
            end = 12
        else:
            width = max(value * scale, 1)
            body.append(
                f'<rect x="0" y="{y}" width="{width:.1f}" height="{BAR}" fill="{BAR_COLOUR}"/>'
            )
            end = width + 4
        body.append(
            f'<text x="{end:.1f}" y="{y + 12}" font-size="11" fill="#1c2833">{escape(shown)}</text>'
        )
    return _svg(title, max(len(rows) * ROW, ROW), body)


def stacked_chart(
    rows: Sequence[tuple[str, Sequence[int] | str]], series: Sequence[str], title: str
) -> str:
    """One stacked bar per (label, count per series), with a legend of the series on top.

    A row whose counts are a text (a suppressed cell, "<3") draws a muted stub and that text.
    """
    body: list[str] = []
    x, line = 0.0, 0
    for i, name in enumerate(series):
        step = 28 + _width(name)
        if x and x + step - 12 > WIDTH:  # the legend wraps instead of running off the chart
            x, line = 0.0, line + 1
        colour = PALETTE[i % len(PALETTE)]
        y = 2 + line * LEGEND_LINE
        body.append(f'<rect x="{x:.0f}" y="{y}" width="12" height="12" fill="{colour}"/>')
        body.append(
            f'<text x="{x + 16:.0f}" y="{y + 10}" font-size="11" fill="#1c2833">'
            f"{escape(name)}</text>"
        )
        x += step
    legend = 24 + line * LEGEND_LINE
    counted = [counts for _label_, counts in rows if not isinstance(counts, str)]
    largest = max((sum(counts) for counts in counted), default=0) or 1
    scale = (WIDTH - 40) / largest
    for i, (label, counts) in enumerate(rows):
        top = legend + i * ROW
        body.append(_label(top + 12, label))
        y, x = top + 17, 0.0
        if isinstance(counts, str):
            body.append(f'<rect x="0" y="{y}" width="8" height="{BAR}" fill="{MUTED}"/>')
            body.append(
                f'<text x="12" y="{y + 12}" font-size="11" fill="#1c2833">{escape(counts)}</text>'
            )
            continue
        for j, count in enumerate(counts):
            if not count:
                continue
            width = count * scale
            colour = PALETTE[j % len(PALETTE)]
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" '
                f'fill="{colour}"><title>{escape(series[j])}: {count}</title></rect>'
            )
            x += width
        body.append(
            f'<text x="{x + 4:.1f}" y="{y + 12}" font-size="11" fill="#1c2833">{sum(counts)}</text>'
        )
    return _svg(title, legend + max(len(rows), 1) * ROW, body)
