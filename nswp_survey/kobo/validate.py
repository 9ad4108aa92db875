"""Checks on what the Kobo server sends, made before any of it is used.

A broken or hostile server must not reach the database, the file system or a recursive
walk with values they cannot take: an `_id` above 64 bits, a record nested 10,000 levels
deep, a file name with a NUL. Each check raises `KoboResponseError` with one line saying
what is wrong; `describe_record` says which record it was.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any

from nswp_survey.errors import KoboResponseError

MAX_ID = 2**63 - 1  # SQLite's INTEGER and PostgreSQL's BIGINT, where `_id` is stored
# Repeats within groups within repeats: real forms stay far below this, and it keeps every
# recursive walk of a record (flattening, JSON encoding) far from Python's recursion limit.
MAX_DEPTH = 64
MAX_NAME_CHARS = 4096  # an attachment name or uid (PATH_MAX); longer ones are cut locally

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlevel = 2


def shown(value: Any) -> str:
    """A short, one-line repr of a value from the server, for an error message."""
    return _SHORT.repr(value)


def parse_id(value: Any, what: str = "_id") -> int:
    """A Kobo integer id (a JSON integer, or a string of ASCII digits) in 1..MAX_ID."""
    if value is None:
        raise KoboResponseError(f"no usable {what}")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise KoboResponseError(f"bad {what} {shown(value)}: not an integer")
    if not 1 <= value <= MAX_ID:
        raise KoboResponseError(
            f"bad {what} {shown(value)}: outside 1..{MAX_ID} (Kobo ids are positive 64-bit "
            "integers)"
        )
    return value


def check_depth(value: Any, what: str, limit: int = MAX_DEPTH) -> None:
    """Raise if `value` (decoded JSON) nests lists and objects more than `limit` deep."""
    level = [value] if value.__class__ in (dict, list) else []
    depth = 0
    while level:  # level by level, exact class checks: ~5 ms for a page of 1000 records
        depth += 1
        if depth > limit:
            raise KoboResponseError(f"{what} nested more than {limit} levels deep")
        below: list[Any] = []
        for item in level:
            for child in item.values() if item.__class__ is dict else item:
                if child.__class__ is dict or child.__class__ is list:
                    below.append(child)
        level = below


def check_name(value: Any, what: str) -> str:
    """An attachment name or uid as text: no NUL, at most MAX_NAME_CHARS characters."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise KoboResponseError(f"{what} {shown(text)} contains a NUL character")
    if len(text) > MAX_NAME_CHARS:
        raise KoboResponseError(
            f"{what} is {len(text)} characters long (at most {MAX_NAME_CHARS}): {shown(text)}"
        )
    return text


def describe_record(raw: Any, position: int) -> str:
    """'submission _id 12', or 'record 4 on the page' when it has no usable `_id`."""
    if isinstance(raw, Mapping):
        try:
            return f"submission _id {parse_id(raw.get('_id'))}"
        except KoboResponseError:
            pass
    return f"record {position} on the page"
