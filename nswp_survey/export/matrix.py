"""The law matrix of a pack: one row per country, one column per area of change, each cell
the direction(s) of the de-duplicated changes there, as symbols ("+", "−", "±", "0", "?").

Built from `tables.law_changes`, so the public tier follows the law table's rule: a country
is named only when its change has a public source; the other changes are kept in one row
labelled "(country not shown: no public source)", so the area counts stay whole. Columns
are the `lc_area` choice codes (stable for analysts scripting against the sheet);
`law_matrix` also returns each area's label in the pack's language for the HTML report.

Example:
    matrix, labels = law_matrix(law_changes(law, public=True), form, "fr")
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from nswp_survey.export.form import ExportForm
from nswp_survey.export.i18n import phrase
from nswp_survey.export.tables import LawChange

# Direction codes of the `direction` list -> the symbol shown (colour is never the only cue).
SYMBOLS = {"positive": "+", "negative": "−", "mixed": "±", "neutral": "0", "unclear": "?"}
UNKNOWN = "?"


def symbols(directions: Sequence[str]) -> str:
    """The distinct symbols of these direction codes, in SYMBOLS order: "+ −"."""
    wanted = {SYMBOLS.get(d, UNKNOWN) for d in directions}
    return " ".join(s for s in dict.fromkeys([*SYMBOLS.values(), UNKNOWN]) if s in wanted)


def direction_legend(form: ExportForm, lang: str) -> dict[str, str]:
    """{symbol: the direction's label in `lang`}, e.g. {"+": "Positive", ...}."""
    return {
        sym: form.schema.field_label("lc_direction", code, lang) for code, sym in SYMBOLS.items()
    }


def law_matrix(
    changes: Sequence[LawChange], form: ExportForm, lang: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """(country × area table of direction symbols, {area code: label in `lang`})."""
    cells: dict[tuple[str, str], list[str]] = {}
    for change in changes:
        for area in change.areas or ("other",):
            cells.setdefault((change.country, area), []).append(change.direction)
    order = form.schema.choice_names("lc_area") or []
    used = {area for _country, area in cells}
    areas = [a for a in order if a in used] + sorted(used - set(order))
    label = form.schema.field_label
    names = {c: label("country", c, lang) for c, _area in cells if c}
    hidden = phrase("not_shown", lang)  # the row of changes without a public source
    # named countries by their label, then the row of changes whose country is not shown
    countries = sorted(names, key=lambda c: names[c].casefold())
    countries += [""] if any(not c for c, _area in cells) else []
    rows = [
        [names.get(country, hidden), *(symbols(cells.get((country, a), [])) for a in areas)]
        for country in countries
    ]
    labels = {area: label("lc_area", area, lang) for area in areas}
    return pd.DataFrame(rows, columns=["country", *areas]), labels
