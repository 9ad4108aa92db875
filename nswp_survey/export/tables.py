"""The tables of a regional pack, as DataFrames: indicators (with disclosure control), law
changes, responses (labels, select_multiple as 0/1 columns), the repeat rows, the data
dictionary and the indicator definitions.

Disclosure control (public tier): a cell is suppressed when the organisations behind it
(`n`), or the organisations it counts (the numerator of an organisation-counting kind; for
PRG-02 also the denominator, members that cut a service), are fewer than the floor but more
than zero; it then shows "<floor" and its numerator, denominator and n are blanked. The floor
is `min_cell`, or `min_cell_high` for indicators reading a high-sensitivity field (§6: "5 for
H items"). Then complementary suppression: when one breakdown cell of an indicator is hidden
and its headline is shown, the smallest other cell is hidden too and shows SECONDARY ("x"),
since the first would otherwise be the headline minus the rest. `controlled_cells` is the one
place this happens: the indicator table, the section tables (sections.py) and the time series
(series.py) all read its cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import Engine, bindparam, text

from nswp_survey.export.form import ExportForm
from nswp_survey.export.i18n import phrase
from nswp_survey.export.published import (
    ORG_COUNT_KINDS,
    ORG_DENOMINATOR_KINDS,
    QUANTITIES,
    Quantities,
    YearPlan,
    row_quantities,
)
from nswp_survey.indicators import Catalogue, IndicatorResult
from nswp_survey.indicators.law import dedupe_changes
from nswp_survey.indicators.load import pivot_answers
from nswp_survey.indicators.results import MISSING

# Between the labels of a select_multiple answer shown in one cell (a change's areas).
LABEL_SEPARATOR = "; "
# A cell hidden only so that a small hidden cell cannot be worked out from the total.
SECONDARY = "x"
INDICATOR_COLUMNS = ["id", "title", "breakdown", "value", "numerator", "denominator", "n", "note"]
LAW_COLUMNS = ["country", "area", "stage", "direction", "month", "public_source", "reports"]
NUMERIC_KINDS = {"integer", "decimal", "range"}
_CHUNK = 500
MAX_LINK = 2048  # longer than any document address; beyond it, text pasted in


def is_small(n: Any, min_cell: int) -> bool:
    return n is not None and not pd.isna(n) and 0 < float(n) < min_cell


def suppress(kind: str, numerator: Any, n: Any, min_cell: int, denominator: Any = None) -> bool:
    """True when a cell counts fewer than `min_cell` organisations (zero is not disclosive)."""
    if is_small(n, min_cell):
        return True
    if kind in ORG_DENOMINATOR_KINDS and is_small(denominator, min_cell):
        return True
    return kind in ORG_COUNT_KINDS | ORG_DENOMINATOR_KINDS and is_small(numerator, min_cell)


@dataclass(frozen=True)
class Disclosure:
    """The tier's rules: public suppresses small cells; `high` ids use the higher floor."""

    public: bool = True
    min_cell: int = 3
    min_cell_high: int = 5
    high: frozenset[str] = frozenset()
    # a share of 0 % or 100 % of a group smaller than this is hidden (sensitive items)
    min_group: int = 10
    sensitive: frozenset[str] = frozenset()  # ids reading a medium- or high-level field
    # the year's plan over every public table (published.py); None: each table on its own
    plan: YearPlan | None = field(default=None, compare=False)
    catalogue: Catalogue | None = field(default=None, compare=False)

    def floor(self, indicator_id: str) -> int:
        """Smallest cell shown for this indicator (never below min_cell)."""
        if indicator_id in self.high:
            return max(self.min_cell, self.min_cell_high)
        return self.min_cell


def high_indicators(catalogue: Catalogue, form: ExportForm) -> frozenset[str]:
    """Ids of the indicators that read a field the form marks `nswp_sensitive=high`."""
    return frozenset(
        spec.id
        for spec in catalogue.indicators
        if any(form.level(name) == "high" for name in spec.fields_read())
    )


@dataclass(frozen=True)
class Cell:
    """One indicator figure as the pack shows it: the headline (`keys` empty) or a breakdown."""

    id: str
    title: str
    kind: str
    keys: tuple[tuple[str, str, str], ...]
    value: Any
    numerator: Any
    denominator: Any
    n: Any
    note: str = ""
    hidden: bool = False
    absent: bool = False  # a row the public tier leaves out (its group is too small)

    @property
    def breakdown(self) -> str:
        return " · ".join(label for _dim, _code, label in self.keys)


