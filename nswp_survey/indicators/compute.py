"""The declarative kinds, and `compute_indicators` over the whole catalogue (pure pandas).

R is the number of counted responses of the year(s) (rules.select_responses); a share's
denominator is R unless the entry gives its own `denominator` conditions. Unanswered
values are never dropped silently: distributions show them as "(no answer)", and "don't
know" / "prefer not to say" are choices like any other.

Example:
    results = compute_indicators(frames, catalogue, year=2025, by=("region",), lang="fr")
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from nswp_survey.errors import IndicatorError
from nswp_survey.indicators.aggregate import summarise
from nswp_survey.indicators.catalogue import Catalogue, Condition, IndicatorSpec
from nswp_survey.indicators.results import MISSING, Frames, IndicatorResult


def explode_choices(text: pd.Series) -> pd.Series:
    """'a b' -> two rows 'a' and 'b' under the same index; each distinct answer split once."""
    codes, uniques = pd.factorize(text)
    lists = [str(u).split() for u in uniques]
    names, flat = np.unique([c for items in lists for c in items], return_inverse=True)
    lengths = np.array([len(items) for items in lists] + [0], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths[:-1])])
    row_len = lengths[codes]  # code -1 (missing) -> the trailing 0
    total = int(row_len.sum())
    row_starts = np.cumsum(row_len) - row_len
    pos = np.arange(total) - np.repeat(row_starts, row_len) + np.repeat(starts[codes], row_len)
    chosen = pd.Categorical.from_codes(flat.reshape(-1)[pos] if total else [], categories=names)
    return pd.Series(chosen, index=np.repeat(text.index, row_len))


class Answers:
    """The responses' columns, parsed once: text, numbers, select_multiple choices (long)."""

    def __init__(self, responses: pd.DataFrame) -> None:
        self.frame = responses
        self.index = responses.index
        self._cache: dict[tuple[str, str], pd.Series] = {}

    def text(self, name: str) -> pd.Series:
        """The answers as a categorical (each distinct text parsed once); "" is unanswered."""
        key = ("text", name)
        if key not in self._cache:
            column = self.frame.get(name)
            if column is None:
                column = pd.Series(None, index=self.index, dtype="object")
            column = column.astype("category")
            if "" in column.cat.categories:
                column = column.cat.remove_categories([""])
            self._cache[key] = column
        return self._cache[key]

    def number(self, name: str) -> pd.Series:
        key = ("number", name)
        if key not in self._cache:  # parse each distinct text once: answers repeat a lot
            codes, uniques = pd.factorize(self.text(name))
            parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy()
            values = np.append(parsed.astype(float), np.nan)[codes]  # code -1 (missing) -> NaN
            self._cache[key] = pd.Series(values, index=self.index)
        return self._cache[key]

    def chosen(self, name: str) -> pd.Series:
        """One row per (respondent, choice selected), indexed by respondent."""
        key = ("chosen", name)
        if key not in self._cache:
            self._cache[key] = explode_choices(self.text(name))
        return self._cache[key]

    def count_selected(self, name: str, exclude: Sequence[str] = ()) -> pd.Series:
        chosen = self.chosen(name)
        counts = chosen[~chosen.isin(list(exclude))].groupby(level=0).size()
        answered = self.text(name).notna()
        return counts.reindex(self.index, fill_value=0).astype(float).where(answered)

    def any_chosen(self, name: str, keep: pd.Series) -> pd.Series:
        """Respondents with at least one selected choice for which `keep` is True."""
        chosen = self.chosen(name)
        return pd.Series(self.index.isin(chosen.index[keep.to_numpy()]), index=self.index)

    def mask(self, cond: Condition, spec: IndicatorSpec) -> pd.Series:
        op, value = cond.op, cond.value
        values = [str(v) for v in value] if isinstance(value, tuple) else [str(value)]
        if op == "equals":
            return self.text(cond.field).eq(values[0]).fillna(False).astype(bool)
        if op == "any_of":
            return self.text(cond.field).isin(values)
        if op == "not_none":
            return self.text(cond.field).notna()
        if op == "gte":
            return self.number(cond.field).ge(float(value)).fillna(False).astype(bool)
        if op == "count_gte":
            counted = self.count_selected(cond.field, spec.exclude)
            return counted.ge(float(value)).fillna(False).astype(bool)
        chosen = self.chosen(cond.field)
        return self.any_chosen(cond.field, chosen.isin(values) ^ (op == "any_except"))

    def all_of(self, conds: Iterable[Condition], spec: IndicatorSpec) -> pd.Series:
        out = pd.Series(True, index=self.index)
        for cond in conds:
            out &= self.mask(cond, spec)
        return out


def answers_of(frames: Frames) -> Answers:
    """The frames' parsed answers, made once and shared by every indicator."""
    if "answers" not in frames.cache:
        frames.cache["answers"] = Answers(frames.responses)
    return frames.cache["answers"]


def _values(answers: Answers, spec: IndicatorSpec) -> pd.Series:
    """Per respondent: the sum of the fields (or selected choices counted), NaN if none."""
    if spec.transform == "count_selected":
        return answers.count_selected(spec.fields[0], spec.exclude)
    numbers = pd.concat([answers.number(f) for f in spec.fields], axis=1)
    return numbers.sum(axis=1, min_count=1)


