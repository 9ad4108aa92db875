"""Programme and service changes (section E): PRG-02 and its cut reasons.

`balance`: per service, members that started or expanded it (`service_change`, the
numerator) against members that reduced or stopped it (`service_cut`, the denominator);
the value is the difference; n counts the mentions. The headline is the sum over services.
`cut_reasons`: among members that reduced or stopped any service, the share giving each
reason (`cut_reason`, several allowed, so shares overlap); "(no answer)" is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from nswp_survey.indicators.aggregate import summarise
from nswp_survey.indicators.catalogue import IndicatorSpec
from nswp_survey.indicators.compute import answers_of
from nswp_survey.indicators.results import MISSING, Frames, IndicatorResult


def compute(spec: IndicatorSpec, frames: Frames, by: Sequence[str], lang: str) -> IndicatorResult:
    answers = answers_of(frames)
    common = {
        "spec_id": spec.id,
        "title": spec.title(lang),
        "kind": f"programmes:{spec.measure}",
        "frames": frames,
        "by": by,
        "lang": lang,
    }
    if spec.measure == "balance":
        started = answers.chosen("service_change").rename("services").to_frame()
        stopped = answers.chosen("service_cut").rename("services").to_frame()
        measure = pd.concat([started.assign(num=1, den=0), stopped.assign(num=0, den=1)])
        measure = measure.assign(n=1)
        return summarise(measure, "difference", inner=["services"], **common)
    cut = answers.text("service_cut").notna()
    reasons = answers.chosen("cut_reason")
    reasons = reasons[reasons.index.isin(cut.index[cut])]
    missing = pd.Series(MISSING, index=cut.index[cut & answers.text("cut_reason").isna()])
    long = pd.concat([reasons, missing]).rename("cut_reason").to_frame().assign(num=1)
    return summarise(long, "sum", inner=["cut_reason"], population=cut.astype(int), **common)
