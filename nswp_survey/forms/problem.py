"""One thing wrong with a form, with the cell it is in and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

from nswp_survey.forms.workbook import Sheet


@dataclass(frozen=True)
class Problem:
    """A form problem located as Excel shows it.

    `sheet` is the sheet title ('' when the problem is not in the workbook, e.g. Java missing),
    `row` the Excel row number, `column` the column letter and `header` that column's header.

    Example:
        >>> str(Problem("survey", 14, "D", 'missing French label for "consent"', "add it",
        ...             header="label::French (fr)"))
        'survey!D14 (label::French (fr)): missing French label for "consent"; add it'
    """

    sheet: str
    row: int | None
    column: str | None
    message: str
    fix: str
    header: str | None = None

    @property
    def location(self) -> str:
        """'survey!D14 (label::French (fr))', 'survey row 14', 'survey' or ''."""
        if not self.sheet:
            return ""
        if self.column and self.row is not None:
            where = f"{self.sheet}!{self.column}{self.row}"
        elif self.column:
            where = f"{self.sheet} column {self.column}"
        elif self.row is not None:
            return f"{self.sheet} row {self.row}"
        else:
            return self.sheet
        return f"{where} ({self.header})" if self.header else where

    def __str__(self) -> str:
        text = f"{self.message}; {self.fix}" if self.fix else self.message
        text = " ".join(text.split())  # one line, whatever the tools put in their messages
        return f"{self.location}: {text}" if self.location else text


def problem_at(sheet: Sheet, row: int | None, key: str | None, message: str, fix: str) -> Problem:
    """A Problem in `sheet` at Excel row `row`, in the column headed `key` when it has one."""
    letter = sheet.letter(key) if key else None
    return Problem(sheet.title, row, letter, message, fix, header=key if letter else None)
