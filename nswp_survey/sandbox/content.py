"""XLSForm workbook -> KPI asset `content` (the JSON the asset API serves).

This follows what KPI does on import and on every asset save:
`kpi/models/import_export_task.py` (`_b64_xls_to_dict`, `_ensure_valid_node_names`),
then `Asset.adjust_content_on_save` (`kpi/models/asset.py`), which runs formpack's
`expand_content` + `replace_aliases` (`kpi/utils/standardize_content.py`), then
`kpi/mixins/formpack_xlsform_utils.py` (default translation first, strip empty rows,
`$kuid`s, `$autoname`, `$xpath`, empty expressions, `__version__` rows).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from io import BytesIO
from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.xls2json_backends import xls_to_dict, xlsx_to_dict

from .ids import make_kuid

Row = dict[str, Any]
Content = dict[str, Any]

SCHEMA_VERSION = "1"  # formpack/utils/expand_content.py
MEDIA_COLUMN_NAMES = ("audio", "image", "video", "big-image")  # formpack/constants.py
# formpack/utils/replace_aliases.py: META_TYPES are moved to the top of the survey.
META_TYPES = (
    "start", "today", "end", "deviceid", "phone_number", "audit", "username",
    "phonenumber", "imei", "start-geopoint",
)  # fmt: skip
GEO_TYPES = ("gps", "geopoint", "geoshape", "geotrace")
_TYPE_ALIASES = {
    "begin group": "begin_group", "begin  group": "begin_group",
    "end group": "end_group", "end  group": "end_group",
    "begin lgroup": "begin_repeat", "begin repeat": "begin_repeat",
    "begin looped group": "begin_repeat", "end lgroup": "end_repeat",
    "end repeat": "end_repeat", "end looped group": "end_repeat",
    "string": "text", "trigger": "acknowledge", "photo": "image",
    "dateTime": "datetime", "imei": "deviceid", "gps": "geopoint",
}  # fmt: skip
_SELECT_ALIASES = {
    "select all that apply from": "select_multiple", "add select multiple prompt using":
    "select_multiple", "select all that apply": "select_multiple",
    "select multiple from file": "select_multiple_from_file",
    "select one from file": "select_one_from_file", "select one external":
    "select_one_external", "add select one prompt using": "select_one",
    "select multiple": "select_multiple", "select many": "select_multiple",
    "select_many": "select_multiple", "select one from": "select_one",
    "select one": "select_one", "select1": "select_one",
    "select_multiple_from_file": "select_multiple_from_file",
    "select_one_from_file": "select_one_from_file",
    "select_one_external": "select_one_external",
    "select_multiple": "select_multiple", "select_one": "select_one", "rank": "rank",
}  # fmt: skip
# Longest alias first, as `aliases_to_ordered_dict` sorts them.
_SELECT_KEYS = sorted(_SELECT_ALIASES, key=len, reverse=True)
_KNOWN_TYPES = set(QUESTION_TYPE_DICT) | set(_SELECT_ALIASES.values()) | set(_TYPE_ALIASES.values())
# kpi/utils/standardize_content.py ALLOWED_TYPES
_KPI_ALLOWED_TYPES = {
    "score__row", "rank__level", "begin_score", "end_score", "begin_rank", "end_rank",
    "begin_kobomatrix", "end_kobomatrix", "begin score", "end score", "begin rank",
    "end rank", "begin kobomatrix", "end kobomatrix",
}  # fmt: skip
# formpack replace_aliases `survey_header_columns`: (old pyxform aliases + formpack preferred)
_SURVEY_COLUMN_ALIASES = {
    "bind::calculate": "calculation", "calculate": "calculation",
    "bind::required": "required", "bind::jr:requiredMsg": "required_message",
    "requiredMsg": "required_message", "bind::relevant": "relevant",
    "relevance": "relevant", "bind::jr:constraintMsg": "constraint_message",
    "constraining_message": "constraint_message", "bind::constraint": "constraint",
    "bind::readonly": "read_only", "readonly": "read_only",
    "control::jr:count": "repeat_count", "count": "repeat_count",
    "jr:count": "repeat_count", "control::appearance": "appearance",
    "control::rows": "rows", "control::autoplay": "autoplay",
    "bind::jr:noAppErrorString": "no_app_error_string",
    "noAppErrorString": "no_app_error_string", "caption": "label",
    "command": "type", "tag": "name", "body": "control",
}  # fmt: skip
_SETTINGS_ALIASES = {"title": "form_title", "form_id": "id_string", "set_form_title":
                     "form_title", "set_form_id": "id_string"}  # fmt: skip
_YES_NO = {"yes": True, "Yes": True, "YES": True, "true": True, "True": True,
           "TRUE": True, "true()": True, "no": False, "No": False, "NO": False,
           "false": False, "False": False, "FALSE": False, "false()": False}  # fmt: skip
_FUZZY_VERSION = re.compile(r"^__?version__?(\d{3})?$")  # kobo/apps/reports/constants.py
_BEGINNERS = ("begin_score", "begin_group", "begin_repeat")  # kpi/utils/absolute_paths.py
_ENDERS = ("end_score", "end_group", "end_repeat")


class DuplicateNameException(Exception):
    """kpi/exceptions.py: raised at import when two survey rows share a name."""


def read_workbook(data: bytes) -> Content:
    """`_b64_xls_to_dict`: parse the upload with pyxform's readers, drop `*_header` sheets."""
    if data[:2] == b"PK":  # xlsx is a zip archive
        raw = xlsx_to_dict(BytesIO(data))
    else:
        raw = xls_to_dict(BytesIO(data))
    sheet_names = raw.pop("sheet_names", [])
    raw.pop("fallback_form_name", None)
    content = {k: v for k, v in raw.items() if not k.endswith("_header")}
    # KPI's pyxform kept every sheet (e.g. good_eats' "license" -> []); pyxform 4.5 drops
    # unknown ones. A lone non-"survey" sheet is read as the survey by both.
    if not (len(sheet_names) == 1 and "survey" in content):
        for name in sheet_names:
            content.setdefault(name, [])
    return content


