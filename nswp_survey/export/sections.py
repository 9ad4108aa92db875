"""The section tables of a pack (domain.md §5 items 4–8), one row per indicator cell.

    programmes       PRG-*   services offered, expanded vs reduced per service, cut reasons,
                             involvement in and changes to national programmes
    participation    POL-*, LEAD-*   forums by level, NSWP-supported share, CCM seats, mentees
    mobilisation     MOB-*   international days by theme, formats, "unsafe to act" share
    violence_rights  VIO-*   violence trend, perpetrators, Consensus Statement rights
    needs            TA-*    support needs ranked, preferred support language

Rows come from the region-wide (or global) results, broken down only by the indicator's own
category (a choice, a field, a service), after `tables.controlled_cells`: the same disclosure
control as the indicator sheet. Columns: id, indicator (title in the pack's language), code
(the category's stable code, "" for the headline), category (its label), value, numerator,
denominator, n. Choices are ranked by how many organisations chose them; suppressed cells
follow in code order, so their place in the ranking gives nothing away.

Example:
    cells = controlled_cells(compute_indicators(frames, catalogue, 2025, "africa", ()), rules)
    tables = section_tables(cells, catalogue)   # {"programmes": DataFrame, ...}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from nswp_survey.export.tables import Cell
from nswp_survey.indicators import Catalogue
from nswp_survey.indicators.results import MISSING

# section -> the id prefixes of the indicators it shows (new catalogue ids fall in by prefix)
SECTIONS: dict[str, tuple[str, ...]] = {
    "programmes": ("PRG",),
    "participation": ("POL", "LEAD"),
    "mobilisation": ("MOB",),
    "violence_rights": ("VIO",),
    "needs": ("TA",),
}
SECTION_COLUMNS = ["id", "indicator", "code", "category", "value", "numerator", "denominator", "n"]
# Kinds whose categories are ranked (by organisations); sums keep the form's field order.
RANKED_KINDS = {"distribution", "programmes:balance", "programmes:cut_reasons"}


def section_of(indicator_id: str) -> str | None:
    prefix = indicator_id.split("-", 1)[0]
    return next((name for name, prefixes in SECTIONS.items() if prefix in prefixes), None)


def section_ids(catalogue: Catalogue) -> list[str]:
    """The catalogue's indicators that some section shows, in catalogue order."""
    return [spec.id for spec in catalogue.indicators if section_of(spec.id)]


def _rank(cell: Cell) -> tuple[int, float, int]:
    """Shown before suppressed; most organisations first; "(no answer)" last among equals."""
    if cell.hidden:
        return (1, 0.0, 0)
    if cell.kind == "programmes:balance":  # how many members moved this service either way
        score = float(cell.numerator or 0) + float(cell.denominator or 0)
    else:
        score = float(cell.numerator or 0)
    return (0, -score, int(cell.keys[-1][1] == MISSING))


def _ordered(cells: Sequence[Cell]) -> list[Cell]:
    head = [c for c in cells if not c.keys]
    rows = [c for c in cells if c.keys]
    if rows and rows[0].kind in RANKED_KINDS:
        rows = sorted(rows, key=_rank)  # stable: ties keep the form's order
    # a distribution's headline has no value (only n = R): the categories say it all
    head = [c for c in head if not rows or c.value is not None]
    return head + rows


def _row(cell: Cell) -> list[object]:
    """Labels come from the indicators, already in the pack's language, references filled."""
    code, label = (cell.keys[-1][1], cell.keys[-1][2]) if cell.keys else ("", "")
    return [cell.id, cell.title, code, label, cell.value, cell.numerator, cell.denominator, cell.n]


def section_tables(cells: Iterable[Cell], catalogue: Catalogue) -> dict[str, pd.DataFrame]:
    """{section: table}, every section present (an empty table when it has no indicator)."""
    by_id: dict[str, list[Cell]] = {}
    for cell in cells:
        if not cell.absent:
            by_id.setdefault(cell.id, []).append(cell)
    rows: dict[str, list[list[object]]] = {name: [] for name in SECTIONS}
    for indicator_id in section_ids(catalogue):
        section = section_of(indicator_id)
        if section is None or indicator_id not in by_id:
            continue
        rows[section] += [_row(c) for c in _ordered(by_id[indicator_id])]
    return {name: pd.DataFrame(table, columns=SECTION_COLUMNS) for name, table in rows.items()}


def hidden_breakdowns(cells: Iterable[Cell]) -> int:
    """Suppressed category cells (headlines are counted once, in the indicator sheet)."""
    return sum(1 for c in cells if c.hidden and c.keys)
