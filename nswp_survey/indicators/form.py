"""What the indicators need to know of the form: each field's kind and choice list, and labels.

Built from an XLSForm workbook (`load_form_schema(path)`, read with openpyxl: the layering
keeps `indicators` off the `forms` package) or from a stored form version's KPI content
(`schema_from_content`), so choice labels follow the form's translations.

Example:
    schema = load_form_schema(Path("forms/annual_member_survey.xlsx"))
    schema.fields["regional_net"].kind        # 'select_multiple'
    schema.choice_label("region", "lac", "fr")  # 'Amérique latine'
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from nswp_survey.errors import IndicatorError

_LANG_CODE = re.compile(r"\((\w+)\)\s*$")


@dataclass(frozen=True)
class FormField:
    """One named field: its kind ('select_one', 'integer' ...), choice list, and full path."""

    name: str
    kind: str
    list_name: str | None
    path: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormSchema:
    """Fields by name, and choice labels: `choices[list][choice][lang] -> label`."""

    fields: Mapping[str, FormField]
    choices: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    source: str = ""

    def choice_names(self, field_name: str) -> list[str] | None:
        """The choice names of a select field, or None for a field without a list."""
        info = self.fields.get(field_name)
        if info is None or info.list_name is None:
            return None
        return list(self.choices.get(info.list_name, {}))

    def choice_label(self, list_name: str | None, choice: str, lang: str = "en") -> str:
        """The choice's label in `lang` (then English, then the code itself)."""
        labels = self.choices.get(list_name or "", {}).get(choice, {})
        return labels.get(lang) or labels.get("en") or choice

    def question(self, field_name: str, lang: str = "en") -> str:
        """The field's question label in `lang` (then English, then its name)."""
        info = self.fields.get(field_name)
        labels = info.labels if info else {}
        return labels.get(lang) or labels.get("en") or field_name

    def field_label(self, field_name: str, choice: str, lang: str = "en") -> str:
        info = self.fields.get(field_name)
        return self.choice_label(info.list_name if info else None, choice, lang)


def _lang_of(header: str) -> str | None:
    """'label::French (fr)' -> 'fr'; a plain 'label' is English."""
    if header == "label":
        return "en"
    if not header.startswith("label::"):
        return None
    match = _LANG_CODE.search(header)
    return match[1].lower() if match else None


def _select(type_text: str) -> tuple[str, str | None]:
    """'select_one yes_no' -> ('select_one', 'yes_no'); 'begin group' -> ('begin_group', None)."""
    parts = type_text.strip().lower().replace("begin ", "begin_").replace("end ", "end_").split()
    kind = parts[0] if parts else ""
    if kind in ("select_one", "select_multiple") and len(parts) > 1:
        return kind, type_text.split()[1]
    return kind, None


def schema_from_rows(
    survey: Iterable[Mapping[str, Any]], choices: Iterable[Mapping[str, Any]], source: str
) -> FormSchema:
    """A schema from survey/choices rows keyed by header ('label::French (fr)' ...)."""
    fields: dict[str, FormField] = {}
    groups: list[str] = []
    for row in survey:
        kind, list_name = _select(str(row.get("type") or ""))
        name = str(row.get("name") or "").strip()
        if kind in ("end_group", "end_repeat"):
            groups = groups[:-1]
            continue
        if name:
            labels = {lang: str(v) for h, v in row.items() if v and (lang := _lang_of(h))}
            path = "/".join((*groups, name))
            fields[name] = FormField(name, kind, list_name, path, labels)
        if kind in ("begin_group", "begin_repeat"):
            groups.append(name)
    lists: dict[str, dict[str, dict[str, str]]] = {}
    for row in choices:
        list_name, name = str(row.get("list_name") or ""), str(row.get("name") or "")
        if list_name and name:
            labels = {lang: str(v) for h, v in row.items() if v and (lang := _lang_of(h))}
            lists.setdefault(list_name, {})[name] = labels
    return FormSchema(fields=fields, choices=lists, source=source)


def _sheet_rows(book: Any, title: str) -> list[dict[str, Any]]:
    sheet = next((book[n] for n in book.sheetnames if n.strip().lower() == title), None)
    if sheet is None:
        return []
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    header = [h.replace(" :: ", "::").replace(":: ", "::") for h in header]
    out = []
    for values in rows:
        row = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if row:
            out.append({k: (str(v).strip() if isinstance(v, str) else v) for k, v in row.items()})
    return out


def load_form_schema(path: Path) -> FormSchema:
    """Read an XLSForm .xlsx; raises IndicatorError when it cannot be read."""
    try:
        book = openpyxl.load_workbook(Path(path), read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, zipfile.BadZipFile) as err:
        raise IndicatorError(f"cannot read the form {path}: {err}") from err
    try:
        return schema_from_rows(
            _sheet_rows(book, "survey"), _sheet_rows(book, "choices"), str(path)
        )
    finally:
        book.close()


def _kpi_rows(rows: Any, translations: list[str | None], translated: set[str]) -> list[dict]:
    out = []
    for row in rows or []:
        if not isinstance(row, Mapping):
            continue
        flat: dict[str, Any] = {}
        for key, value in row.items():
            if key in translated and isinstance(value, list):
                for lang, text in zip(translations, value, strict=False):
                    flat[f"{key}::{lang}" if lang else key] = text
            elif not key.startswith("$"):
                flat[key] = value
        flat.setdefault("name", row.get("$autoname") or row.get("$autovalue"))
        if row.get("select_from_list_name"):
            flat["type"] = f"{row.get('type')} {row['select_from_list_name']}"
        out.append(flat)
    return out


def schema_from_content(content: Mapping[str, Any], source: str = "store") -> FormSchema:
    """The schema of a form version's KPI content (as stored in `form_version.content_json`)."""
    translations = list(content.get("translations") or [None])
    translated = set(content.get("translated") or ["label"])
    survey = _kpi_rows(content.get("survey"), translations, translated)
    choices = _kpi_rows(content.get("choices"), translations, translated)
    return schema_from_rows(survey, choices, source)
