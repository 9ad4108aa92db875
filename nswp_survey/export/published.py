"""Every count the public tier of a survey year publishes, as one disclosure problem, and
the plan that says which to hide (nswp_survey/disclosure, docs/disclosure.md).

The public packs of a year (each region, the global pack, their covers, sections and time
series, in every language: the numbers are the same in each) are read by one attacker
together. So the counts are named by what they count, not by the table that shows them:

    ("R", year, scope, place)                       counted responses
    ("choice", field, code, year, scope, place)     respondents choosing a choice of `field`
                                                    (a distribution over all respondents)
    ("ind", id, quantity, category, year, scope, place)   any other indicator count

`scope` is a region code, or "global"; `place` a country code, or "" for the scope's total.
A region's total is one key, whether the regional pack's headline or the global pack's
region row shows it. Relations an attacker can read are declared when they hold on the true
counts: a total is the sum of its countries (of its regions, for the global one), the
categories of a distribution add up to its respondents, a numerator never exceeds its n.
Declaring one that holds by chance only makes the attacker stronger, never weaker.

Primary rules (domain.md §6): a count of organisations in 1..floor-1; every count of a group
(a country, a region) whose respondents are that few, which must not be pinned to one value
(the row label would otherwise tell the one member's answer); and, for indicators reading a
medium- or high-sensitivity field, a share of 0 % or 100 % of a group under
`min_group` (everyone or no one of a small, publicly known group).

Example:
    plan = year_plan(frames, catalogue, form, 2025, rules)
    plan.label(key)    # "<3", "x", or None (publish)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nswp_survey.disclosure import (
    AuditReport,
    Cell,
    Key,
    Plan,
    Problem,
    Relation,
    audit,
    protect,
)
from nswp_survey.export.form import ExportForm
from nswp_survey.indicators import Catalogue, Frames, IndicatorResult, compute_indicators
from nswp_survey.indicators.results import group_frame
from nswp_survey.register.codes import REGIONS

GLOBAL = "global"
GEO_DIMS = ("country", "region")
# Kinds whose numerator is a number of organisations (a small one is sensitive itself).
ORG_COUNT_KINDS = {"share", "distribution", "count", "distinct_countries", "programmes:cut_reasons"}
# Kinds whose denominator counts organisations as well (PRG-02: members that cut a service).
ORG_DENOMINATOR_KINDS = {"programmes:balance"}
# Kinds whose denominator and n are the same count (the population), by construction.
POPULATION_KINDS = {"share", "count", "distribution"}
QUANTITIES = ("numerator", "denominator", "n")


@dataclass(frozen=True)
class Quantities:
    """The keys of one published row's counts (None: not a count the model knows)."""

    numerator: Key | None = None
    denominator: Key | None = None
    n: Key | None = None

    def keys(self) -> tuple[Key, ...]:
        return tuple(k for k in (self.numerator, self.denominator, self.n) if k is not None)


@dataclass
class YearPlan:
    """Which counts of a year's public tier to hide, and the problem it was solved on."""

    year: int
    problem: Problem
    plan: Plan
    index: dict[Key, Cell] = field(default_factory=dict)
    report: AuditReport | None = None  # the attacker's audit, once run (`check`)

    def check(self) -> AuditReport:
        """Attack every public table of the year (the audit, disclosure/attacker.py); raise
        DisclosureError when a protected count comes back, else keep and return the report."""
        if self.report is None:
            self.report = audit(self.problem, self.plan)
        self.report.require_safe()
        return self.report

    def label(self, key: Key | None) -> str | None:
        """ "<floor" or "x" for a hidden count; None to publish it (or an unknown key)."""
        if key is None or key not in self.index:
            return None
        return self.plan.label(self.index[key])

    def label_of(self, keys: Iterable[Key | None]) -> str | None:
        """The label of a figure made of several counts (a share): hidden when any of them
        is, "<floor" when one of those is small, else "x"."""
        labels = [label for label in map(self.label, keys) if label]
        return next((label for label in labels if label.startswith("<")), None) or (
            labels[0] if labels else None
        )