def controlled_cells(
    results: Iterable[IndicatorResult],
    rules: Disclosure,
    *,
    year: int | None = None,
    scope: str | None = None,
) -> list[Cell]:
    """Every headline and breakdown cell, hidden as the public tier requires.

    With the year's plan (`rules.plan`, `year` and `scope` naming the results: a region, or
    None for the global pack), each count is hidden as the plan over every public table
    says, and a breakdown row of a medium- or high-sensitivity indicator for a group with
    too few respondents is left out. Without one, the table is protected on its own: small
    cells and one complementary cell (`_protect_total`).
    """
    if rules.public and rules.plan is not None and year is not None:
        return _planned_cells(results, rules, year, scope)
    cells: list[Cell] = []
    for result in results:
        floor = rules.floor(result.id)
        group: list[Cell] = []
        for keys, value, numerator, denominator, n in _entries(result):
            cell = Cell(result.id, result.title, result.kind, keys, value, numerator,
                        denominator, n, result.error or "")  # fmt: skip
            if (
                rules.public
                and not result.error
                and suppress(result.kind, numerator, n, floor, denominator)
            ):
                hidden = f"<{floor}"
                n_shown = hidden if is_small(n, floor) else n
                cell = _hide(cell, hidden, n_shown)
            group.append(cell)
        cells += _protect_total(group) if rules.public else group
    return cells


def _entries(result: IndicatorResult) -> list[tuple[Any, Any, Any, Any, Any]]:
    """(keys, value, numerator, denominator, n) of the headline, then of each row."""
    entries = [((), result.value, result.numerator, result.denominator, result.n)]
    entries += [(r.keys, r.value, r.numerator, r.denominator, r.n) for r in result.rows]
    return entries


def _planned_cells(
    results: Iterable[IndicatorResult], rules: Disclosure, year: int, scope: str | None
) -> list[Cell]:
    plan, catalogue = rules.plan, rules.catalogue
    assert plan is not None and catalogue is not None
    cells: list[Cell] = []
    for result in results:
        for keys, value, numerator, denominator, n in _entries(result):
            cell = Cell(result.id, result.title, result.kind, keys, value, numerator,
                        denominator, n, result.error or "")  # fmt: skip
            if result.error:
                cells.append(cell)
                continue
            quantities = row_quantities(catalogue, result, keys, year, scope)
            labels = {q: plan.label(getattr(quantities, q)) for q in QUANTITIES}
            if not any(labels.values()):
                cells.append(cell)
                continue
            small_group = labels["n"] is not None and labels["n"].startswith("<")
            shown = _planned(cell, labels, plan, quantities)
            if keys and small_group and result.id in rules.sensitive:
                # the row's label would tell the few members' answer: no row at all
                shown = replace(shown, absent=True)
            cells.append(shown)
    return cells


def _planned(
    cell: Cell, labels: dict[str, str | None], plan: YearPlan, quantities: Quantities
) -> Cell:
    """The cell with its hidden counts blanked (n shows its label), and its value hidden
    when any count it is made of is: "<floor" when one of them is small, else "x"."""
    value_label = plan.label_of(quantities.keys())
    # a number the plan does not know (a sum of decimals) goes with the row's counts
    unknown = quantities.numerator not in plan.index
    return Cell(
        cell.id,
        cell.title,
        cell.kind,
        cell.keys,
        value_label,
        None if labels["numerator"] or unknown else cell.numerator,
        None if labels["denominator"] else cell.denominator,
        labels["n"] or cell.n,
        cell.note,
        hidden=True,
    )


def _hide(cell: Cell, shown: str, n_shown: Any) -> Cell:
    return Cell(cell.id, cell.title, cell.kind, cell.keys, shown, None, None, n_shown,
                cell.note, hidden=True)  # fmt: skip


def _size(cell: Cell) -> float:
    """What a reader could work out of a cell: its organisations counted, else its n."""
    counted = cell.numerator if cell.kind in ORG_COUNT_KINDS else None
    size = counted if counted is not None and not pd.isna(counted) else cell.n
    return float(size) if isinstance(size, int | float) and not pd.isna(size) else 0.0


def _protect_total(group: list[Cell]) -> list[Cell]:
    """Complementary suppression: when exactly one breakdown cell is hidden and the headline
    is shown, the hidden one is the headline minus the others; so the smallest other non-zero
    cell is hidden too (shown as SECONDARY), and neither can be worked out."""
    head, rows = group[0], group[1:]
    hidden = [c for c in rows if c.hidden]
    if head.hidden or len(hidden) != 1:
        return group
    candidates = [c for c in rows if not c.hidden and _size(c) > 0]
    if not candidates:
        return group
    smallest = min(candidates, key=_size)
    return [head] + [_hide(c, SECONDARY, SECONDARY) if c is smallest else c for c in rows]


