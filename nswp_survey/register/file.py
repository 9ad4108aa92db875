"""Read and check a member register file (CSV or XLSX): every row valid, or a RegisterError.

The file has one header row (names are case-insensitive) and one member per row:

    member_code, region, country, membership_type, join_date, preferred_language, active
    optional: regional_network, left_date, org_name, contact   (org_name, contact: sensitive)

Rules:
- A .csv is UTF-8 (with or without BOM), separated by commas, semicolons or tabs: the header
  line decides. A .xlsx is read from its first sheet.
- Row numbers are the rows a spreadsheet shows: the header is row 1. Blank rows are skipped.
- A value in a column without a header is a problem, as an unknown column is: no cell of the
  file is dropped without a word.
- Every row is checked first and every problem reported (RegisterError, exit code 2).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from nswp_survey.errors import RegisterError
from nswp_survey.register.codes import (
    ISO3166_ALPHA3,
    LANGUAGES,
    MEMBER_CODE,
    MEMBERSHIP_TYPES,
    REGIONAL_NETWORKS,
    REGIONS,
)

REQUIRED_COLUMNS = (
    "member_code",
    "region",
    "country",
    "membership_type",
    "join_date",
    "preferred_language",
    "active",
)
OPTIONAL_COLUMNS = ("regional_network", "left_date", "org_name", "contact")
SENSITIVE_COLUMNS = ("org_name", "contact")
_TRUE, _FALSE = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
NOT_A_WORKBOOK = (
    "it is not an Excel workbook (.xlsx); open it in Excel or LibreOffice and save it as "
    "Excel Workbook (.xlsx) or as CSV UTF-8"
)
NOT_UTF8 = (
    "line {line} is not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8 "
    '(in Excel: Save As, "CSV UTF-8")'
)


@dataclass(frozen=True)
class RegisterEntry:
    """One valid row of a register file."""

    row: int
    code: str
    region: str
    country: str
    membership_type: str
    join_date: date
    preferred_language: str
    active: bool
    regional_network: str | None = None
    left_date: date | None = None
    org_name: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class RegisterFile:
    """The valid rows of a register file and the columns it has."""

    entries: tuple[RegisterEntry, ...]
    columns: frozenset[str]


def rejected(message: str, problems: Sequence[str]) -> RegisterError:
    """The error for a file the user must fix: exit code 2, one problem per line."""
    return RegisterError(message, list(problems))


def read_table(path: Path) -> list[list[Any]]:
    """The cells of a .csv (UTF-8, with or without BOM) or of the first sheet of a .xlsx."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise rejected(f"the register must be a .csv or .xlsx file (got {path.name})", [])
    try:
        return _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    except UnicodeDecodeError as err:
        raise _unreadable(path, _not_utf8(err)) from err
    except (OSError, csv.Error) as err:
        raise _unreadable(path, err) from err


def _unreadable(path: Path, reason: object) -> RegisterError:
    return rejected(f"cannot read the register {path.name}: {reason}", [])


def _read_csv(path: Path) -> list[list[str]]:
    # Decoded whole, not line by line, so that an error's offset counts from the file's start.
    text = path.read_bytes().removeprefix(codecs.BOM_UTF8).decode("utf-8")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    return [list(row) for row in rows]


def _not_utf8(err: UnicodeDecodeError) -> str:
    """Where the first byte that is not UTF-8 is, as the line a text editor shows."""
    before = bytes(err.object[: err.start]).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return NOT_UTF8.format(line=before.count(b"\n") + 1, byte=err.object[err.start])


def _delimiter(text: str) -> str:
    """The separator of the header line: a comma, else a semicolon, else a tab."""
    # Accepted, not refused: where the list separator is ";" (much of Europe, Latin America)
    # Excel writes ";" even for "CSV UTF-8", and only a system setting changes that. Safe: no
    # column name holds any of the three, and a header without a comma was always refused.
    header = text.splitlines()[0] if text else ""
    return next((sep for sep in (",", ";", "\t") if sep in header), ",")


def _read_xlsx(path: Path) -> list[list[Any]]:
    with path.open("rb") as handle:  # an OSError here is the file's own: missing, forbidden
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
            try:
                return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, SyntaxError) as err:
            # BadZipFile: not a ZIP (an .xls renamed); KeyError "[Content_Types].xml", OSError "no
            # valid workbook part": a ZIP but no workbook (empty, .docx); SyntaxError: broken XML.
            raise _unreadable(path, NOT_A_WORKBOOK) from err


