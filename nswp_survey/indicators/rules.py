"""The counting rules, in one place, so every indicator divides by the same R (pure pandas).

From every stored submission of the form(s) to the counted responses:
  1. deleted submissions (tombstoned: gone from the server) never count;
  2. Kobo validation status "not approved" never counts; "on hold" counts unless the
     catalogue says `rules.on_hold = "exclude"`; not-yet-validated ones count;
  3. only consented responses (`consent` = yes) count;
  4. the survey year is the form's `survey_year` (else the submission year - 1);
  5. one response per member organisation per survey year: the latest approved one wins,
     else the latest one (an edited submission is already one row in the store);
  6. `sw_led` missing (older versions) is worked out from the share bands (50/50/33 rule).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

APPROVED = "approved"
NOT_APPROVED = "not_approved"
ON_HOLD = "on_hold"
_LEADING = ("50_59", "60_plus")
_STAFF = ("33_49", "50_59", "60_plus")


def status_of(series: pd.Series) -> pd.Series:
    """'validation_status_on_hold' -> 'on_hold'; missing -> ''."""
    return series.fillna("").astype(str).str.removeprefix("validation_status_")


def survey_year(raw: pd.DataFrame) -> pd.Series:
    """The reporting year: the form's `survey_year`, else the year before submission."""
    if "survey_year" in raw:
        stated = pd.to_numeric(raw["survey_year"], errors="coerce")
    else:  # (a form version without the question, or no submission at all)
        stated = pd.Series(float("nan"), index=raw.index)
    times = pd.to_datetime(raw["submission_time"], utc=True, errors="coerce")
    return stated.fillna(times.dt.year - 1).astype("Int64")


def derive_sw_led(raw: pd.DataFrame) -> pd.Series:
    """`sw_led` as stored, filled in where an older version did not calculate it."""
    stored = raw["sw_led"] if "sw_led" in raw else pd.Series(pd.NA, index=raw.index, dtype=object)
    if "sw_board_share" not in raw or "sw_spokes_share" not in raw:
        return stored
    staff = raw.get("sw_staff_share", pd.Series(pd.NA, index=raw.index))
    paid = pd.to_numeric(raw.get("paid_staff", pd.Series(pd.NA, index=raw.index)), errors="coerce")
    led = (
        raw["sw_board_share"].isin(_LEADING)
        & raw["sw_spokes_share"].isin(_LEADING)
        & (paid.eq(0) | staff.isin(_STAFF))
    )
    derived = led.map({True: "1", False: "0"}).where(raw["sw_board_share"].notna())
    return stored.where(stored.notna(), derived)


def _member_codes(raw: pd.DataFrame) -> pd.Series:
    """Member codes, trimmed and upper-cased; a missing code stands for itself (#<id>)."""
    code = raw["member_code"] if "member_code" in raw else pd.Series(None, index=raw.index)
    codes, uniques = pd.factorize(code)
    clean = pd.Series(uniques, dtype=object).map(lambda c: str(c).strip().upper() or None)
    fixed = pd.Series(np.append(clean.to_numpy(), None)[codes], index=raw.index, dtype=object)
    return fixed.where(fixed.notna(), "#" + raw["submission_id"].astype(str))


def select_responses(
    raw: pd.DataFrame, *, on_hold: str = "include", years: Iterable[int] | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The counted responses (one per member and year) and how many were left out, and why.

    `raw` has one row per stored submission: `submission_id`, `kobo_id`, `submission_time`,
    `validation_status`, `deleted` and one column per field (current names). The rules are
    masks over a few columns; the wide frame is cut once, at the end.
    """
    excluded: dict[str, int] = {}
    keep = pd.Series(True, index=raw.index)

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal keep
        mask = mask.fillna(False).astype(bool) & keep
        excluded[reason] = int(mask.sum())
        keep &= ~mask

    drop(raw["deleted"].astype(bool), "deleted")
    status = status_of(raw["validation_status"])
    bad = status.eq(NOT_APPROVED) | (status.eq(ON_HOLD) & (on_hold == "exclude"))
    drop(bad, "not approved" if on_hold == "include" else "not approved/on hold")
    consent = raw["consent"] if "consent" in raw else pd.Series(None, index=raw.index)
    drop(consent.ne("yes"), "no consent")
    year = survey_year(raw)
    if years is not None:
        drop(~year.isin(list(years)), "other years")
    keys = pd.DataFrame(
        {
            "member_code": _member_codes(raw),
            "year": year,
            "_approved": status.eq(APPROVED),
            "submission_time": raw["submission_time"],
            "kobo_id": raw["kobo_id"],
        }
    )[keep]
    keys = keys.sort_values(["_approved", "submission_time", "kobo_id"], ascending=False)
    dup = keys.duplicated(["member_code", "year"], keep="first")
    excluded["duplicates"] = int(dup.sum())
    chosen = keys.index[~dup].sort_values()
    frame = raw.loc[chosen]
    frame = frame.assign(
        member_code=keys.loc[chosen, "member_code"],
        year=keys.loc[chosen, "year"],
        sw_led=derive_sw_led(frame),
    )
    return frame.sort_values("submission_id").reset_index(drop=True), excluded
