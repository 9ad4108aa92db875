"""breaking_changes between demo_pulse.xlsx and variants of it written in tmp_path."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from nswp_survey.errors import FormValidationError
from nswp_survey.forms.check import Problem, breaking_changes

from .conftest import DEMO_FORM

KEEP_FIELD = (
    "keep it (hide it with relevant false() if it is no longer asked) so earlier submissions "
    "keep their column"
)


def variant(tmp_path: Path, edit) -> Path:
    """A copy of the demo form changed by `edit(workbook)`."""
    book = openpyxl.load_workbook(DEMO_FORM)
    edit(book)
    path = tmp_path / "demo_pulse_v2.xlsx"
    book.save(path)
    return path


def test_unchanged_form_has_no_breaking_changes() -> None:
    assert breaking_changes(DEMO_FORM, DEMO_FORM) == []


def test_renamed_field_is_reported_as_renamed_at_its_new_cell(tmp_path: Path) -> None:
    def rename(book: openpyxl.Workbook) -> None:
        book["survey"]["B6"] = "country_code"

    assert breaking_changes(DEMO_FORM, variant(tmp_path, rename)) == [
        Problem(
            "survey",
            6,
            "B",
            '"country" (row 6 of the previous version) is now "country_code": renamed?',
            'keep the name "country" so earlier submissions still match; change only the label',
            header="name",
        )
    ]


def test_removed_field_is_reported_with_its_old_row(tmp_path: Path) -> None:
    def remove(book: openpyxl.Workbook) -> None:
        book["survey"].delete_rows(8)

    assert breaking_changes(DEMO_FORM, variant(tmp_path, remove)) == [
        Problem(
            "survey",
            None,
            None,
            'field "leaders_mentored" (integer, row 8 of the previous version) was removed',
            KEEP_FIELD,
        )
    ]


def test_rename_with_another_type_is_a_removal(tmp_path: Path) -> None:
    def retype(book: openpyxl.Workbook) -> None:
        book["survey"]["A8"] = "decimal"
        book["survey"]["B8"] = "leaders_share"

    problems = breaking_changes(DEMO_FORM, variant(tmp_path, retype))
    assert [str(problem) for problem in problems] == [
        'survey: field "leaders_mentored" (integer, row 8 of the previous version) was removed; '
        + KEEP_FIELD
    ]


def test_changed_type_is_reported_at_the_type_cell(tmp_path: Path) -> None:
    def retype(book: openpyxl.Workbook) -> None:
        book["survey"]["A8"] = "text"

    problems = breaking_changes(DEMO_FORM, variant(tmp_path, retype))
    assert [str(problem) for problem in problems] == [
        'survey!A8 (type): field "leaders_mentored" changed type from "integer" to "text"; '
        "keep the type, or ask the new question under a new name"
    ]


def test_dropped_choice_is_reported_with_its_list(tmp_path: Path) -> None:
    def drop(book: openpyxl.Workbook) -> None:
        book["choices"].delete_rows(16)

    assert breaking_changes(DEMO_FORM, variant(tmp_path, drop)) == [
        Problem(
            "choices",
            None,
            None,
            'choice "mixed" (row 16 of the previous version) was dropped from list "direction"',
            "keep it (hide it with a choice_filter if it is no longer offered) so earlier "
            "answers stay valid",
        )
    ]


def test_added_field_and_choice_break_nothing(tmp_path: Path) -> None:
    def add(book: openpyxl.Workbook) -> None:
        book["survey"].append(["note", "thanks", *["Thank you"] * 5])
        book["choices"].append(["direction", "unclear", *["Unclear"] * 5])

    assert breaking_changes(DEMO_FORM, variant(tmp_path, add)) == []


def test_unreadable_previous_version_raises(tmp_path: Path) -> None:
    with pytest.raises(FormValidationError):
        breaking_changes(tmp_path / "missing.xlsx", DEMO_FORM)