def parse_register(path: Path) -> RegisterFile:
    """Check every row of the file; raise RegisterError (exit 2) listing all problems by row."""
    table = read_table(path)
    if not table:
        raise rejected(f"{path.name} is empty; nothing imported", [])
    header = [_cell_text(cell).lower().replace(" ", "_") for cell in table[0]]
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    problems = [f"column {name} is missing" for name in REQUIRED_COLUMNS if name not in header]
    problems += [f'unknown column "{name}"' for name in header if name and name not in known]
    problems += [
        f"column {n} appears twice" for n in sorted({h for h in header if h}) if header.count(n) > 1
    ]
    if problems:
        problems.append("expected columns: " + ", ".join(known))
        raise rejected(f"{path.name}: the header row is wrong; nothing imported", problems)
    entries: list[RegisterEntry] = []
    seen: dict[str, int] = {}
    bad_rows: set[int] = set()
    for number, cells in enumerate(table[1:], start=2):
        entry, row_problems = _check_row(number, header, cells, seen)
        if row_problems:
            bad_rows.add(number)
            problems += [f"row {number}: {problem}" for problem in row_problems]
        elif entry is not None:
            entries.append(entry)
    if problems:
        raise rejected(f"{len(bad_rows)} row(s) rejected; nothing imported", problems)
    if not entries:
        raise rejected(f"{path.name} has no member rows; nothing imported", [])
    return RegisterFile(tuple(entries), frozenset(h for h in header if h))


def _check_row(
    number: int, header: list[str], cells: list[Any], seen: dict[str, int]
) -> tuple[RegisterEntry | None, list[str]]:
    """One data row: its entry, or its problems; a blank row has neither."""
    record = {name: cells[i] if i < len(cells) else None for i, name in enumerate(header) if name}
    # A value with no header would be dropped without a word: refuse it as an unknown column.
    stray = [
        f"a value in column {index + 1} ({get_column_letter(index + 1)}), which has no header"
        for index, cell in enumerate(cells)
        if _cell_text(cell) and (index >= len(header) or not header[index])
    ]
    if all(_cell_text(value) == "" for value in record.values()):
        return None, stray
    entry, problems = _parse_row(number, record)
    code = _cell_text(record["member_code"]).upper()
    if code and code in seen:
        problems.append(f"member code {code} is already on row {seen[code]}")
    seen.setdefault(code, number)
    return entry, problems + stray


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _parse_row(number: int, record: dict[str, Any]) -> tuple[RegisterEntry | None, list[str]]:
    text = {name: _cell_text(value) for name, value in record.items()}
    problems: list[str] = []

    def choice(name: str, allowed: Sequence[str], value: str) -> str:
        if not value:
            problems.append(f"{name} is empty")
        elif value not in allowed:
            problems.append(f'{name} "{value}" is not one of {", ".join(allowed)}')
        return value

    def day(name: str, required: bool) -> date | None:
        raw = record.get(name)
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        if not text.get(name):
            if required:
                problems.append(f"{name} is empty")
            return None
        try:
            return date.fromisoformat(text[name])
        except ValueError:
            problems.append(f'{name} "{text[name]}" is not a date (YYYY-MM-DD)')
            return None

    code = text["member_code"].upper()
    if not MEMBER_CODE.match(code):
        problems.append(f'member code "{text["member_code"]}" is not like AB-1234')
    region = choice("region", REGIONS, text["region"].lower())
    country = text["country"].upper()
    if country not in ISO3166_ALPHA3:
        problems.append(f'country "{text["country"]}" is not an ISO 3166 alpha-3 code')
    membership = choice("membership_type", MEMBERSHIP_TYPES, text["membership_type"].lower())
    language = choice("preferred_language", LANGUAGES, text["preferred_language"].lower())
    networks = text.get("regional_network", "").lower().replace(",", " ").split()
    for network in networks:
        if network not in REGIONAL_NETWORKS:
            problems.append(
                f'regional_network "{network}" is not one of {", ".join(REGIONAL_NETWORKS)}'
            )
    active_text = text["active"].lower()
    if active_text not in _TRUE | _FALSE:
        problems.append(f'active "{text["active"]}" is not yes or no')
    active = active_text in _TRUE
    join_date, left_date = day("join_date", True), day("left_date", False)
    if left_date and active:
        problems.append("an active member has a left_date: clear it or set active to no")
    if left_date and join_date and left_date < join_date:
        problems.append(f"left_date {left_date} is before join_date {join_date}")
    if problems or join_date is None:
        return None, problems
    entry = RegisterEntry(
        row=number,
        code=code,
        region=region,
        country=country,
        membership_type=membership,
        join_date=join_date,
        preferred_language=language,
        active=active,
        regional_network=" ".join(networks) or None,
        left_date=left_date,
        org_name=text.get("org_name") or None,
        contact=text.get("contact") or None,
    )
    return entry, problems