def indicator_table(
    results: Sequence[IndicatorResult],
    rules: Disclosure,
    *,
    year: int | None = None,
    scope: str | None = None,
) -> tuple[pd.DataFrame, int]:
    """One row per headline and per breakdown cell; and how many cells were suppressed."""
    cells = controlled_cells(results, rules, year=year, scope=scope)
    rows = [
        [c.id, c.title, c.breakdown, c.value, c.numerator, c.denominator, c.n, c.note]
        for c in cells
        if not c.absent
    ]
    table = pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    return table, sum(c.hidden for c in cells)


def _labels(form: ExportForm, field: str, codes: str, lang: str) -> str:
    parts = str(codes or "").split()
    return LABEL_SEPARATOR.join(form.schema.field_label(field, code, lang) for code in parts)


@dataclass(frozen=True)
class LawChange:
    """One de-duplicated change, in codes; `country` is "" when the tier may not show it."""

    country: str
    areas: tuple[str, ...]
    stage: str
    direction: str
    month: str
    source: str
    reports: int


def _code(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def law_changes(law: pd.DataFrame, *, public: bool) -> list[LawChange]:
    """The de-duplicated changes. Public tier: the country only when a source is public."""
    if law.empty:
        return []
    law = law.reset_index(drop=True)
    changes = dedupe_changes(law)
    # change_id is the first report of the change (its smallest row position)
    first = law.loc[changes["change_id"]].reset_index(drop=True)
    month = first.get("lc_date", pd.Series("", index=first.index)).fillna("").astype(str).str[:7]
    source_of = _sources(law)
    sources = [source_of.get(int(i), "") for i in changes["change_id"]]
    if public:  # a member's free text is not published: only a link to a public document
        sources = [public_link(source) for source in sources]
    out = []
    for (_, change), when, source in zip(changes.iterrows(), month, sources, strict=True):
        country = "" if change["country"] == MISSING else str(change["country"])
        out.append(
            LawChange(
                country="" if public and not source else country,
                areas=tuple(_code(change["lc_area"]).split()),
                stage=_code(change["lc_stage"]),
                direction=_code(change["lc_direction"]),
                month=when,
                source=source,
                reports=int(change["reports"]),
            )
        )
    return out


def public_link(text: str) -> str:
    """`text` when it is one http(s) link to a public document, else "" (domain.md §6: the
    source field is medium-sensitive free text; a name, a phone number or a note typed there
    is never public, nor a `javascript:` or `file:` address)."""
    link = str(text or "").strip()
    if not link or len(link) > MAX_LINK or any(ch.isspace() or ord(ch) < 32 for ch in link):
        return ""
    try:
        parts = urlsplit(link)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return ""
    return link if parts.scheme in ("http", "https") and parts.hostname else ""


def law_table(changes: Sequence[LawChange], form: ExportForm, lang: str) -> pd.DataFrame:
    """One row per de-duplicated change (from `law_changes`, which applies the tier's rule
    for the country), labelled in `lang`."""
    label = form.schema.field_label
    rows = [
        {
            "country": (
                label("country", change.country, lang)
                if change.country
                else phrase("not_shown", lang)  # a reader sees why the cell is empty
            ),
            "area": _labels(form, "lc_area", " ".join(change.areas), lang),
            "stage": _labels(form, "lc_stage", change.stage, lang),
            "direction": _labels(form, "lc_direction", change.direction, lang),
            "month": change.month,
            "public_source": change.source,
            "reports": change.reports,
        }
        for change in changes
    ]
    return pd.DataFrame(rows, columns=LAW_COLUMNS)


def _sources(law: pd.DataFrame) -> dict[int, str]:
    """For each report: the first public source given by a report of the same facts."""
    if "lc_source" not in law:
        return {}
    facts = law[["country", "lc_level", "lc_stage", "lc_direction", "lc_area"]].fillna("")
    key = facts.astype(str).agg("|".join, axis=1)
    key += "|" + law.get("lc_date", pd.Series("", index=law.index)).fillna("").str[:7]
    source = law["lc_source"].fillna("").astype(str).str.strip()
    best = source.where(source.ne("")).groupby(key).transform("first").fillna("")
    return {int(i): str(value) for i, value in best.items()}


def load_answers(engine: Engine, submission_ids: Iterable[int]) -> pd.DataFrame:
    """Every stored answer of these submissions: submission_id, repeat_row_id, path, value."""
    ids = [int(i) for i in submission_ids]
    stmt = text(
        "SELECT submission_id, repeat_row_id, path, value FROM answer "
        "WHERE submission_id IN :ids ORDER BY submission_id, repeat_row_id, id"
    ).bindparams(bindparam("ids", expanding=True))
    parts = []
    with engine.connect() as conn:
        for i in range(0, len(ids), _CHUNK):
            parts.append(conn.execute(stmt, {"ids": ids[i : i + _CHUNK]}).all())
    records = [tuple(row) for part in parts for row in part]
    return pd.DataFrame.from_records(
        records, columns=["submission_id", "repeat_row_id", "path", "value"]
    )


def _columns(
    wide: pd.DataFrame, form: ExportForm, fields: Sequence[Any], lang: str, table: str
) -> tuple[dict[str, pd.Series], list[dict[str, str]]]:
    """Field answers -> labelled columns, and their data dictionary rows."""
    out: dict[str, pd.Series] = {}
    dictionary: list[dict[str, str]] = []
    for info in fields:
        raw = wide[info.name] if info.name in wide else pd.Series(None, index=wide.index)
        raw = raw.astype("object").where(raw.notna() & raw.ne(""), None)
        question = form.schema.question(info.name, lang)
        entry = {"table": table, "field": info.name, "type": info.kind}
        entry["sensitivity"] = form.level(info.name)
        if info.kind == "select_multiple":
            for choice in form.schema.choice_names(info.name) or []:
                column = f"{info.name}/{choice}"
                picked = raw.map(lambda v, c=choice: None if v is None else int(c in v.split()))
                out[column] = picked
                label = f"{question}: {form.schema.choice_label(info.list_name, choice, lang)}"
                dictionary.append({**entry, "column": column, "label": label})
            continue
        if info.kind == "select_one":
            out[info.name] = raw.map(
                lambda v, f=info.name: None if v is None else form.schema.field_label(f, v, lang)
            )
        elif info.kind in NUMERIC_KINDS:
            out[info.name] = pd.to_numeric(raw, errors="coerce").astype("object")
        else:
            out[info.name] = raw
        dictionary.append({**entry, "column": info.name, "label": question})
    return out, dictionary


def response_tables(
    engine: Engine,
    responses: pd.DataFrame,
    form: ExportForm,
    lang: str,
    *,
    aliases: Mapping[str, str],
    include_sensitive: bool,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame, int]:
    """(responses, {repeat: rows}, data dictionary, number of sensitive fields left out)."""
    ids = sorted(int(i) for i in responses["submission_id"])
    number = {sid: i for i, sid in enumerate(ids, start=1)}
    answers = load_answers(engine, ids)
    top = answers[answers["repeat_row_id"].isna()]
    wide = pivot_answers(top, "submission_id", aliases).reindex(ids)
    left_out = 0

    def wanted(fields: list[Any]) -> list[Any]:
        nonlocal left_out
        keep = [f for f in fields if include_sensitive or not form.is_sensitive(f.name)]
        left_out += len(fields) - len(keep)
        return keep

    columns, dictionary = _columns(wide, form, wanted(form.data_fields()), lang, "responses")
    main = pd.DataFrame({"response": [number[i] for i in ids], **columns}, index=wide.index)
    repeats: dict[str, pd.DataFrame] = {}
    for repeat in form.repeats():
        inner = answers[answers["repeat_row_id"].notna()]
        fields = wanted(form.data_fields(repeat))
        inside = inner["path"].map(lambda p, r=repeat: r in str(p).split("/")[:-1])
        inner = inner.loc[inside.astype(bool)]
        rows = pivot_answers(inner, "repeat_row_id", aliases)
        owner = inner.drop_duplicates("repeat_row_id").set_index("repeat_row_id")["submission_id"]
        table = f"responses_{repeat}"
        cols, entries = _columns(rows, form, fields, lang, table)
        frame = pd.DataFrame(
            {"response": rows.index.map(owner).map(number), **cols}, index=rows.index
        )
        repeats[table] = frame.reset_index(drop=True)
        dictionary += entries
    keys = [{"table": t, "column": "response", "field": "response", "type": "key"} for t in
            ["responses", *repeats]]  # fmt: skip
    for key in keys:
        key.update(label="response number (links the tables)", sensitivity="low")
    dict_columns = ["table", "column", "field", "label", "type", "sensitivity"]
    return (
        main.reset_index(drop=True),
        repeats,
        pd.DataFrame(keys + dictionary, columns=dict_columns),
        left_out,
    )


def _conditions(conditions: Iterable[Any] | None) -> str:
    return "; ".join(f"{c.field} {c.op} {c.value if c.value is not None else ''}".strip()
                     for c in conditions or ())  # fmt: skip


def definitions_table(catalogue: Catalogue, lang: str) -> pd.DataFrame:
    """The catalogue: what each indicator counts and how."""
    rows = []
    for spec in catalogue.indicators:
        kind = spec.kind or f"{spec.analysis}:{spec.measure or ''}".rstrip(":")
        rows.append(
            {
                "id": spec.id,
                "title": spec.title(lang),
                "kind": kind,
                "fields": ", ".join(spec.fields_read()),
                "where": _conditions(spec.where),
                "denominator": _conditions(spec.denominator) if spec.denominator else "R",
                "framework": "; ".join(f"{k}: {v}" for k, v in spec.framework.items()),
                "note": spec.note,
            }
        )
    return pd.DataFrame(rows)
