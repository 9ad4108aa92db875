"""cells.py: text a spreadsheet would run as a formula is quoted; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from nswp_survey.cells import csv_writer, neutralise, xlsx_row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("+", "'+"),  # the law matrix's positive change
        ("+ −", "'+ −"),
        ("−", "−"),  # U+2212 and ± start no formula
        ("±", "±"),
        ("'=1", "'=1"),  # already quoted: one quote is enough
        ("", ""),
        (" =1", " =1"),  # only the first character counts
        ("a=1", "a=1"),
        ("\n=1", "\n=1"),
        ("#N/A", "#N/A"),
        ("<3", "<3"),
        ("Kenya", "Kenya"),
        (None, None),
        (0, 0),
        (-2, -2),
        (-2.5, -2.5),
        (3.0, 3.0),
        (True, True),
    ],
)
def test_neutralise(value: Any, expected: Any) -> None:
    result = neutralise(value)
    assert result == expected
    assert type(result) is type(expected)


def read_csv(text: str) -> list[list[str]]:
    """As a spreadsheet reads it: a bare carriage return outside quotes ends the row."""
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_rows_quote_formulas_and_keep_numbers() -> None:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["text", "number", "missing", "negative", "float", "dash"])
    writer.writerows([["=1+1", 3, None, -2, -0.5, "-"], ["@x", 0, "", -10, 1e-07, "+"]])
    assert out.getvalue() == (
        "text,number,missing,negative,float,dash\n'=1+1,3,,-2,-0.5,'-\n'@x,0,,-10,1e-07,'+\n"
    )


@pytest.mark.parametrize("text", ["ok\r=HYPERLINK(1)", "ok\n=1", "ok\r\n@SUM(1)", "a,=1"])
def test_a_line_break_inside_a_field_starts_no_row(text: str) -> None:
    out = io.StringIO()
    csv_writer(out).writerows([[text, 1], ["next", 2]])
    assert out.getvalue().endswith('",1\nnext,2\n')  # the field is quoted, rows end in \n
    assert read_csv(out.getvalue()) == [[text, "1"], ["next", "2"]]


def test_xlsx_text_is_a_string_cell_and_numbers_numeric(tmp_path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("t")
    values = ["=1+1", "#N/A", "+", "−", -2, -2.5, 7, None, "", "a\x01b", "\x02=1"]
    sheet.append(xlsx_row(sheet, values))
    sheet.append(xlsx_row(sheet, [1, "=SUM(A1)"]))  # a number, then text, in one row
    book.save(tmp_path / "t.xlsx")
    first, second = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"].iter_rows()
    assert [(c.value, c.data_type) for c in first] == [
        ("'=1+1", "s"),
        ("#N/A", "s"),  # not an error value
        ("'+", "s"),
        ("−", "s"),
        (-2, "n"),
        (-2.5, "n"),
        (7, "n"),
        (None, "n"),
        (None, "inlineStr"),  # an empty text, as openpyxl reads it back
        ("a\ufffdb", "s"),  # XLSX cannot hold control characters
        ("\ufffd=1", "s"),
    ]
    assert [(c.value, c.data_type) for c in second[:2]] == [(1, "n"), ("'=SUM(A1)", "s")]
