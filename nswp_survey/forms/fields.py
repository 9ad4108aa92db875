"""The fields of a survey sheet: what each row's type means, and which groups hold it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nswp_survey.forms.workbook import Row, Sheet

BEGIN_KINDS = frozenset({"begin_group", "begin_repeat"})
END_KINDS = frozenset({"end_group", "end_repeat"})
_SELECT = re.compile(
    r"^(?:select_one|select one|select_multiple|select multiple|select all that apply|rank)"
    r"\s+(\S+)(?:\s+or_other)?$",
    re.IGNORECASE,
)
_GROUP = re.compile(r"^(begin|end)[ _](group|repeat)\b")


def normal_type(text: str) -> str:
    """'select_one   yn ' -> 'select_one yn': single spaces, case kept (list names have case)."""
    return " ".join(text.split())


def kind_of(type_text: str) -> str:
    """The row's kind: 'begin_group', 'end_repeat', 'select_one', 'integer', 'geopoint' ..."""
    text = normal_type(type_text).lower()
    if match := _GROUP.match(text):
        return f"{match[1]}_{match[2]}"
    if text.startswith(("select one", "select multiple", "select all that apply")):
        return "select_multiple" if "multiple" in text or "all" in text else "select_one"
    return text.split(" ", 1)[0] if text else ""


def select_list(type_text: str) -> str | None:
    """The choice list a select/rank type names ('select_one yn' -> 'yn'), else None."""
    match = _SELECT.match(normal_type(type_text))
    return match[1] if match else None


@dataclass(frozen=True)
class Field:
    """A named survey row (question, note, calculate, group or repeat), with its ancestors."""

    name: str
    type: str
    kind: str
    row: Row
    parents: tuple[str, ...]

    @property
    def is_group(self) -> bool:
        return self.kind in BEGIN_KINDS


def list_fields(survey: Sheet) -> list[Field]:
    """Every named row but the end markers, in sheet order; groups know their parents."""
    fields: list[Field] = []
    open_groups: list[str] = []
    for row in survey.rows:
        kind = kind_of(row.get("type"))
        if kind in END_KINDS:
            if open_groups:
                open_groups.pop()
            continue
        name = row.get("name")
        if name:
            fields.append(Field(name, normal_type(row.get("type")), kind, row, tuple(open_groups)))
        if kind in BEGIN_KINDS:
            open_groups.append(name)
    return fields