def place_of(scope: str | None, keys: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """(scope, place) of a result row: a country row of a regional result, a region row of
    the global result (that region's total), or the result's own total."""
    scope = scope or GLOBAL
    for dim, code, _label in keys:
        if dim == "country":
            return scope, code
        if dim == "region":
            return code, ""
    return scope, ""


def category_of(keys: Sequence[tuple[str, str, str]]) -> tuple[str, str]:
    """(dimension names, codes) of a row's non-geographic keys, e.g. ("services", "hiv")."""
    rest = [(dim, code) for dim, code, _label in keys if dim not in GEO_DIMS]
    return "|".join(d for d, _c in rest), "|".join(c for _d, c in rest)


def _count(value: Any) -> int | None:
    """An integral number as an int; None for anything else (a share, a mean, missing)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    number = float(value)
    return int(number) if number.is_integer() and number >= 0 else None


def row_quantities(
    catalogue: Catalogue, result: IndicatorResult, keys: Sequence[tuple[str, str, str]],
    year: int, scope: str | None,
) -> Quantities:  # fmt: skip
    """The keys of a result row's (or headline's, `keys` empty) counts; see the module
    docstring. The planner and every table that publishes the row both ask here."""
    where = place_of(scope, keys)
    dims, category = category_of(keys)
    spec = next((s for s in catalogue.indicators if s.id == result.id), None)
    over_everyone = spec is not None and not spec.denominator and not spec.where
    structural_r = spec is not None and not spec.denominator and result.kind in POPULATION_KINDS
    if result.kind == "distribution" and over_everyone and dims == spec.fields[0]:
        numerator: Key = ("choice", dims, category, str(year), *where)
    else:
        numerator = ("ind", result.id, "numerator", category, str(year), *where)
    distribution = result.kind == "distribution" or result.kind == "programmes:cut_reasons"
    per_group = "" if distribution else category
    if structural_r and (result.kind != "distribution" or over_everyone):
        n: Key = ("R", str(year), *where)
    else:
        n = ("ind", result.id, "n", per_group, str(year), *where)
    if result.kind in POPULATION_KINDS:
        denominator = n
    else:
        denominator = ("ind", result.id, "denominator", category, str(year), *where)
    return Quantities(numerator, denominator, n)


def responses_key(year: int, scope: str | None, place: str = "") -> Key:
    return ("R", str(year), scope or GLOBAL, place)


# What hiding a total costs, against a country's cell (1 + count): readers look at the
# world's and the regions' figures first, so the plan hides countries before them.
TOTAL_COST = {GLOBAL: 1e6, "region": 1e4}


def _cost(key: Key, value: int) -> float:
    *_quantity, scope, place = key
    if place:
        return 1.0 + value
    return (1.0 + value) * TOTAL_COST[GLOBAL if scope == GLOBAL else "region"]


class _Builder:
    """Collects the cells of every table of the year, then the relations between them."""

    def __init__(self, floor_of: Any, attribute_of: Any, base_floor: int) -> None:
        self.base_floor = base_floor  # counted responses' floor, whatever item counts them
        self.cells: dict[Key, Cell] = {}
        self.conflicts: set[Key] = set()
        self.inequalities: set[tuple[Key, Key]] = set()
        self.floor_of = floor_of
        self.attribute_of = attribute_of

    def add(
        self, key: Key, value: int, floor: int, *, attribute: bool = False,
        upper: int | None = None,
    ) -> None:  # fmt: skip
        seen = self.cells.get(key)
        if seen is None:
            self.cells[key] = Cell(key, value, floor, upper, _cost(key, value), attribute)
        elif seen.value != value:
            self.conflicts.add(key)  # two tables count differently: not one quantity
        else:
            bounds = [b for b in (upper, seen.upper) if b is not None]
            self.cells[key] = Cell(key, value, max(floor, seen.floor),
                                   min(bounds) if bounds else None, seen.cost,
                                   attribute or seen.attribute)  # fmt: skip

    def result(self, catalogue: Catalogue, result: IndicatorResult, year: int,
               scope: str | None) -> None:  # fmt: skip
        if result.error:
            return
        entries = [((), result.numerator, result.denominator, result.n)]
        entries += [(r.keys, r.numerator, r.denominator, r.n) for r in result.rows]
        floor = self.floor_of(result.id)
        for keys, numerator, denominator, n in entries:
            qs = row_quantities(catalogue, result, keys, year, scope)
            values = {"numerator": _count(numerator), "denominator": _count(denominator),
                      "n": _count(n)}  # fmt: skip
            n_floor = self.base_floor if qs.n and qs.n[0] == "R" else floor
            small_group = values["n"] is not None and 0 < values["n"] < n_floor
            attribute = small_group or self.attribute_of(result, values)
            for quantity in QUANTITIES:
                key, value = getattr(qs, quantity), values[quantity]
                if key is None or value is None:
                    continue
                counted = (
                    quantity == "n"
                    or (
                        quantity == "numerator"
                        and result.kind in ORG_COUNT_KINDS | ORG_DENOMINATOR_KINDS
                    )
                    or (quantity == "denominator" and result.kind in ORG_DENOMINATOR_KINDS)
                )
                own = n_floor if quantity == "n" else floor
                protected = small_group or (quantity == "numerator" and attribute)
                # in a group shown "<3", an organisation count is known to be at most 2
                upper = n_floor - 1 if small_group and counted and quantity != "n" else None
                self.add(key, value, own if counted else 0, attribute=protected, upper=upper)
            if values["numerator"] is not None and values["n"] is not None and qs.n:
                if result.kind in ORG_COUNT_KINDS and qs.numerator != qs.n:
                    self.inequalities.add((qs.numerator, qs.n))

    def problem(self) -> Problem:
        cells = {k: c for k, c in self.cells.items() if k not in self.conflicts}
        return Problem(
            tuple(cells.values()),
            tuple(_relations(cells)),
            tuple(
                p
                for p in sorted(self.inequalities)
                if p[0] in cells and p[1] in cells and cells[p[0]].value <= cells[p[1]].value
            ),
        )


def _relations(cells: dict[Key, Cell]) -> Iterable[Relation]:
    """Totals as the sums of their places, and distributions' categories as their n."""
    places: dict[Key, list[Key]] = defaultdict(list)
    for key in cells:
        *quantity, scope, place = key
        if place:
            places[(*quantity, scope, "")].append(key)
        elif scope != GLOBAL:
            places[(*quantity, GLOBAL, "")].append(key)
    for total, parts in sorted(places.items()):
        if total in cells and sum(cells[p].value for p in parts) == cells[total].value:
            yield Relation(total, tuple(parts))
    choices: dict[Key, list[Key]] = defaultdict(list)
    for key in cells:
        if key[0] == "choice":
            _kind, _field, _code, year, scope, place = key
            choices[("R", year, scope, place)].append(key)
    for total, parts in sorted(choices.items()):
        if total in cells and sum(cells[p].value for p in parts) == cells[total].value:
            yield Relation(total, tuple(parts))  # a select_one: each respondent once