def is_valid_node_name(name: Any) -> bool:
    """kpi/utils/sluggify.py: a name is valid if it parses as an XML tag."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ET.fromstring(f"<{name} />")  # noqa: S314 - our own one-tag string
    except ET.ParseError:
        return False
    return True


def _is_group_end(row: Row) -> bool:
    row_type = row["type"]  # KeyError on a typeless named row, as kpi/utils/autoname.py
    return isinstance(row_type, str) and row_type.startswith(("end ", "end_"))


def ensure_valid_node_names(content: Content) -> None:
    """ImportTask._ensure_valid_node_names: names must be XML-valid and unique (any depth)."""
    names: set[str] = set()
    for row in content.get("survey", []):
        name = row.get("name")
        if not name or _is_group_end(row):
            continue
        if not is_valid_node_name(name):
            raise ValueError(f"Invalid node name: {name}")
        if name in names:
            raise DuplicateNameException(f"Duplicate node name: {name}")
        names.add(name)


def _special_columns(content: Content) -> tuple[dict[str, dict[str, Any]], list[Any], list[str]]:
    """formpack expand_content._get_special_survey_cols: which columns carry a language."""
    known = list(content.get("translated") or [])
    known = [f"media::{c}" if c in MEDIA_COLUMN_NAMES else c for c in known]
    uniq: dict[str, None] = {}
    for sheet in ("survey", "choices"):
        for row in content.get(sheet, []):
            uniq.update(dict.fromkeys(k for k in row if k not in known))
    media = "|".join(re.escape(m) for m in MEDIA_COLUMN_NAMES)
    special: dict[str, dict[str, Any]] = {}
    for col in uniq:
        if col in ("label", "hint"):
            special[col] = {"column": col, "translation": None}
        if (":" not in col and col not in MEDIA_COLUMN_NAMES) or col.startswith(("bind:", "body:")):
            continue
        if m := re.match(rf"^(media\s*::?\s*)?({media})\s*::?\s*([^:]+)$", col):
            special[col] = {"column": f"media::{m.group(2)}", "translation": m.group(3)}
        elif m := re.match(rf"^(media\s*::?\s*)?({media})$", col):
            special[col] = {"column": f"media::{m.group(2)}", "translation": None}
        elif m := re.match(r"^([^:]+)\s*::?\s*([^:]+)$", col):
            special[col] = {"column": m.group(1), "translation": m.group(2)}
            if m.group(1) in uniq:
                special[m.group(1)] = {"column": m.group(1), "translation": None}
    translations = list(content.get("translations", []))
    translated = set(known)
    for details in special.values():
        translated.add(details["column"])
        if details["translation"] not in translations:
            translations.append(details["translation"])
    return special, translations, sorted(translated)


def _expand_translatable(row: Row, col: str, details: dict[str, Any], translations: list) -> None:
    target = details["column"]
    if target not in row:
        row[target] = [None] * len(translations)
    elif not isinstance(row[target], list):
        old = row[target]
        row[target] = [None] * len(translations)
        row[target][translations.index(None)] = old
    if col != target:
        row[target][translations.index(details["translation"])] = row.pop(col)


def _expand_type(type_str: str) -> Row:
    """formpack expand_content._expand_type_to_dict: 'select one x or_other' -> parts."""
    out: Row = {}
    if m := re.search(r"\s+(or.other)$", type_str):
        type_str = type_str.replace(m.group(1), "").strip()
        out["_or_other"] = True
    if re.search("select_(one|multiple)(_or_other)", type_str):
        type_str = type_str.replace("_or_other", "")
        out["_or_other"] = True
    if type_str in ("select_one", "select_multiple"):
        out["type"] = type_str
        return out
    for alias in _SELECT_KEYS:
        if m := re.match(rf"^({re.escape(alias)})\s+(\S+)$", type_str):
            matched = _SELECT_ALIASES[alias]
            out["type"] = matched
            out["file" if "from_file" in matched else "select_from_list_name"] = m.group(2)
            return out
    return {"type": type_str}


def _dealias_type(type_str: str) -> str:
    """formpack replace_aliases.dealias_type(strict=True)."""
    if type_str in _TYPE_ALIASES:
        return _TYPE_ALIASES[type_str]
    if type_str in _KPI_ALLOWED_TYPES:
        return type_str.replace(" ", "_")
    for alias in _SELECT_KEYS:
        if type_str.startswith(alias):
            return type_str.replace(alias, _SELECT_ALIASES[alias])
    if type_str in _KNOWN_TYPES:
        return type_str
    raise ValueError(f"unknown type {[type_str]}")


def expand_content(content: Content) -> None:
    """formpack expand_content + replace_aliases (kpi/utils/standardize_content.py)."""
    content.setdefault("settings", {})
    content.setdefault("survey", [])
    special, translations, translated = _special_columns(content)
    if translations:
        content["translations"] = translations
        content["translated"] = translated
    survey = content["survey"]
    metas = []
    for row in survey:
        if "name" in row and row["name"] is None:
            del row["name"]
        if isinstance(row.get("type"), str):
            if row["type"] in META_TYPES:
                metas.append(row)
            row.update(_expand_type(row["type"]))
        if tags := row.pop("hxl", None):  # TAG_COLUMNS_AND_SEPARATORS
            row["tags"] = [f"hxl:{t}" for t in re.findall(r"([\#\+][a-zA-Z]\w*)", str(tags))]
        for col, details in special.items():
            if col in row:
                _expand_translatable(row, col, details, translations)
        for key in [k for k, v in row.items() if v == ""]:
            del row[key]
    for row in reversed(metas):  # "prepend meta questions to the beginning of the survey"
        survey.remove(row)
        survey.insert(0, row)
    for row in content.get("choices", []):
        for col, details in special.items():
            if col in row:
                _expand_translatable(row, col, details, translations)
    if isinstance(content["settings"], list):
        content["settings"] = content["settings"][0] if content["settings"] else {}
    content["schema"] = SCHEMA_VERSION
    for row in survey:
        if row.get("type"):
            row["type"] = _dealias_type(row["type"])
        if "required" in row and row["required"] in _YES_NO:
            row["required"] = _YES_NO[row["required"]]
        for alias, column in _SURVEY_COLUMN_ALIASES.items():
            if alias in row:
                row[column] = row.pop(alias)
    for row in content.get("choices", []):
        if "list name" in row:
            row["list_name"] = row.pop("list name")
        if "value" in row:
            row["name"] = row.pop("value")
    content["settings"] = {
        _SETTINGS_ALIASES.get(k, k): v for k, v in (content["settings"] or {}).items()
    }


def _default_translation_first(content: Content) -> None:
    """FormpackXLSFormUtilsMixin._make_default_translation_first."""
    name = content["settings"].get("default_language")
    translations = content.get("translations", [])
    if name is None:
        return
    if name not in translations:
        if translations in ([], [None]):
            return
        valid = "`, `".join(t for t in translations if t is not None)
        raise ValueError(
            f"`{name}` is specified as the default language, but only these "
            f"translations are present in the form: `{valid}`"
        )
    index = translations.index(name)
    if index == 0:
        return
    for sheet in ("survey", "choices"):
        for row in content.get(sheet, []):
            for col in content.get("translated", []):
                if isinstance(row.get(col), list):
                    row[col].insert(0, row[col].pop(index))
    translations.insert(0, translations.pop(index))


def sluggify_label(label: str, other_names: list[str]) -> str:
    """A simplified kpi/utils/sluggify.py sluggify_label (only used for unnamed rows)."""
    name = re.sub(r"\W+", "_", label.strip()).strip("_")[:40]
    if not name or not re.match(r"^[A-Za-z_]", name):
        name = f"_{name}"
    base, n = name, 0
    while name in other_names:
        n += 1
        name = f"{base}_{n:03d}"
    return name


def _autoname(content: Content) -> None:
    """kpi/utils/autoname.py with HandleDuplicatesOptions.IGNORE, plus autovalue_choices."""
    taken: list[str] = []
    rows = [r for r in content["survey"] if not _is_group_end(r)]
    for row in rows:
        if row.get("name", "") != "":
            row["$autoname"] = row["name"]
            taken.append(row["name"])
    for row in rows:
        if row.get("name", "") != "":
            continue
        label = row.get("label")
        if isinstance(label, list):
            label = next((item for item in label if item), None)
        slug = sluggify_label(label, taken) if label else ""
        if slug in ("", "_"):
            slug = sluggify_label(f"{row['type']}_{row.get('$kuid', '')}", taken)
        row["$autoname"] = slug
        taken.append(slug)
    previous: dict[str, list[str]] = {}
    for choice in content.get("choices", []):
        list_name = choice.get("list_name")
        if list_name in ("", None):
            continue
        if choice.get("name"):
            choice["$autovalue"] = choice["name"]
        else:
            label = choice.get("label")
            if isinstance(label, list):
                label = next((item for item in label if item), "")
            choice["$autovalue"] = sluggify_label(str(label), previous.get(list_name, []))
        previous.setdefault(list_name, []).append(choice["$autovalue"])


def _insert_xpaths(content: Content) -> None:
    """kpi/utils/absolute_paths.py insert_full_paths_in_place."""
    hierarchy: list[str] = []
    for row in content["survey"]:
        if row.get("type") in _ENDERS:
            if hierarchy:
                hierarchy.pop()
            continue
        name = row.get("name", row.get("$autoname"))
        if name is not None:
            row["$xpath"] = "/".join([*hierarchy, name])
            if row.get("type") in _BEGINNERS:
                hierarchy.append(name)


def adjust_content(content: Content, asset_type: str, filename: str | None) -> str | None:
    """Asset.adjust_content_on_save. Changes `content` in place, returns a new name or None."""
    settings = content.get("settings", {})
    if isinstance(settings, list):
        flat: dict[str, Any] = {}
        for item in settings:
            if isinstance(item, dict):
                flat.update(item)
        content["settings"] = flat
    if content.get("schema") != SCHEMA_VERSION:
        expand_content(content)
    _default_translation_first(content)
    # _strip_empty_rows: survey rows need a type, choices a list_name
    content["survey"] = [r for r in content.get("survey", []) if "type" in r]
    if "choices" in content:
        content["choices"] = [r for r in content["choices"] if "list_name" in r]
    for row in content["survey"] + content.get("choices", []):
        row.setdefault("$kuid", make_kuid())
    _autoname(content)
    _insert_xpaths(content)
    for row in content["survey"]:
        row.pop("$prev", None)
        for key in ("appearance", "relevant", "bind"):
            if key in row and row[key] in ("", None):
                del row[key]
    survey = content["survey"]
    for index in range(len(survey) - 1, 0, -1):  # _remove_version keeps row 0, as KPI
        if _FUZZY_VERSION.match(str(survey[index].get("name", ""))):
            del survey[index]
    settings = content["settings"]
    title = settings.pop("form_title", None)
    if filename:
        if not settings.get("id_string"):
            settings["id_string"] = sluggify_label(filename, [])
        if not title:
            title = filename
    if asset_type not in ("survey", "template"):
        content["settings"] = {}
    if title is not None:
        return re.sub(r"[\n\t]+", "", str(title))
    return None
