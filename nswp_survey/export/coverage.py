"""The service_coverage table of a pack (domain.md §5 item 4): the service-coverage heat map.

One row per choice of the `services` field (code, then its label in the pack's language),
one column per country of the region (per region in the global pack), named by its stable
code (ISO code or region code; `labels` gives each its name in the pack's language, as the
law matrix does). A cell is the share (%, one decimal) of that country's counted responses
that offer the service; the denominator is every counted response of the country, as
PRG-01 counts over R.

Disclosure control (public tier): a cell shows "<floor" when the country's respondents or
those offering the service number between 1 and floor-1 (domain.md §6: no country
breakdown when a country has fewer than 3 respondents). The floor is `min_cell`, or
`min_cell_high` if the form marks `services` high-sensitivity.

Example:
    heat = service_coverage(responses, form, "fr", by="country", rules=Disclosure())
    heat.table, heat.labels, heat.hidden
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from nswp_survey.export.form import ExportForm
from nswp_survey.export.published import GLOBAL
from nswp_survey.export.tables import Disclosure, is_small
from nswp_survey.indicators.results import MISSING, NO_ANSWER

SERVICES = "services"
KEY_COLUMNS = ["code", "service"]


@dataclass(frozen=True)
class CoverageTable:
    """The heat map, each column code's label in the pack's language, and cells suppressed."""

    table: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    hidden: int = 0


def _floor(form: ExportForm, rules: Disclosure) -> int:
    if form.level(SERVICES) == "high":
        return max(rules.min_cell, rules.min_cell_high)
    return rules.min_cell


def _groups(responses: pd.DataFrame, by: str) -> pd.Series:
    """Each response's country (or region); an unanswered one is its own group, MISSING."""
    column = responses.get(by, pd.Series(None, index=responses.index, dtype="object"))
    column = column.astype("object").where(column.notna() & column.ne(""), MISSING)
    return column.astype(str)


def _chosen(responses: pd.DataFrame) -> pd.Series:
    """Each response's services, as a set of choice codes."""
    column = responses.get(SERVICES, pd.Series(None, index=responses.index, dtype="object"))
    return column.map(lambda v: set(str(v).split()) if isinstance(v, str) else set())


def _services(form: ExportForm, chosen: pd.Series) -> list[str]:
    """The form's choices in its order, then codes only older versions used."""
    order = list(form.schema.choice_names(SERVICES) or [])
    seen = set().union(*chosen) if len(chosen) else set()
    return order + sorted(seen - set(order))


def _label(form: ExportForm, by: str, code: str, lang: str) -> str:
    if code == MISSING:
        return NO_ANSWER.get(lang, MISSING)
    return form.schema.field_label(by, code, lang)


def _cell(offering: int, respondents: int, floor: int | None) -> float | str:
    if floor is not None and (is_small(respondents, floor) or is_small(offering, floor)):
        return f"<{floor}"
    return round(offering / respondents * 100, 1)


def _planned(
    rules: Disclosure, year: int, scope: str | None, by: str, code: str, service: str
) -> str | None:
    """The plan's label for a cell whose counts it knows (None: publish, or not known)."""
    assert rules.plan is not None
    place = (code, "") if by == "region" else (scope or GLOBAL, code)
    keys = (("choice", SERVICES, service, str(year), *place), ("R", str(year), *place))
    if not all(key in rules.plan.index for key in keys):
        return None
    return rules.plan.label_of(keys)


def _columns(groups: pd.Series, form: ExportForm, by: str, lang: str) -> dict[str, str]:
    """Group code -> label, ordered by label (readers look a country up by name)."""
    labels = {code: _label(form, by, code, lang) for code in groups.unique()}
    order = sorted(labels, key=lambda c: (c == MISSING, labels[c].casefold()))
    return {code: labels[code] for code in order}


def service_coverage(
    responses: pd.DataFrame,
    form: ExportForm,
    lang: str,
    *,
    by: str,
    rules: Disclosure,
    year: int | None = None,
    scope: str | None = None,
) -> CoverageTable:
    """Service × country (or region) shares of respondents; see the module docstring.

    With the year's plan (`rules.plan`; `year`, and `scope` None for the global pack), a
    cell is hidden when the plan hides its count or its respondents (the same counts as
    PRG-01's), else by the small-cell rule alone."""
    if responses.empty:
        return CoverageTable(pd.DataFrame(columns=KEY_COLUMNS))
    floor = _floor(form, rules) if rules.public else None
    groups = _groups(responses, by)
    chosen = _chosen(responses)
    labels = _columns(groups, form, by, lang)
    rows: list[list[object]] = []
    hidden = 0
    for service in _services(form, chosen):
        offers = chosen.map(lambda picked, s=service: s in picked)
        row: list[object] = [service, form.schema.field_label(SERVICES, service, lang)]
        for code in labels:
            mine = groups.eq(code)
            value = _cell(int((offers & mine).sum()), int(mine.sum()), floor)
            if rules.plan is not None and year is not None and floor is not None:
                value = _planned(rules, year, scope, by, code, service) or value
            hidden += isinstance(value, str)
            row.append(value)
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*KEY_COLUMNS, *labels])
    return CoverageTable(table, labels, hidden)


def group_codes(table: pd.DataFrame) -> Sequence[str]:
    """The country (or region) columns of a service_coverage table."""
    return [str(c) for c in table.columns if c not in KEY_COLUMNS]
