"""KPI asset content (the JSON a Kobo server keeps for each form version) -> workbook rows.

KPI stores a form as `survey`/`choices` row objects whose translated columns (`label`,
`hint`, ...) are lists aligned with `translations`, a select's list in
`select_from_list_name`, and bookkeeping in `$`-columns (`$kuid`, `$xpath`, `$autoname`).
`workbook_from_content` turns that back into the `Workbook` model `load_workbook` gives for
an .xlsx, so a deployed version and a local file can be compared row by row
(`forms/diff.py`).

Example:
    version = client.assets.get_version(uid, asset.deployed_version_id)
    book = workbook_from_content(version.content, source=f"{uid}@{version.uid}")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nswp_survey.forms.workbook import Row, Sheet, Workbook, cell_text, header_key

# KPI's names for columns that pyxform (and load_workbook) spell differently.
_KPI_COLUMNS = {"read_only": "readonly", "id_string": "form_id"}
_FOLDED = ("select_from_list_name", "_or_other", "file")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(cell_text(v) for v in value if v not in (None, ""))
    if isinstance(value, dict):
        return ""
    return cell_text(value)


def _row_values(
    row: Mapping[str, Any], translations: Sequence[str | None], translated: Sequence[str]
) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in row.items():
        if key.startswith("$") or key in _FOLDED:
            continue
        if key in translated and isinstance(value, list):
            for language, text in zip(translations, value, strict=False):
                if text not in (None, ""):
                    column = f"{key}::{language}" if language else key
                    values[header_key(column)] = cell_text(text)
            continue
        text = _text(value)
        if text:
            values[header_key(_KPI_COLUMNS.get(key, key))] = text
    if not values.get("name") and (row.get("$autoname") or row.get("$autovalue")):
        values["name"] = str(row.get("$autoname") or row.get("$autovalue"))
    list_name = row.get("select_from_list_name")
    if list_name and "type" in values:
        values["type"] = f"{values['type']} {list_name}" + (
            " or_other" if row.get("_or_other") else ""
        )
    elif row.get("file") and "type" in values:
        values["type"] = f"{values['type']} {row['file']}"
    return values


def _sheet(title: str, rows: list[dict[str, str]]) -> Sheet:
    headers: dict[str, None] = {}
    for values in rows:
        headers.update(dict.fromkeys(values))
    kept = tuple(Row(number=i, values=v) for i, v in enumerate(rows, start=2) if v)
    return Sheet(title=title, headers=tuple(headers), rows=kept)


def workbook_from_content(content: Mapping[str, Any], *, source: str = "kobo") -> Workbook:
    """The survey, choices and settings sheets of KPI `content` as a `Workbook`.

    Translated columns become `label::<language>` (plain `label` for KPI's null
    translation), types regain their list (`select_one yes_no`), `$autoname`/`$autovalue`
    fill a missing name, and the `$`-columns are dropped.
    """
    translations = list(content.get("translations") or [None])
    translated = list(content.get("translated") or [])
    sheets: dict[str, Sheet] = {}
    for name in ("survey", "choices"):
        rows = [r for r in content.get(name) or [] if isinstance(r, Mapping)]
        if rows or name == "survey":
            sheets[name] = _sheet(name, [_row_values(r, translations, translated) for r in rows])
    settings = content.get("settings")
    if isinstance(settings, Mapping) and settings:
        sheets["settings"] = _sheet("settings", [_row_values(settings, [], [])])
    return Workbook(path=Path(source), sheets=sheets)
