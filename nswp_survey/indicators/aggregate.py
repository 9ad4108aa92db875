"""Reduce per-respondent (or per-change) measure frames to results, overall and by group.

A measure frame has one row per unit and the columns a reducer reads:
  num, den  numerator and denominator contributions (shares, means, ratios, counts, sums)
  n         1 when the unit counts in n (answered / in the population)
  x         the value, for medians;  key  the thing counted once, for distinct counts
Long measures (one row per unit and choice, per field ...) carry that extra dimension as a
column and pass its name in `inner`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from nswp_survey.indicators.results import (
    Frames,
    IndicatorResult,
    ResultRow,
    group_frame,
    label_keys,
)

RATIO = {"share", "mean", "ratio"}
COUNTING = {"distinct", "sum"}  # reductions whose value over nothing is 0


def reduce(df: pd.DataFrame, keys: Sequence[str], how: str) -> pd.DataFrame:
    """numerator, denominator, n and value per group of `keys` (one row when no keys)."""
    keys = list(keys)
    if not keys:
        df = df.assign(_all=0)
        keys = ["_all"]
    grouped = df.groupby(keys, sort=True, dropna=False, observed=True)
    out = pd.DataFrame(
        {
            "numerator": grouped["num"].sum() if "num" in df else None,
            "denominator": grouped["den"].sum() if "den" in df else None,
            "n": grouped["n"].sum() if "n" in df else grouped.size(),
        }
    )
    if how == "median":
        out["value"] = grouped["x"].median()
    elif how == "distinct":
        out["value"] = grouped["key"].nunique()
    elif how == "difference":
        out["value"] = out["numerator"] - out["denominator"]
    elif how in RATIO:
        out["value"] = out["numerator"] / out["denominator"].where(out["denominator"] != 0)
    else:
        out["value"] = out["numerator"]
    return out


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _rows(table: pd.DataFrame, dims: Sequence[str], frames: Frames, lang: str) -> list[ResultRow]:
    rows = []
    year = frames.years[0] if frames.years and len(frames.years) == 1 else None
    columns = table[["value", "numerator", "denominator", "n"]]
    for codes, value, numerator, denominator, n in columns.itertuples(name=None):
        codes = codes if isinstance(codes, tuple) else (codes,)
        rows.append(
            ResultRow(
                keys=label_keys(dims, codes, frames.schema, lang, year),
                value=_number(value),
                numerator=_number(numerator),
                denominator=_number(denominator),
                n=int(n) if pd.notna(n) else 0,
            )
        )
    return rows


def summarise(
    measure: pd.DataFrame,
    how: str,
    *,
    spec_id: str,
    title: str,
    kind: str,
    frames: Frames,
    by: Sequence[str],
    lang: str,
    inner: Sequence[str] = (),
    population: pd.Series | None = None,
    group_source: pd.DataFrame | None = None,
    group_name: str = "responses",
) -> IndicatorResult:
    """The headline (over all units) and rows by `by` (+ `inner`), labelled in `lang`.

    With `population` (1 per respondent in the denominator, indexed like the responses) the
    measure is long, one row per unit and `inner` value (distribution: a choice chosen), and
    each row's denominator is the population of its group. `group_source` holds each unit's
    disaggregation columns (default: `frames.responses`); `group_name` names it in the cache.
    """
    by, inner_keys = list(by), list(inner)
    groups = None
    if by:
        source = frames.responses if group_source is None else group_source
        cache_key = f"groups:{group_name}:{by}"
        if cache_key not in frames.cache:
            frames.cache[cache_key] = group_frame(source, by).astype("category")
        groups = frames.cache[cache_key]
    head = reduce(measure, [], how)  # the headline counts each unit once, whatever its groups
    if groups is not None:
        measure = measure.join(groups, how="inner")
    if population is not None:
        total = int(population.sum())
        table = reduce(measure, by + inner_keys, "sum").reset_index()
        if groups is not None:
            pop = population.to_frame("pop").join(groups, how="inner")
            dens = pop.groupby(by, dropna=False, observed=True)["pop"].sum().reset_index()
            table = table.merge(dens, on=by, how="left")
        else:
            table["pop"] = total
        table = table.set_index(by + inner_keys)
        table["denominator"] = table["n"] = table.pop("pop")
        table["value"] = table["numerator"] / table["denominator"].where(table["denominator"] > 0)
        rows = _rows(table, by + inner_keys, frames, lang)
        return IndicatorResult(spec_id, title, kind, None, None, total, total, tuple(rows))
    rows = []
    if by or inner:
        rows = _rows(reduce(measure, by + inner_keys, how), by + inner_keys, frames, lang)
    if head.empty:
        if how in COUNTING and not frames.responses.empty:
            # responses, but nothing to count (e.g. no law change reported): zero, not unknown
            return IndicatorResult(spec_id, title, kind, 0, 0, None, 0, rows=tuple(rows))
        return IndicatorResult(spec_id, title, kind, None, rows=tuple(rows))
    rec = head.iloc[0]
    return IndicatorResult(
        id=spec_id,
        title=title,
        kind=kind,
        value=_number(rec["value"]),
        numerator=_number(rec["numerator"]),
        denominator=_number(rec["denominator"]),
        n=int(rec["n"]),
        rows=tuple(rows),
    )
