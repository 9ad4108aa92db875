"""Legal and policy changes (section D, the `law_change` repeat): LAW-01 .. LAW-03.

Several members of one country often report the same change. Two reports are ONE change
when they are from the same country and either
  - give the same public source link (scheme, `www.`, query and trailing `/` ignored), or
  - agree on level, stage, direction, areas and month;
and chains of such matches are one change too. A change's direction is the reports' common
direction, or "mixed" when they disagree; its stage is the furthest reached; its areas the
union of the reported areas. A change counts for a country as "positive (negative) adopted"
when its direction is positive (negative) and its stage adopted or implemented.

Measures: `changes` (distinct changes by direction x area x stage; n = reports),
`countries_positive`, `countries_negative`, `net_direction` (#positive - #negative per country).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from nswp_survey.indicators.aggregate import summarise
from nswp_survey.indicators.catalogue import IndicatorSpec
from nswp_survey.indicators.results import MISSING, Frames, IndicatorResult

STAGES = ("proposed", "debated", "adopted", "implemented", "struck_down", "repealed")
ADOPTED = ("adopted", "implemented")
_STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGES)}
GROUPS = ("region", "country", "year")


def _source_key(source: pd.Series) -> pd.Series:
    text = source.fillna("").astype(str).str.strip().str.lower()
    text = text.str.replace(r"^https?://(www\.)?", "", regex=True)
    text = text.str.replace(r"[?#].*$", "", regex=True).str.rstrip("/")
    return text.where(text.ne(""))


def _components(keys: list[pd.Series], index: pd.Index) -> pd.Series:
    """Label rows so that rows sharing any key end up with the same label (min row id)."""
    label = np.arange(len(index))
    codes = [pd.factorize(key)[0] for key in keys]  # -1: no key (never matches)
    for _ in range(len(index)):
        before = label.copy()
        for code in codes:
            known = code >= 0
            smallest = pd.Series(label[known]).groupby(code[known]).transform("min").to_numpy()
            label[known] = smallest
            label = label[label]  # follow chains: a -> b -> c
        if np.array_equal(label, before):
            break
    return pd.Series(label, index=index)


def dedupe_changes(law: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct change: change_id, country, region, year, lc_* and reports."""
    if law.empty:
        return pd.DataFrame(
            columns=[
                "change_id",
                "country",
                "region",
                "year",
                "lc_direction",
                "lc_stage",
                "lc_area",
                "lc_level",
                "reports",
            ]
        )
    law = law.reset_index(drop=True)
    country = law["country"].fillna(MISSING).astype(str)
    areas = law["lc_area"].fillna("").astype(str).str.split().map(lambda a: " ".join(sorted(a)))
    month = law.get("lc_date", pd.Series("", index=law.index)).fillna("").astype(str).str[:7]
    same_facts = country.str.cat(
        [law[c].fillna("").astype(str) for c in ("lc_level", "lc_stage", "lc_direction")]
        + [areas, month],
        sep="|",
    )
    source = _source_key(law.get("lc_source", pd.Series(None, index=law.index)))
    same_source = (country + "|" + source).where(source.notna())
    law = law.assign(change_id=_components([same_facts, same_source], law.index))
    law = law.assign(lc_area=areas, _rank=law["lc_stage"].map(_STAGE_RANK).fillna(-1))
    grouped = law.groupby("change_id", sort=True)
    first = grouped[["country", "region", "lc_direction", "lc_level", "lc_area"]].first()
    agree = grouped["lc_direction"].nunique(dropna=False).le(1)
    furthest = law.sort_values("_rank").drop_duplicates("change_id", keep="last")
    changes = first.assign(
        year=grouped["year"].min(),
        lc_direction=first["lc_direction"].where(agree, "mixed").fillna(MISSING),
        lc_stage=furthest.set_index("change_id")["lc_stage"].fillna(MISSING),
        reports=grouped.size(),
    )
    several = changes.index[changes["reports"] > 1]
    if len(several):  # areas of a change reported several times: the union
        multi = law.loc[law["change_id"].isin(several), ["change_id", "lc_area"]]
        union = multi.groupby("change_id")["lc_area"].agg(
            lambda a: " ".join(sorted(set(" ".join(a).split())))
        )
        changes.loc[union.index, "lc_area"] = union
    return changes.rename_axis("change_id").reset_index()


def compute(spec: IndicatorSpec, frames: Frames, by: Sequence[str], lang: str) -> IndicatorResult:
    """One LAW measure over the counted responses' law_change rows."""
    if "law_changes" not in frames.cache:
        frames.cache["law_changes"] = dedupe_changes(frames.law)
    changes = frames.cache["law_changes"]
    dims = [d for d in by if d in GROUPS]
    common = {
        "spec_id": spec.id,
        "title": spec.title(lang),
        "kind": f"law:{spec.measure}",
        "frames": frames,
        "by": dims,
        "lang": lang,
        "group_source": changes,
        "group_name": "law",
    }
    if spec.measure == "changes":
        long = changes.assign(lc_area=changes["lc_area"].str.split()).explode("lc_area")
        long["lc_area"] = long["lc_area"].fillna(MISSING)
        measure = long.assign(key=long["change_id"], n=1, num=1)
        inner = ["lc_direction", "lc_area", "lc_stage"]
        result = summarise(measure[["key", "n", "num", *inner]], "distinct", inner=inner, **common)
        return dataclasses.replace(result, n=len(frames.law), numerator=len(changes))
    if spec.measure in ("countries_positive", "countries_negative"):
        wanted = spec.measure.removeprefix("countries_")
        hit = changes["lc_direction"].eq(wanted) & changes["lc_stage"].isin(ADOPTED)
        measure = pd.DataFrame({"num": hit.astype(int), "key": changes["country"].where(hit)})
        result = summarise(measure.assign(n=1), "distinct", **common)
        return dataclasses.replace(result, n=len(changes))
    sign = changes["lc_direction"].map({"positive": 1, "negative": -1}).fillna(0)
    measure = pd.DataFrame({"num": sign, "n": 1})
    if "country" in dims:
        return summarise(measure, "sum", **common)
    measure["country"] = changes["country"].fillna(MISSING)
    return summarise(measure, "sum", inner=["country"], **common)
