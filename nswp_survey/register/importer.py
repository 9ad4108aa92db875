"""Import the member register from a CSV or XLSX file: all rows valid, or nothing written.

The file has one header row (names are case-insensitive) and one member per row:

    member_code, region, country, membership_type, join_date, preferred_language, active
    optional: regional_network, left_date, org_name, contact   (org_name, contact: sensitive)

Rules:
- A .csv is UTF-8 (with or without BOM), separated by commas, semicolons or tabs: the header
  line decides. A .xlsx is read from its first sheet.
- Row numbers are the rows a spreadsheet shows: the header is row 1. Blank rows are skipped.
- A value in a column without a header is a problem, as an unknown column is: no cell of the
  file is dropped without a word.
- Every row is checked first and every problem reported; one bad row and nothing is written.
- The whole import is one transaction; `dry_run` checks and counts but writes nothing.
- A member in the register and missing from the file has left: active = no, left_date = the
  import date (`as_of`), event "left".
- `active = no` in the file: left_date = the file's left_date, else the one already recorded,
  else the import date.
- A member who had left and is active in the file again has rejoined: join_date = the file's
  join_date when it is after the date they left, else the import date; left_date is cleared;
  event "joined". Earlier periods stay only in the history (`member_event`).
- Other column changes are one event "changed" naming the columns, never the values.
- An optional column absent from the file keeps what is stored (a file without org_name
  does not erase names); present but empty clears it.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import Connection, Engine

from nswp_survey.errors import RegisterError
from nswp_survey.register.codes import (
    ISO3166_ALPHA3,
    LANGUAGES,
    MEMBER_CODE,
    MEMBERSHIP_TYPES,
    REGIONAL_NETWORKS,
    REGIONS,
)
from nswp_survey.store import (
    add_member_event,
    insert_member,
    load_members,
    transaction,
    update_member,
    utcnow,
)
from nswp_survey.store.models import Member

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
_KEPT_WHEN_ABSENT = ("regional_network", "org_name", "contact")
_TRUE, _FALSE = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
SAMPLE_REGISTER = Path(__file__).resolve().parents[2] / "config" / "sample_register.csv"
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


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with dry_run, would do), counted by member."""

    rows: int
    added: int = 0
    rejoined: int = 0
    left: int = 0
    changed: int = 0
    unchanged: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} {self.rows} member rows: {self.added} added, {self.rejoined} rejoined, "
            f"{self.left} left, {self.changed} changed, {self.unchanged} unchanged"
        )


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


def import_register(
    engine: Engine, path: str | Path, *, as_of: date | None = None, dry_run: bool = False
) -> ImportResult:
    """Check the file, then update the register from it in one transaction.

    `as_of` is the date the file describes (default: today, UTC): members missing from it
    left on that day. Raises RegisterError (exit code 2, `problems` by row) for a bad file.
    """
    register = parse_register(Path(path))
    return apply_register(engine, register, as_of=as_of or utcnow().date(), dry_run=dry_run)


def load_sample_register(engine: Engine, *, as_of: date | None = None) -> ImportResult:
    """Import the fictitious register shipped for the demo (`config/sample_register.csv`)."""
    return import_register(engine, SAMPLE_REGISTER, as_of=as_of)


def apply_register(
    engine: Engine, register: RegisterFile, *, as_of: date, dry_run: bool = False
) -> ImportResult:
    """Write a checked register file: add, update, mark left and rejoined, record history."""
    counts: Counter[str] = Counter()
    with transaction(engine) as conn:
        current = {member.code: member for member in load_members(conn)}
        for entry in register.entries:
            old = current.get(entry.code)
            counts[_apply_entry(conn, old, entry, register.columns, as_of, dry_run)] += 1
        listed = {entry.code for entry in register.entries}
        for code, member in current.items():
            if code not in listed and member.active:
                counts["left"] += 1
                if not dry_run:
                    update_member(conn, code, {"active": False, "left_date": as_of})
                    add_member_event(conn, code, "left", as_of, "not in the register file")
    return ImportResult(rows=len(register.entries), dry_run=dry_run, **counts)


def _apply_entry(
    conn: Connection,
    old: Member | None,
    entry: RegisterEntry,
    columns: frozenset[str],
    as_of: date,
    dry_run: bool,
) -> str:
    """Write one row; return how it counts (added, rejoined, left, changed, unchanged)."""
    names = ["region", "country", "membership_type", "join_date", "preferred_language", "active"]
    names += [name for name in _KEPT_WHEN_ABSENT if name in columns or old is None]
    values: dict[str, Any] = {name: getattr(entry, name) for name in names}
    events: list[tuple[str, date, str | None]] = []
    explained: set[str] = set()
    if old is None:
        kind = "added"
        events.append(("joined", entry.join_date, None))
        values["left_date"] = None if entry.active else entry.left_date or as_of
        if not entry.active:
            events.append(("left", values["left_date"], "inactive in the register file"))
    elif entry.active and not old.active:
        kind, explained = "rejoined", {"active", "join_date", "left_date"}
        after_leaving = old.left_date is None or entry.join_date > old.left_date
        values["join_date"] = entry.join_date if after_leaving else as_of
        values["left_date"] = None
        events.append(("joined", values["join_date"], "active again in the register file"))
    else:
        kind = "unchanged"
        values["left_date"] = None if entry.active else entry.left_date or old.left_date or as_of
        if old.active and not entry.active:
            kind, explained = "left", {"active", "left_date"}
            events.append(("left", values["left_date"], "inactive in the register file"))
    if old is not None:
        changed = [name for name, value in values.items() if getattr(old, name) != value]
        others = [name for name in changed if name not in explained]
        if others:
            events.append(("changed", as_of, "changed: " + ", ".join(others)))
            kind = "changed" if kind == "unchanged" else kind
    if dry_run or kind == "unchanged":
        return kind
    if old is None:
        insert_member(conn, {"code": entry.code, **values})
    else:
        update_member(conn, entry.code, values)
    for event, event_date, details in events:
        add_member_event(conn, entry.code, event, event_date, details)
    return kind
