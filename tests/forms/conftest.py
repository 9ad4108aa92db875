"""Fixtures for the form checks: paths to the forms, and small workbooks written in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEMO_FORM = REPO_ROOT / "forms" / "demo_pulse.xlsx"
ANNUAL_FORM = REPO_ROOT / "forms" / "annual_member_survey.xlsx"
MINIMAL_FORM = HERE / "minimal.xlsx"
BROKEN = HERE / "broken"
LANGUAGES = ("English (en)", "French (fr)", "Spanish (es)", "Russian (ru)", "Chinese (zh)")

Rows = Sequence[Sequence[object]]
MakeForm = Callable[..., Path]


def labels(kind: str = "label") -> list[str]:
    """The five column headers of one translated kind: label::English (en) ..."""
    return [f"{kind}::{language}" for language in LANGUAGES]


def texts(english: str) -> list[str]:
    """Five non-blank texts, one per language."""
    return [english, *(f"{english} ({language[-3:-1]})" for language in LANGUAGES[1:])]


def write_form(path: Path, survey: Rows, choices: Rows | None = None) -> Path:
    """Write an XLSForm with the given survey (and choices) rows, headers first."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(list(row))
    if choices is not None:
        sheet = book.create_sheet("choices")
        for row in choices:
            sheet.append(list(row))
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(["Test", "test_form", "2026010101", LANGUAGES[0]])
    book.save(path)
    return path


@pytest.fixture
def make_form(tmp_path: Path) -> MakeForm:
    """make_form(survey_rows, choices_rows=None) -> path of a new .xlsx in tmp_path."""
    counter = iter(range(1000))

    def make(survey: Rows, choices: Rows | None = None) -> Path:
        return write_form(tmp_path / f"form_{next(counter)}.xlsx", survey, choices)

    return make
