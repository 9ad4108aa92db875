"""Derived asset fields: `summary`, `report_styles`, content hash, JSONB key order."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .content import GEO_TYPES, META_TYPES

_EXCLUDED_TYPES = ("note", "start", "end", "begin_group", "end_group")
_LOCK_COLUMN = "kobo--locking-profile"  # formpack/constants.py KOBO_LOCK_COLUMN
_LOCK_ALL = "kobo--lock_all"


def jsonb_order(value: Any) -> Any:
    """Reorder dict keys as PostgreSQL JSONB stores them (shorter keys first, then bytes).

    KPI keeps `content`, `summary` and `report_styles` in JSONB columns, so what it
    serves back has this order (e.g. rows start "name", "type", "$kuid").
    """
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {k: jsonb_order(value[k]) for k in keys}
    if isinstance(value, list):
        return [jsonb_order(v) for v in value]
    return value


def content_hash(content: dict[str, Any]) -> str:
    """kpi/utils/hash.py calculate_content_hash: sha1 of the key-sorted JSON dump."""
    dumped = json.dumps(content, sort_keys=True)
    return hashlib.sha1(dumped.encode()).hexdigest()  # noqa: S324 - KPI's hash, not security


def _name_quality(row: dict[str, Any]) -> str:
    if "name" in row and re.match(r"^[_\d]+$", str(row["name"])):
        return "bad"
    return "good" if "name" in row else "ok"


def summarize(content: dict[str, Any]) -> dict[str, Any]:
    """kpi/utils/asset_content_analyzer.py AssetContentAnalyzer.get_summary."""
    survey = content.get("survey")
    if not survey:
        return {}
    translations = content.get("translations", [])
    settings = content.get("settings") or {}
    row_count, geo, labels = 0, False, []
    keys: dict[str, None] = {}
    naming_conflicts: list[str] = []
    locks: list[Any] = []
    by_quality: dict[str, list[dict[str, Any]]] = {"good": [], "bad": [], "ok": []}
    for row in survey:
        if not isinstance(row, dict):
            continue
        if "$given_name" in row:
            naming_conflicts.append(row["$given_name"])
        row_type, label = row.get("type"), row.get("label")
        if row_type in GEO_TYPES:
            geo = True
        locks.append(row.get(_LOCK_COLUMN, False))
        if not row_type or isinstance(row_type, dict) or row_type.startswith("end"):
            continue
        if row_type in META_TYPES or row_type in _EXCLUDED_TYPES:
            continue
        row_count += 1
        by_quality[_name_quality(row)].append({**row, "index": row_count})
        if isinstance(label, list) and label:
            labels.append(label[0])
        elif isinstance(label, str) and label:
            labels.append(label)
        keys.update(dict.fromkeys(row))
    columns = [k for k in keys if not k.startswith("$")]
    lock_all = bool(isinstance(settings, dict) and settings.get(_LOCK_ALL, False))
    lock_any = bool(
        lock_all
        or (_LOCK_COLUMN in columns and any(locks))
        or (isinstance(settings, dict) and settings.get(_LOCK_COLUMN, False))
    )
    quality: dict[str, Any] = {"firsts": {}}
    total = 0
    for qual in ("bad", "ok"):
        total += len(by_quality[qual])
        if by_quality[qual]:
            first = by_quality[qual][0]
            quality["firsts"][qual] = {
                "name": first.get("$autoname"),
                "index": first["index"],
                "label": first.get("label"),
            }
        quality[qual] = len(by_quality[qual])
    quality["good"] = len(by_quality["good"])
    quality["total"] = total + quality["good"]
    summary: dict[str, Any] = {
        "row_count": row_count,
        # standardize_json_field('summary', 'languages', list) turns [None] into []
        "languages": [] if translations in ([], [None]) else list(translations),
        "default_translation": translations[0] if translations else False,
        "geo": geo,
        "lock_all": lock_all,
        "lock_any": lock_any,
        "labels": labels[:5],
        "columns": columns,
        "name_quality": quality,
    }
    if naming_conflicts:
        summary["naming_conflicts"] = naming_conflicts
    return summary


def report_styles(content: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Asset._populate_report_styles: one entry per survey row, keyed by name or $kuid."""
    specified = dict(previous.get("specified", {}))
    kuid_names = dict(previous.get("kuid_names", {}))
    for row in content.get("survey", []):
        identifier = row.get("name", row.get("$kuid"))
        if identifier is None:
            continue
        kuid_names[identifier] = row.get("$kuid")
        specified.setdefault(identifier, {})
    return {
        "default": previous.get("default", {}),
        "specified": specified,
        "kuid_names": kuid_names,
    }
