"""KPI content -> XLSForm workbook dict -> XForm XML, as a deployment does.

KPI builds an .xlsx from the asset (`kpi/mixins/xls_exportable.py` `to_xlsx_io` with
`versioned=True`: a `__version__` calculate row, settings `version` "N (date)" and
`form_title`), with settings `id_string` = asset uid (`kpi/deployment_backends/
openrosa_backend.py` `connect`/`redeploy`). KoboCAT then compiles it with pyxform,
names the file `{asset uid}.xlsx` (so the instance root element is the uid) and adds
`formhub/uuid` (`kobo/apps/openrosa/apps/viewer/models/data_dictionary.py`).
We skip the .xlsx round trip and hand pyxform the same sheets as a dict.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from .content import DuplicateNameException

# Sheets pyxform reads; KPI writes every content sheet but pyxform ignores the others.
_PYXFORM_SHEETS = ("survey", "choices", "settings", "external_choices", "entities", "osm")
_DROPPED_COLUMNS = ("$prev", "select_from_list_name", "_or_other", "$kuid", "$autoname",
                    "$autovalue", "$xpath", "$given_name")  # fmt: skip


class DeployError(Exception):
    """pyxform (or duplicate-name) failure: the deployment endpoint answers 400 {"error"}."""


def _flatten_row(row: dict[str, Any], translations: list[Any], translated: list[str]) -> None:
    """formpack flatten_content: label lists -> label / label::Lang, select types joined."""
    if not translations:
        translations = [None]
    for key in [k for k in translated if k in row]:
        items = row.pop(key)
        if not isinstance(items, list):
            raise ValueError(f'"{key}" column is not translated')
        if len(items) != len(translations):
            raise ValueError(f'Incorrect translation count: "{key}"')
        for lang, value in zip(translations, items, strict=True):
            if lang is None:
                row[key] = value
            elif value not in (None, ""):
                row[f"{key}::{lang}"] = value
    if isinstance(row.get("tags"), list):
        row["tags"] = " ".join(str(t) for t in row["tags"])
    if "type" in row:
        if isinstance(row.get("required"), bool):
            row["required"] = "true" if row["required"] else "false"
        if "select_from_list_name" in row:
            list_name = row.pop("select_from_list_name")
            suffix = " or_other" if row.get("_or_other") else ""
            row["type"] = f"{row['type']} {list_name}{suffix}"
        elif row["type"] in ("select_one_from_file", "select_multiple_from_file") and "file" in row:
            row["type"] = f"{row['type']} {row.pop('file')}"
    for column in _DROPPED_COLUMNS:
        row.pop(column, None)


def _cell(value: Any) -> str:
    if value is True:
        return "TRUE"
    return str(value)


def to_workbook(
    content: dict[str, Any], *, asset_uid: str, title: str, version_uid: str, version_label: str
) -> dict[str, Any]:
    """`ordered_xlsform_content(append=...)` + flatten, as a pyxform workbook dict."""
    c = copy.deepcopy(content)
    survey = [r for r in c.get("survey", []) if isinstance(r, dict)]
    survey.append({"name": "__version__", "calculation": f"'{version_uid}'", "type": "calculate"})
    # kpi/utils/autoname.py with HandleDuplicatesOptions.RAISE: a deploy-time 400.
    seen: set[str] = set()
    for row in survey:
        row_type = row.get("type", "")
        if isinstance(row_type, str) and row_type.startswith(("end ", "end_")):
            continue
        name = row.get("$autoname") or row.get("name")
        if name in seen:
            raise DeployError(f"Duplicate name error: {name}")
        if name:
            seen.add(name)
            row["name"] = name  # _populate_fields_with_autofields
    choices = [r for r in c.get("choices", []) if isinstance(r, dict)]
    for choice in choices:
        if choice.get("$autovalue"):
            choice["name"] = choice["$autovalue"]
    translations = c.get("translations", [])
    translated = c.get("translated", [])
    for row in survey + choices:
        _flatten_row(row, translations, translated)
    settings = dict(c.get("settings") or {})
    settings.update({"id_string": asset_uid, "form_title": title})
    settings.update({"version": version_label, "form_title": title})
    workbook: dict[str, Any] = {"survey": survey, "settings": [settings]}
    if choices:
        workbook["choices"] = choices
    for sheet in _PYXFORM_SHEETS[3:]:
        if isinstance(c.get(sheet), list):
            workbook[sheet] = c[sheet]
    # xlsxwriter only writes truthy cells (`if val: sheet.write(...)`).
    for sheet, rows in workbook.items():
        workbook[sheet] = [{k: _cell(v) for k, v in r.items() if v} for r in rows]
    # KPI hands pyxform a real spreadsheet whose first row names every column; pyxform
    # guesses headers from the first 100 rows of a plain dict, so a column used only further
    # down (a choice_filter column on the countries) would vanish. Give the full header.
    for sheet in list(workbook):
        columns = dict.fromkeys(key for row in workbook[sheet] for key in row)
        workbook[f"{sheet}_header"] = [dict.fromkeys(columns)] if columns else []
    return workbook


def _inject_formhub(xml: str, root: str, form_uuid: str) -> str:
    """KoboCAT `_set_uuid_in_xml`: <formhub><uuid/></formhub> first, its calculate bind last."""
    match = re.search(rf"(\n( *)<{re.escape(root)} [^>]*>)", xml)
    if match:
        indent = match.group(2) + "  "
        block = f"\n{indent}<formhub>\n{indent}  <uuid/>\n{indent}</formhub>"
        xml = xml[: match.end()] + block + xml[match.end() :]
    bind = f'<bind nodeset="/{root}/formhub/uuid" type="string" calculate="\'{form_uuid}\'"/>'
    return re.sub(
        r"\n( *)</model>", lambda m: f"\n{m.group(1)}  {bind}\n{m.group(1)}</model>", xml, count=1
    )


def compile_xform(
    content: dict[str, Any],
    *,
    asset_uid: str,
    title: str,
    version_uid: str,
    version_label: str,
    form_uuid: str,
) -> str:
    """The XForm KoboCAT serves at /forms/{pk}/form.xml. Raises DeployError on form errors."""
    workbook = to_workbook(
        content,
        asset_uid=asset_uid,
        title=title,
        version_uid=version_uid,
        version_label=version_label,
    )
    try:
        result = convert(workbook, form_name=asset_uid, pretty_print=True)
    except (PyXFormError, DuplicateNameException) as err:
        raise DeployError(str(err)) from err
    xml = result.xform
    xml = re.sub(r"^<\?xml[^>]*\?>", '<?xml version="1.0" encoding="utf-8"?>', xml, count=1)
    return _inject_formhub(xml, asset_uid, form_uuid)


def form_paths(content: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(repeat xpaths, geopoint xpaths) without the root, from the rows' `$xpath`s.

    KoboCAT's parser turns repeat nodes into lists (`get_survey_elements_of_type('repeat')`)
    and `_geolocation` comes from the first answered geopoint (`Instance._set_geom`).
    """
    repeats: list[str] = []
    geopoints: list[str] = []
    for row in content.get("survey", []):
        xpath = row.get("$xpath")
        if not xpath:
            continue
        if row.get("type") == "begin_repeat":
            repeats.append(xpath)
        elif row.get("type") == "geopoint":
            geopoints.append(xpath)
    return repeats, geopoints
