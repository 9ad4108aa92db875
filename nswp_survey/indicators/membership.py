"""MEM-01, MEM-02 and MEM-04: figures of the member register (`nswp_survey.register`).

  members      MEM-01  members active on 31 Dec of the year     register.member_counts
  new_members  MEM-02  members whose join date is in the year   register.member_counts
  coverage     MEM-04  active members that responded / active   register.compute_coverage

Coverage follows the register's own response rules (compute_coverage: consented, not "not
approved", not deleted, latest per member code). Breakdowns by region and country use the
register's region and country. With several years and no `year` breakdown the headline
adds the years. Without any member in the register these indicators report "needs the
register" instead of a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from nswp_survey.errors import IndicatorError
from nswp_survey.indicators.aggregate import summarise
from nswp_survey.indicators.catalogue import IndicatorSpec
from nswp_survey.indicators.results import MISSING, Frames, IndicatorResult

GROUPS = ("region", "country", "year")


class RegisterUnavailableError(IndicatorError):
    """Raised when an indicator needs the member register and none is loaded."""


@dataclass(frozen=True)
class RegisterFigures:
    """Per year and country (with its region): active, joined and responded members."""

    table: pd.DataFrame  # columns year, region, country, active, joined, responded


def load_register_figures(
    engine: Engine, years: Iterable[int], asset_uids: Sequence[str] | None = None
) -> RegisterFigures | None:
    """The register's figures for `years`, or None when the register has no member;
    `asset_uids`: the forms whose responses count (None: every stored form)."""
    from nswp_survey.register import compute_coverage, member_counts
    from nswp_survey.store import load_members

    with engine.connect() as conn:
        if not load_members(conn):
            return None
    records = []
    for year in sorted(set(years)):
        counts = member_counts(engine, year)
        coverage = compute_coverage(engine, year, asset_uids=asset_uids)
        region_of = {cell.country: cell.region for cell in coverage.by_country}
        for cell in coverage.by_country:
            joined = counts.joined_by_country.get(cell.country or "", 0)
            records.append((year, cell.region, cell.country, cell.active, joined, cell.responded))
        for country, joined in counts.joined_by_country.items():
            if country not in region_of:  # joined and left within the year
                records.append((year, MISSING, country, 0, joined, 0))
    columns = ["year", "region", "country", "active", "joined", "responded"]
    return RegisterFigures(pd.DataFrame.from_records(records, columns=columns))


def compute(spec: IndicatorSpec, frames: Frames, by: Sequence[str], lang: str) -> IndicatorResult:
    figures = frames.register
    if not isinstance(figures, RegisterFigures):
        raise RegisterUnavailableError(
            f"indicator {spec.id} needs the register: no member is registered "
            "(import the register with `nswp-survey members import FILE`)"
        )
    table = figures.table
    if frames.years is not None:
        table = table[table["year"].isin(frames.years)]
    if frames.region is not None:
        table = table[table["region"].eq(frames.region)]
    table = table.reset_index(drop=True)
    if spec.measure == "coverage":
        measure = pd.DataFrame({"num": table["responded"], "den": table["active"]})
        how = "share"
        measure["n"] = table["active"]
    else:
        column = "active" if spec.measure == "members" else "joined"
        measure = pd.DataFrame({"num": table[column], "n": table[column]})
        how = "sum"
    return summarise(
        measure,
        how,
        spec_id=spec.id,
        title=spec.title(lang),
        kind=f"register:{spec.measure}",
        frames=frames,
        by=[d for d in by if d in GROUPS],
        lang=lang,
        group_source=table,
        group_name=f"register:{frames.years}:{frames.region}",
    )