def _measure(answers: Answers, spec: IndicatorSpec) -> tuple[pd.DataFrame, dict]:
    """The per-unit measure frame of a declarative kind, and summarise()'s extra arguments."""
    kind, index = spec.kind, answers.index
    population = answers.all_of(spec.denominator or (), spec)
    if kind in ("share", "count"):
        hit = answers.all_of(spec.where, spec) & population
        frame = pd.DataFrame({"num": hit.astype(int), "den": population.astype(int)})
        return frame.assign(n=frame["den"]), {}
    if kind == "distinct_countries":
        hit = answers.all_of(spec.where, spec)
        frame = pd.DataFrame({"num": hit.astype(int), "key": answers.text("country").where(hit)})
        return frame.assign(n=frame["num"]), {}
    keep = answers.all_of(spec.where, spec)
    if kind == "sum" and len(spec.fields) > 1:
        parts = [
            pd.DataFrame({"num": answers.number(f), "field": f}, index=index)[keep]
            for f in spec.fields
        ]
        long = pd.concat(parts).dropna(subset=["num"])
        return long.assign(n=1), {"inner": ["field"]}
    x = _values(answers, spec)[keep]
    if kind == "ratio":
        over = pd.concat([answers.number(f) for f in spec.over], axis=1).sum(axis=1, min_count=1)
        frame = pd.DataFrame({"num": x.fillna(0), "den": over[keep]}).dropna(subset=["den"])
        return frame.assign(n=1), {}
    x = x.dropna()
    if kind == "distribution":
        return _distribution(answers, spec, keep & population)
    frame = pd.DataFrame({"num": x, "den": 1, "x": x, "n": 1}, index=x.index)
    return (frame.drop(columns="den") if kind == "sum" else frame), {}


def _distribution(answers: Answers, spec: IndicatorSpec, population: pd.Series) -> tuple:
    """Respondents choosing each choice (select_multiple: overlapping), unanswered included."""
    name = spec.fields[0]
    text = answers.text(name)[population]
    chosen = answers.chosen(name)
    chosen = chosen[chosen.index.isin(text.index)]
    missing = pd.Series(MISSING, index=text.index[text.isna()])
    long = pd.concat([chosen, missing]).rename(name).to_frame().rename_axis("rid")
    long = long.reset_index().drop_duplicates().set_index("rid").rename_axis(None)
    long["num"] = 1
    return long, {"inner": [name], "population": population.astype(int)}


def _filter(responses: pd.DataFrame, years: Sequence[int] | None, region: str | None):
    keep = pd.Series(True, index=responses.index)
    if years is not None:
        keep &= responses["year"].isin(list(years))
    if region is not None:
        keep &= responses.get("region", pd.Series(None, index=responses.index)).eq(region)
    return responses[keep]


def compute_indicator(
    spec: IndicatorSpec, frames: Frames, *, by: Sequence[str] = (), lang: str = "en"
) -> IndicatorResult:
    """One indicator over already filtered frames; `by` dimensions it does not allow are skipped."""
    dims = [d for d in by if d in spec.disaggregations]
    title = spec.title(lang)
    if spec.analysis:
        from nswp_survey.indicators import law, membership, programmes  # (they import us)

        module = {"law": law, "programmes": programmes, "register": membership}[spec.analysis]
        try:
            return module.compute(spec, frames, dims, lang)
        except membership.RegisterUnavailableError as err:
            return IndicatorResult(spec.id, title, f"register:{spec.measure}", None, error=str(err))
    answers = answers_of(frames)
    measure, extra = _measure(answers, spec)
    how = {"distinct_countries": "distinct", "count": "sum"}.get(spec.kind or "", spec.kind or "")
    result = summarise(
        measure,
        how,
        spec_id=spec.id,
        title=title,
        kind=spec.kind or "",
        frames=frames,
        by=dims,
        lang=lang,
        **extra,
    )
    if extra.get("inner") == ["field"]:  # n: respondents, not answers
        result = dataclasses.replace(result, n=int(measure.index.nunique()))
    return result


def compute_indicators(
    frames: Frames,
    catalogue: Catalogue,
    year: int | Sequence[int] | None = None,
    region: str | None = None,
    by: Sequence[str] = (),
    *,
    lang: str = "en",
    ids: Sequence[str] | None = None,
) -> list[IndicatorResult]:
    """Every catalogue indicator (or those in `ids`) for the year(s) and region asked."""
    years = [year] if isinstance(year, int) else (list(year) if year is not None else None)
    responses = _filter(frames.responses, years, region)
    law = frames.law[frames.law["submission_id"].isin(responses["submission_id"])]
    scoped = Frames(responses, law, frames.schema, frames.register, frames.excluded, years, region)
    specs = [catalogue.get(i) for i in ids] if ids else list(catalogue.indicators)
    if unknown := [
        d for d in by if d not in ("region", "country", "year", "sw_led", "constituency")
    ]:
        raise IndicatorError(f"unknown disaggregation {', '.join(unknown)}")
    return [compute_indicator(spec, scoped, by=by, lang=lang) for spec in specs]
