"""Read an XLSForm workbook (.xlsx or .xls) into plain rows that remember their Excel address.

Every value is text, stripped; blank cells are "". Row numbers are the ones Excel shows (the
header is row 1), so problems found in them can point at a cell a person can click on.

Example:
    book = load_workbook(Path("forms/demo_pulse.xlsx"))
    survey = book.sheet("survey")
    for row in survey.rows:
        print(row.number, row.get("type"), row.get("name"))
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import xlrd
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from nswp_survey.errors import FormValidationError

# Column names pyxform accepts for the same thing (pyxform/aliases.py); we read them as one.
HEADER_ALIASES = {
    "list name": "list_name",
    "calculate": "calculation",
    "relevance": "relevant",
    "read_only": "readonly",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "caption": "label",
    "constraining_message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "requiredmsg": "required_message",
    "jr:requiredmsg": "required_message",
}


def header_key(raw: str) -> str:
    """Normalise a header: `Label :: French (fr)` -> `label::French (fr)`; aliases resolved."""
    parts = [part.strip() for part in raw.split("::")]
    kind = parts[0].lower()
    parts[0] = HEADER_ALIASES.get(kind, kind)
    return "::".join(parts)


def cell_text(value: Any) -> str:
    """A cell value as pyxform would read it: text, whole numbers without '.0', blanks as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class Row:
    """One non-blank data row: its Excel row number and its values by header key."""

    number: int
    values: Mapping[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its title as written, header keys in column order, and its data rows."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...]

    def letter(self, key: str) -> str | None:
        """The column letter of header `key` ('D'), or None when the sheet has no such column."""
        try:
            return get_column_letter(self.headers.index(key) + 1)
        except ValueError:
            return None

    def has(self, key: str) -> bool:
        return key in self.headers


@dataclass(frozen=True)
class Workbook:
    """The sheets of a workbook, found by lower-case name as pyxform does."""

    path: Path
    sheets: Mapping[str, Sheet]

    def sheet(self, name: str) -> Sheet | None:
        return self.sheets.get(name)


def _make_sheet(title: str, grid: list[list[Any]]) -> Sheet:
    """Row 1 holds the headers (as pyxform reads it); blank rows are skipped, numbers kept."""
    if not grid:
        return Sheet(title=title, headers=(), rows=())
    headers = tuple(header_key(cell_text(value)) for value in grid[0])
    rows = []
    for index, raw in enumerate(grid[1:], start=2):
        values = {
            key: text
            for key, value in zip(headers, raw, strict=False)
            if key and (text := cell_text(value))
        }
        if values:
            rows.append(Row(number=index, values=values))
    return Sheet(title=title, headers=headers, rows=tuple(rows))


def _read_xlsx(path: Path) -> dict[str, Sheet]:
    # Not read_only: that mode trusts the file's recorded dimensions, which some tools get wrong.
    book = openpyxl.load_workbook(path, data_only=True)
    return {
        ws.title.strip().lower(): _make_sheet(
            ws.title, [list(row) for row in ws.iter_rows(min_row=1, values_only=True)]
        )
        for ws in book.worksheets
    }


def _read_xls(path: Path) -> dict[str, Sheet]:
    book = xlrd.open_workbook(path)
    return {
        ws.name.strip().lower(): _make_sheet(
            ws.name, [ws.row_values(index) for index in range(ws.nrows)]
        )
        for ws in book.sheets()
    }


def load_workbook(path: Path) -> Workbook:
    """Read every sheet of an .xlsx or .xls XLSForm; raise FormValidationError if unreadable."""
    suffix = path.suffix.lower()
    if suffix not in {".xlsx", ".xlsm", ".xls"}:
        raise FormValidationError(f"{path}: not an XLSForm workbook; save it as .xlsx")
    try:
        sheets = _read_xls(path) if suffix == ".xls" else _read_xlsx(path)
    except FileNotFoundError as err:
        raise FormValidationError(f"{path}: no such file") from err
    except (
        OSError,
        zipfile.BadZipFile,
        InvalidFileException,
        xlrd.XLRDError,
        KeyError,
        ValueError,
    ) as err:
        raise FormValidationError(
            f"{path}: cannot read the workbook ({err}); open and re-save it in Excel or LibreOffice"
        ) from err
    return Workbook(path=path, sheets=sheets)
