"""diff_forms between demo_pulse.xlsx, variants of it, and KPI content."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.workbook import Workbook as XlsxBook

from nswp_survey.forms.content import workbook_from_content
from nswp_survey.forms.diff import diff_forms
from nswp_survey.forms.workbook import load_workbook

from .conftest import DEMO_FORM


def variant(tmp_path: Path, edit: Callable[[XlsxBook], None]) -> Path:
    book = openpyxl.load_workbook(DEMO_FORM)
    edit(book)
    path = tmp_path / "demo_pulse_v2.xlsx"
    book.save(path)
    return path


def lines(tmp_path: Path, edit: Callable[[XlsxBook], None]) -> list[str]:
    return diff_forms(load_workbook(DEMO_FORM), load_workbook(variant(tmp_path, edit))).lines()


def test_the_same_form_has_no_changes() -> None:
    diff = diff_forms(load_workbook(DEMO_FORM), load_workbook(DEMO_FORM))
    assert diff.empty
    assert diff.lines() == []


def test_a_relabelled_question_is_reported(tmp_path: Path) -> None:
    def edit(book: XlsxBook) -> None:
        book["survey"]["C8"] = "How many leaders did you mentor in 2025?"

    assert lines(tmp_path, edit) == [
        'question "leaders_mentored" relabelled (English (en)): "How many sex worker leaders '
        'did you mentor this year?" -> "How many leaders did you mentor in 2025?"'
    ]


def test_an_added_question_is_reported(tmp_path: Path) -> None:
    def edit(book: XlsxBook) -> None:
        survey = book["survey"]
        survey.insert_rows(9)
        for column, value in enumerate(["integer", "paid_staff", "Paid staff"], start=1):
            survey.cell(row=9, column=column, value=value)

    assert lines(tmp_path, edit) == ['question "paid_staff" added (integer, in org)']


def test_a_removed_choice_is_reported(tmp_path: Path) -> None:
    def edit(book: XlsxBook) -> None:
        choices = book["choices"]
        row = next(r for r in range(2, choices.max_row + 1) if choices.cell(r, 2).value == "mixed")
        choices.delete_rows(row)

    assert lines(tmp_path, edit) == ['choice "direction/mixed" removed']


def test_an_added_translation_language_is_reported(tmp_path: Path) -> None:
    def edit(book: XlsxBook) -> None:
        for sheet in (book["survey"], book["choices"]):
            column = sheet.max_column + 1
            sheet.cell(row=1, column=column, value="label::Portuguese (pt)")
            for row in range(2, sheet.max_row + 1):
                if sheet.cell(row, 2).value and sheet.cell(row, 3).value:
                    sheet.cell(row=row, column=column, value=f"{sheet.cell(row, 3).value} (pt)")

    assert lines(tmp_path, edit) == ['translation "Portuguese (pt)" added']


def test_renames_and_type_changes_are_reported(tmp_path: Path) -> None:
    def edit(book: XlsxBook) -> None:
        book["survey"]["B3"] = "member_id"  # same type and labels: a rename
        book["survey"]["A8"] = "decimal"
        book["choices"]["B2"] = "oui"  # yn/yes, labels kept

    assert lines(tmp_path, edit) == [
        'question "member_code" renamed to "member_id"',
        'question "leaders_mentored" type changed: integer -> decimal',
        'choice "yn/yes" renamed to "oui"',
    ]


KPI_CONTENT = {
    "schema": "1",
    "settings": {"id_string": "pulse", "version": "3"},
    "translations": ["English (en)", "French (fr)"],
    "translated": ["hint", "label"],
    "survey": [
        {"type": "begin_group", "name": "org", "$kuid": "k1", "$xpath": "org",
         "label": ["Organisation", "Organisation"]},
        {"type": "select_one", "select_from_list_name": "yn", "$autoname": "sw_led",
         "$xpath": "org/sw_led", "required": True, "label": ["Led by sex workers?", None],
         "hint": [None, "Indice"]},
        {"type": "end_group", "$kuid": "k3"},
        {"type": "text", "name": "notes", "label": ["Notes", "Notes"], "read_only": True},
    ],
    "choices": [
        {"list_name": "yn", "name": "yes", "$autovalue": "yes", "label": ["Yes", "Oui"]},
        {"list_name": "yn", "$autovalue": "no", "label": ["No", "Non"]},
    ],
}  # fmt: skip


def test_kpi_content_becomes_workbook_rows() -> None:
    book = workbook_from_content(KPI_CONTENT, source="aX@v1")
    survey = book.sheet("survey")
    assert survey is not None
    assert [dict(row.values) for row in survey.rows] == [
        {"type": "begin_group", "name": "org", "label::English (en)": "Organisation",
         "label::French (fr)": "Organisation"},
        {"type": "select_one yn", "name": "sw_led", "required": "true",
         "label::English (en)": "Led by sex workers?", "hint::French (fr)": "Indice"},
        {"type": "end_group"},
        {"type": "text", "name": "notes", "label::English (en)": "Notes",
         "label::French (fr)": "Notes", "readonly": "true"},
    ]  # fmt: skip
    choices = book.sheet("choices")
    assert choices is not None
    assert [row.get("name") for row in choices.rows] == ["yes", "no"]
    assert book.sheet("settings").rows[0].values == {"form_id": "pulse", "version": "3"}  # type: ignore[union-attr]


def test_a_server_version_diffs_against_another() -> None:
    newer = {
        **KPI_CONTENT,
        "translations": ["English (en)", "French (fr)", "Spanish (es)"],
        "survey": [
            {**row, "label": [*row["label"], None]} if "label" in row else row
            for row in KPI_CONTENT["survey"]
        ],
        "choices": [{"list_name": "yn", "name": "yes", "label": ["Yes!", "Oui", "Sí"]}],
    }
    diff = diff_forms(workbook_from_content(KPI_CONTENT), workbook_from_content(newer))
    assert diff.lines() == [
        'translation "Spanish (es)" added',
        'choice "yn/no" removed',
        'choice "yn/yes" relabelled (English (en)): "Yes" -> "Yes!"',
    ]
