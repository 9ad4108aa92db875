"""What indicators take in (`Frames`) and give back (`IndicatorResult`), and the grouping helper.

`Frames.responses` holds one row per counted response (after `rules.select_responses`), with
one column per field (text, as Kobo sent it) plus `year`, `member_code` and `submission_id`.
`Frames.law` holds one row per `law_change` repeat instance of those responses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nswp_survey.indicators.form import FormSchema

SW_LED_LABELS = {
    "1": {
        "en": "SW-led",
        "fr": "dirigée par des TS",
        "es": "liderada por TS",
        "ru": "под руководством СР",
        "zh": "性工作者主导",
    },
    "0": {
        "en": "not SW-led",
        "fr": "non dirigée par des TS",
        "es": "no liderada por TS",
        "ru": "не под руководством СР",
        "zh": "非性工作者主导",
    },
}
# disaggregation -> the column that holds it (constituency: a select_multiple, exploded)
GROUP_COLUMNS = {
    "region": "region",
    "country": "country",
    "year": "year",
    "sw_led": "sw_led",
    "constituency": "constituencies",
}
# Kinds whose value is a fraction, which readers read as a percentage.
PERCENT_KINDS = frozenset({"share", "ratio", "distribution", "programmes:cut_reasons"})
MISSING = "(no answer)"
# MISSING as shown to readers (the code stays MISSING in every language)
NO_ANSWER = {"en": MISSING, "fr": "(sans réponse)", "es": "(sin respuesta)",
             "ru": "(нет ответа)", "zh": "（未回答）"}  # fmt: skip
# a form label's reference to another answer, e.g. "In ${survey_year}, how many forums..."
REFERENCE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class Frames:
    """The loaded data; `register` is filled when the member register is available."""

    responses: pd.DataFrame
    law: pd.DataFrame
    schema: FormSchema | None = None
    register: Any = None
    excluded: dict[str, int] = field(default_factory=dict)
    years: list[int] | None = None
    region: str | None = None
    asset_uids: tuple[str, ...] | None = None  # the forms they were loaded from (None: all)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)  # parsed columns, changes


@dataclass(frozen=True)
class ResultRow:
    """One breakdown cell: `keys` are (dimension, code, label) triples."""

    keys: tuple[tuple[str, str, str], ...]
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    n: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {dim: label for dim, _code, label in self.keys}
        out.update(value=self.value, numerator=self.numerator, denominator=self.denominator)
        out["n"] = self.n
        return out


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator's headline figure and its breakdown rows; `error` when it could not run."""

    id: str
    title: str
    kind: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    n: int = 0
    rows: tuple[ResultRow, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "n": self.n,
            "error": self.error,
            "rows": [row.as_dict() for row in self.rows],
        }


def group_frame(responses: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Respondent index -> one column per disaggregation; constituency rows are exploded.

    A respondent serving three constituencies appears three times (overlapping counts);
    an unanswered dimension is its own group, MISSING, never dropped.
    """
    out = pd.DataFrame(index=responses.index)
    for dim in by:
        column = responses.get(GROUP_COLUMNS[dim])
        if column is None:
            column = pd.Series(pd.NA, index=responses.index, dtype="object")
        column = column.astype("object").where(column.notna() & column.ne(""), None)
        if dim == "constituency":
            column = column.str.split()
        out[dim] = column
    if "constituency" in by:
        out = out.explode("constituency")
    return out.fillna(MISSING).astype(str)


def fill_references(label: str, year: int | None) -> str:
    """A form label's `${survey_year}` as the year (when one is known), other refs as "…"."""
    return REFERENCE.sub(
        lambda m: str(year) if m.group(1) == "survey_year" and year else "…", label
    )


def label_keys(
    dims: Sequence[str],
    codes: Sequence[Any],
    schema: FormSchema | None,
    lang: str,
    year: int | None = None,
) -> tuple[tuple[str, str, str], ...]:
    """(dimension, code, label in `lang`) for one breakdown cell; `year` fills labels'
    `${survey_year}`."""
    keys = []
    for dim, code in zip(dims, codes, strict=True):
        code = str(code)
        label = code
        if dim == "sw_led" and code in SW_LED_LABELS:
            label = SW_LED_LABELS[code].get(lang, SW_LED_LABELS[code]["en"])
        elif code == MISSING:
            label = NO_ANSWER.get(lang, MISSING)
        elif dim == "field" and schema is not None:
            label = fill_references(schema.question(code, lang), year)
        elif schema is not None:
            field_name = GROUP_COLUMNS.get(dim, dim)
            label = schema.field_label(field_name, code, lang)
        keys.append((dim, code, label))
    return tuple(keys)
