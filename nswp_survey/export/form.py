"""The deployed form as an export needs it: fields in survey order, labels and sensitivity.

The form comes from the store (the newest deployed `form_version.content_json`, KPI content
with the custom `nswp_sensitive` column), or, when no content is stored, from an XLSForm
workbook turned into the same KPI shape (`content_from_xlsx`).

Example:
    form = load_export_form(engine, fallback=Path("forms/annual_member_survey.xlsx"))
    form.is_sensitive("registration")   # True (high)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import Engine

from nswp_survey.errors import ExportError
from nswp_survey.indicators import FormSchema, schema_from_content
from nswp_survey.indicators.form import FormField
from nswp_survey.store import load_latest_content

SENSITIVITY_COLUMN = "nswp_sensitive"
SENSITIVE_LEVELS = ("high", "medium")
# Kinds that hold no answer worth exporting (structure, notes, device metadata).
SKIP_KINDS = {
    "note",
    "begin_group",
    "end_group",
    "begin_repeat",
    "end_repeat",
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "simserial",
    "subscriberid",
    "audit",
}
_LABEL = re.compile(r"^label::(.+)$")


@dataclass(frozen=True)
class ExportForm:
    """A form's schema (labels, choices) plus each field's sensitivity (high, medium, low)."""

    schema: FormSchema
    sensitivity: Mapping[str, str]
    source: str = ""

    def level(self, name: str) -> str:
        return self.sensitivity.get(name) or "low"

    def is_sensitive(self, name: str) -> bool:
        return self.level(name) in SENSITIVE_LEVELS

    def repeats(self) -> list[str]:
        return [f.name for f in self.schema.fields.values() if f.kind == "begin_repeat"]

    def data_fields(self, repeat: str | None = None) -> list[FormField]:
        """Answer fields at the top level (`repeat=None`) or inside the named repeat."""
        repeats = set(self.repeats())
        out = []
        for info in self.schema.fields.values():
            if info.kind in SKIP_KINDS:
                continue
            parents = info.path.split("/")[:-1]
            inside = [p for p in parents if p in repeats]
            if (repeat is None and not inside) or (inside and inside[-1] == repeat):
                out.append(info)
        return out


def form_from_content(content: Mapping[str, Any], source: str = "store") -> ExportForm:
    """An ExportForm from KPI content (`survey`, `choices`, `translations`)."""
    sensitivity = {}
    for row in content.get("survey") or []:
        name = row.get("name") or row.get("$autoname")
        level = str(row.get(SENSITIVITY_COLUMN) or "").strip().lower()
        if name and level:
            sensitivity[str(name)] = level
    return ExportForm(schema_from_content(content, source=source), sensitivity, source)


def content_from_xlsx(path: Path) -> dict[str, Any]:
    """An XLSForm workbook as KPI-shaped content: translated labels as aligned lists."""
    try:
        book = openpyxl.load_workbook(Path(path), read_only=True, data_only=True)
    except Exception as err:
        raise ExportError(f"cannot read the form {path}: {err}") from err
    try:
        sheets = {name.strip().lower(): book[name] for name in book.sheetnames}
        tables = {}
        for title in ("survey", "choices"):
            rows = list(sheets[title].iter_rows(values_only=True)) if title in sheets else []
            header = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
            tables[title] = (header, rows[1:])
    finally:
        book.close()
    translations = list(
        dict.fromkeys(
            m[1] for h in tables["survey"][0] + tables["choices"][0] if (m := _LABEL.match(h))
        )
    )
    content: dict[str, Any] = {"translations": translations, "translated": ["label"]}
    for title, (header, rows) in tables.items():
        out = []
        for values in rows:
            cells = {
                h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")
            }
            if not cells:
                continue
            row = {k: v for k, v in cells.items() if not _LABEL.match(k)}
            row["label"] = [cells.get(f"label::{t}") for t in translations]
            if title == "survey":
                type_text = re.sub(r"^(begin|end)\s+", r"\1_", str(cells.get("type", "")).strip())
                kind, *rest = type_text.split() or [""]
                row["type"] = kind
                if kind in ("select_one", "select_multiple") and rest:
                    row["select_from_list_name"] = rest[0]
            out.append(row)
        content[title] = out
    return content


def load_export_form(
    engine: Engine, fallback: Path | None = None, asset_uids: Sequence[str] | None = None
) -> ExportForm:
    """The newest deployed form content in the store (of `asset_uids`; None: of any form);
    else the `fallback` workbook."""
    with engine.connect() as conn:
        latest = load_latest_content(conn, asset_uids)
    if latest is not None:
        asset_uid, content = latest
        return form_from_content(content, source=f"store:{asset_uid}")
    if fallback is not None and Path(fallback).is_file():
        return form_from_content(content_from_xlsx(Path(fallback)), source=str(fallback))
    raise ExportError(
        "no form content is stored and no form workbook was given: run `nswp-survey sync` "
        "(it records the deployed form) or pass --form FILE"
    )
