"""Spreadsheet cells from untrusted text: nothing a member typed runs as a formula.

Members' text (a law change's summary and public source, a member code, a choice the form
does not list, which shows as its own label) and the register's organisation names and
contacts reach the XLSX and CSV files the secretariat sends out.
A spreadsheet reads text that starts with `=`, `+`, `-` or `@` as a formula, and a formula
can call out to the web (`=HYPERLINK(...)`, `=WEBSERVICE(...)`) or start a program through
DDE (`=cmd|' /C calc'!A0`). So every CSV and XLSX writer of the tool writes its cells
through this module, which follows the OWASP CSV-injection rule
(https://owasp.org/www-community/attacks/CSV_Injection): text starting with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'`, which spreadsheets show as text and
never evaluate. In XLSX, text is also typed as a string cell explicitly, so it is never
stored as a formula (or as an error value such as `#N/A`). Numbers are left as numbers: a
negative number is a value, not a formula. JSON and terminal tables are not spreadsheets
and do not come here; neither does the HTML report, which shows the text as typed.

Example:
    writer = csv_writer(sys.stdout)
    writer.writerow(["=1+1", -2, None])  # prints '=1+1,-2,
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# OWASP's list. The law matrix's "±" and "−" (U+2212 MINUS SIGN) are not in it and are left
# alone: no spreadsheet starts a formula with them (at most LibreOffice reads "−5" as the
# number −5, which runs nothing), and a quote before every "−" of the matrix would only
# clutter it. Its "+" is in the list, so a cell starting with it reads "'+".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# XML 1.0, hence XLSX, cannot hold most control characters; openpyxl refuses them
REPLACEMENT = "\ufffd"

T = TypeVar("T")


def neutralise(value: T) -> T | str:
    """`value` as a spreadsheet may safely hold it: text starting with one of FORMULA_STARTS
    gets a leading `'`; anything else (numbers, negative ones too, None, "") is unchanged.

    Example:
        neutralise("=SUM(1)")  # "'=SUM(1)"
        neutralise(-2)         # -2
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


class CsvWriter:
    """`csv.writer` whose every field goes through `neutralise` (None: an empty field), with
    "\\n" line ends; a field holding a line break of any kind is quoted."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        # Before Python 3.13 the csv module quotes a field only for the characters of its
        # own line end, so with "\n" a bare "\r" stayed unquoted; a spreadsheet breaks the
        # row there and `ok\r=HYPERLINK(...)` put a formula at the start of a new row. With
        # "\r\n" both are quoted, and each row's own "\r\n" becomes "\n".
        self._row = io.StringIO()
        self._writer = csv.writer(self._row, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._row.seek(0)
        self._row.truncate()
        self._writer.writerow(["" if v is None else neutralise(v) for v in row])
        self._handle.write(self._row.getvalue().removesuffix("\r\n") + "\n")

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: TextIO) -> CsvWriter:
    """A writer of CSV rows a spreadsheet may open: UTF-8 text as given, "\\n" line ends."""
    return CsvWriter(handle)


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    """One row for `sheet.append`: each text a string cell, neutralised (control characters
    XLSX cannot hold become U+FFFD); numbers and None as they are."""
    return [_xlsx_cell(sheet, v) if isinstance(v, str) else v for v in values]


def _xlsx_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, neutralise(ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, text)))
    # openpyxl types text starting with "=" as a formula and "#N/A" & co. as errors
    cell.data_type = "s"
    return cell
