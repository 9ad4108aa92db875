"""Mongo-style `query` matching and `sort` ordering over submission records.

KPI hands `query` to MongoDB after `MongoHelper.to_safe_dict` (`kpi/utils/mongo_helper.py`):
keys outside `KEY_WHITELIST` that start with `$` or contain `.` are base64-escaped, so an
unknown operator becomes a field name no record has and matches nothing; dotted keys under
`_validation_status` stay paths into the nested object. A scalar `_id` is cast to int.
`_id` conditions are turned into SQL (see storage.py); the rest is evaluated here.
"""

from __future__ import annotations

import json
import re
from typing import Any

KEY_WHITELIST = frozenset(
    ("$or", "$and", "$in", "$nin", "$not", "$exists", "$gt", "$gte", "$lt", "$lte",
     "$regex", "$options", "$all", "$elemMatch", "$ne", "$expr", "$ifNull")
)  # fmt: skip
_NESTED_RESERVED = ("_validation_status",)  # kpi/constants.py NESTED_MONGO_RESERVED_ATTRIBUTES
_SQL_OPS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_MISSING = object()


class UnsupportedQuery(Exception):
    """Mongo would fail the query (OperationFailure): KPI answers 400 "Unsupported query"."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bracket(value: Any) -> int:
    """BSON comparison order: null < numbers < strings < objects < arrays < booleans."""
    if value is None or value is _MISSING:
        return 1
    if _is_number(value):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, dict):
        return 4
    if isinstance(value, list):
        return 5
    if isinstance(value, bool):
        return 8
    return 9


def _equal(a: Any, b: Any) -> bool:
    if a is _MISSING:
        return b is None
    if _bracket(a) != _bracket(b):
        return False
    if isinstance(a, dict):
        return list(a.items()) == list(b.items())  # Mongo compares embedded docs in order
    return a == b


def _resolve(doc: dict[str, Any], key: str) -> Any:
    if key.split(".", 1)[0] in _NESTED_RESERVED and "." in key:
        value: Any = doc
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                return _MISSING
            value = value[part]
        return value
    return doc.get(key, _MISSING)


def _candidates(value: Any) -> list[Any]:
    """A field matches if the value or, for arrays, any element matches."""
    if isinstance(value, list):
        return [value, *value]
    return [value]


def _compare(value: Any, op: str, operand: Any) -> bool:
    for candidate in _candidates(value):
        if candidate is _MISSING or _bracket(candidate) != _bracket(operand):
            continue
        if isinstance(candidate, list | dict):
            continue
        if op == "$gt" and candidate > operand:
            return True
        if op == "$gte" and candidate >= operand:
            return True
        if op == "$lt" and candidate < operand:
            return True
        if op == "$lte" and candidate <= operand:
            return True
    return False


def _regex(value: Any, pattern: Any, options: str = "") -> bool:
    flags = 0
    for letter, flag in (("i", re.I), ("m", re.M), ("s", re.S), ("x", re.X)):
        if letter in options:
            flags |= flag
    try:
        compiled = re.compile(str(pattern), flags)
    except re.error as err:
        raise UnsupportedQuery(str(err)) from err
    return any(isinstance(c, str) and compiled.search(c) for c in _candidates(value))


def _in(value: Any, operand: Any) -> bool:
    if not isinstance(operand, list):
        raise UnsupportedQuery("$in needs an array")
    return any(_equal(c, item) for c in _candidates(value) for item in operand)


def _is_operator_dict(cond: Any) -> bool:
    return isinstance(cond, dict) and any(k in KEY_WHITELIST for k in cond)


def _match_operators(value: Any, cond: dict[str, Any]) -> bool:
    for op, operand in cond.items():
        if op not in KEY_WHITELIST:
            raise UnsupportedQuery(f"unknown operator: {op}")
        if op in _SQL_OPS:
            ok = _compare(value, op, operand)
        elif op == "$in":
            ok = _in(value, operand)
        elif op == "$nin":
            ok = not _in(value, operand)
        elif op == "$ne":
            ok = not any(_equal(c, operand) for c in _candidates(value))
        elif op == "$exists":
            ok = (value is not _MISSING) == bool(operand)
        elif op == "$regex":
            ok = _regex(value, operand, str(cond.get("$options", "")))
        elif op == "$options":
            ok = True
        elif op == "$not":
            if isinstance(operand, dict):
                ok = not _match_operators(value, operand)
            else:
                ok = not _regex(value, operand)
        elif op == "$all":
            if not isinstance(operand, list):
                raise UnsupportedQuery("$all needs an array")
            ok = bool(operand) and all(
                any(_equal(c, item) for c in _candidates(value)) for item in operand
            )
        elif op == "$elemMatch":
            ok = isinstance(value, list) and any(_elem_match(e, operand) for e in value)
        else:  # $expr, $ifNull, $and/$or used as field operators
            raise UnsupportedQuery(f"unsupported operator: {op}")
        if not ok:
            return False
    return True


def _elem_match(element: Any, cond: Any) -> bool:
    if _is_operator_dict(cond):
        return _match_operators(element, cond)
    return isinstance(element, dict) and isinstance(cond, dict) and matches(element, cond)


def _match_field(value: Any, cond: Any) -> bool:
    if _is_operator_dict(cond):
        return _match_operators(value, cond)
    return any(_equal(c, cond) for c in _candidates(value))


def matches(doc: dict[str, Any], query: dict[str, Any]) -> bool:
    """True if the record satisfies the (already `_id`-normalised) query."""
    for key, cond in query.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list) or not cond:
                raise UnsupportedQuery(f"{key} must be a nonempty array")
            results = (matches(doc, sub) for sub in cond)
            if not (all(results) if key == "$and" else any(results)):
                return False
        elif key in KEY_WHITELIST:
            raise UnsupportedQuery(f"unknown top level operator: {key}")
        elif not _match_field(_resolve(doc, key), cond):
            return False
    return True


def normalise(query: Any) -> dict[str, Any]:
    """`to_safe_dict(reading=True)`: cast a scalar `_id` to int. A non-object is a 500 in KPI."""
    if not isinstance(query, dict):
        raise TypeError("query must be a JSON object")  # `query.update(...)` AttributeError
    out = dict(query)
    if "_id" in out and not isinstance(out["_id"], dict | list):
        try:
            out["_id"] = int(out["_id"])
        except (TypeError, ValueError):
            pass
    return out


def split_id_condition(query: dict[str, Any]) -> tuple[list[str], list[Any], dict[str, Any]]:
    """Move an integer `_id` condition into SQL: (where clauses, params, remaining query)."""
    cond = query.get("_id", _MISSING)
    if cond is _MISSING:
        return [], [], query
    rest = {k: v for k, v in query.items() if k != "_id"}
    ints = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
    if ints(cond):
        return ["id = ?"], [cond], rest
    if not isinstance(cond, dict) or not cond:
        return [], [], query
    clauses: list[str] = []
    params: list[Any] = []
    for op, operand in cond.items():
        if op in _SQL_OPS and ints(operand):
            clauses.append(f"id {_SQL_OPS[op]} ?")
            params.append(operand)
        elif op in ("$in", "$nin") and isinstance(operand, list) and all(map(ints, operand)):
            if operand:
                marks = ",".join("?" * len(operand))
                clauses.append(f"id {'IN' if op == '$in' else 'NOT IN'} ({marks})")
                params.extend(operand)
            elif op == "$in":
                clauses.append("0")
        elif op == "$ne" and ints(operand):
            clauses.append("id != ?")
            params.append(operand)
        else:
            return [], [], query
    return clauses, params, rest


def sql_prefilter(query: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """Necessary conditions for SQLite's JSON1, to skip parsing records that cannot match.

    Only top-level string equality / `$in` of strings; an array value is always kept for
    Python, which applies Mongo's element matching. The full query still runs in Python.
    """
    clauses: list[str] = []
    params: list[Any] = []
    for key, cond in query.items():
        if key.startswith("$") or "." in key or '"' in key or "\\" in key:
            continue
        path = f'$."{key}"'
        if isinstance(cond, dict) and set(cond) == {"$in"} and isinstance(cond["$in"], list):
            values = cond["$in"]
        elif isinstance(cond, str):
            values = [cond]
        else:
            continue
        if not values or not all(isinstance(v, str) for v in values):
            continue
        marks = ",".join("?" * len(values))
        clauses.append(f"(json_extract(doc, ?) IN ({marks}) OR json_type(doc, ?) = 'array')")
        params.extend([path, *values, path])
    return clauses, params


def sort_path(key: str) -> str | None:
    """The JSON1 path of a sort key, or None when SQLite cannot extract it faithfully."""
    if '"' in key or "\\" in key or key.startswith("$"):
        return None
    parts = key.split(".")
    if len(parts) > 1 and parts[0] not in _NESTED_RESERVED:
        return None
    return "$" + "".join(f'."{part}"' for part in parts)


def sort_stub(sub_id: int, keys: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    """A minimal record holding only the sort values (json_extract value + json_type)."""
    stub: dict[str, Any] = {"_id": sub_id}
    for index, key in enumerate(keys):
        value, json_type = values[2 * index], values[2 * index + 1]
        if json_type is None:
            continue  # missing field
        if json_type in ("object", "array"):
            value = json.loads(value)
        elif json_type in ("true", "false"):
            value = json_type == "true"
        target = stub
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return stub


def sort_records(records: list[dict[str, Any]], sort: dict[str, Any]) -> list[dict[str, Any]]:
    """Mongo multi-key sort: missing/null first ascending, BSON type order between types."""
    for key, direction in reversed(list(sort.items())):
        records.sort(
            key=lambda doc, key=key: _sort_key(_resolve(doc, key)),
            reverse=int(direction) < 0,
        )
    return records


def _sort_key(value: Any) -> tuple[int, Any]:
    bracket = _bracket(value)
    if bracket in (2, 3, 8):
        return bracket, value
    if bracket in (4, 5):
        return bracket, repr(value)
    return bracket, 0