def _responses(builder: _Builder, frames: Frames, year: int, floor: int) -> None:
    """Counted responses of each country, region and the world (covers, time series, n)."""
    responses = frames.responses[frames.responses["year"].eq(year)]
    # grouped as the indicators group them (an unanswered place is MISSING), so the keys meet
    groups = group_frame(responses, ("region", "country"))
    builder.add(responses_key(year, None), len(responses), floor)
    for code in REGIONS:
        mine = groups["region"].eq(code)
        builder.add(responses_key(year, code), int(mine.sum()), floor)
        for place, count in groups.loc[mine, "country"].value_counts().items():
            builder.add(responses_key(year, code, str(place)), int(count), floor)


def year_plan(
    frames: Frames,
    catalogue: Catalogue,
    form: ExportForm,
    year: int,
    rules: Any,
    *,
    series: Sequence[str] = (),
    section: Sequence[str] = (),
    cache: dict[str, Any] | None = None,
) -> YearPlan:
    """The plan for every public table of `year`: each region's and the global indicators
    (by country, by region), the region-wide categories (`section` ids), the headlines of
    the earlier years (`series` ids, as the time series shows them), counted responses.

    `frames` are the public tier's (withheld countries already left out). Cached in `cache`
    (default `frames.cache`; the frames before withholding, which every pack shares): every
    pack of the year, in every language, reads the same plan.
    """
    cache = frames.cache if cache is None else cache
    # the responses the plan counts (withholding leaves some out) and the rules it applies
    counted = hash(tuple(frames.responses["submission_id"]))
    cache_key = (
        f"disclosure:{year}:{rules.min_cell}:{rules.min_cell_high}:{rules.min_group}:{counted}"
    )
    if cache_key in cache:
        return cache[cache_key]
    sensitive = sensitive_indicators(catalogue, form)

    def attribute_of(result: IndicatorResult, values: dict[str, int | None]) -> bool:
        numerator, n = values["numerator"], values["n"]
        if result.id not in sensitive or numerator is None or not n:
            return False
        return n < rules.min_group and numerator in (0, n) and result.kind in ORG_COUNT_KINDS

    builder = _Builder(rules.floor, attribute_of, rules.min_cell)
    _responses(builder, frames, year, rules.min_cell)
    for scope in (*REGIONS, None):
        by = ("country",) if scope else ("region",)
        for result in compute_indicators(frames, catalogue, year, scope, by):
            builder.result(catalogue, result, year, scope)
        for result in compute_indicators(frames, catalogue, year, scope, (), ids=section):
            builder.result(catalogue, result, year, scope)
    years = pd.to_numeric(frames.responses["year"], errors="coerce").dropna().astype(int)
    for earlier in sorted({int(y) for y in years if y < year}):
        _responses(builder, frames, earlier, rules.min_cell)
        for scope in (*REGIONS, None):
            for result in compute_indicators(frames, catalogue, earlier, scope, (), ids=series):
                builder.result(catalogue, result, earlier, scope)
    problem = builder.problem()
    plan = YearPlan(year, problem, protect(problem), dict(problem.index))
    cache[cache_key] = plan
    return plan


def sensitive_indicators(catalogue: Catalogue, form: ExportForm) -> frozenset[str]:
    """Ids of the indicators that read a field the form marks medium or high."""
    return frozenset(
        spec.id
        for spec in catalogue.indicators
        if any(form.level(name) in ("medium", "high") for name in spec.fields_read())
    )
