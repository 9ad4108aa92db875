"""The settings rules, on copies of the annual survey edited in tmp_path (no ODK Validate).

Each broken copy is one that `forms check` used to pass although `deploy` could not place it:
no form_id to find the asset by, or no version that orders the deployed versions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from nswp_survey.forms.check import check_form

from .conftest import ANNUAL_FORM

Edit = Callable[[openpyxl.Workbook], None]


def annual_copy(tmp_path: Path, edit: Edit) -> Path:
    """A copy of the annual survey changed by `edit(workbook)`; its settings sheet has
    A form_title, B form_id, C version, D default_language, E style (row 2 the values)."""
    book = openpyxl.load_workbook(ANNUAL_FORM)
    edit(book)
    path = tmp_path / "annual_copy.xlsx"
    book.save(path)
    return path


def set_cell(cell: str, value: object) -> Edit:
    def edit(book: openpyxl.Workbook) -> None:
        book["settings"][cell] = value

    return edit


def problems(path: Path) -> list[str]:
    return [str(problem) for problem in check_form(path, odk_validate=False).problems]


SETTINGS_FIX = (
    'add a sheet named "settings" with the headers form_title, form_id, version and '
    "default_language in row 1 and their values in row 2"
)
FORM_ID_FIX = (
    "write the form's id (e.g. nswp_member_survey) and keep it across versions: deploy finds "
    "the form on the server by it"
)
VERSION_FIX = (
    "write digits that grow with every change, e.g. the date and a counter (yyyymmddNN: "
    "2026112401), so each deployed version compares greater than the last"
)
LANGUAGE_FIX = (
    "write one of English (en), French (fr), Spanish (es), Russian (ru), Chinese (zh), as the "
    "label columns spell it"
)

BROKEN: dict[str, tuple[Edit, list[str]]] = {
    "settings sheet deleted": (
        lambda book: book.remove(book["settings"]),
        [f'settings: the workbook has no "settings" sheet; {SETTINGS_FIX}'],
    ),
    "settings sheet emptied": (
        lambda book: book["settings"].delete_rows(1, 2),
        [f"settings: the settings sheet is empty; {SETTINGS_FIX}"],
    ),
    "form_id blank": (
        set_cell("B2", None),
        [f"settings!B2 (form_id): form_id is blank; {FORM_ID_FIX}"],
    ),
    "form_id column deleted": (
        lambda book: book["settings"].delete_cols(2),
        [f'settings row 1: the settings sheet has no "form_id" column; {FORM_ID_FIX}'],
    ),
    "version blank": (
        set_cell("C2", None),
        [f"settings!C2 (version): version is blank; {VERSION_FIX}"],
    ),
    "version not a number": (
        set_cell("C2", "v2 beta"),
        [f'settings!C2 (version): version "v2 beta" is not a number; {VERSION_FIX}'],
    ),
    "version with a letter": (
        set_cell("C2", "2026112401b"),
        [f'settings!C2 (version): version "2026112401b" is not a number; {VERSION_FIX}'],
    ),
    "values row deleted": (
        lambda book: book["settings"].delete_rows(2),
        [
            f"settings!B2 (form_id): form_id is blank; {FORM_ID_FIX}",
            f"settings!C2 (version): version is blank; {VERSION_FIX}",
        ],
    ),
    "default_language the form does not have": (
        set_cell("D2", "German (de)"),
        [
            'settings!D2 (default_language): default_language "German (de)" is not a language '
            f"of the form's labels; {LANGUAGE_FIX}"
        ],
    ),
    "default_language without its code": (
        set_cell("D2", "English"),
        [
            'settings!D2 (default_language): default_language "English" is not a language '
            f"of the form's labels; {LANGUAGE_FIX}"
        ],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_settings_deploy_cannot_use_are_a_problem_at_their_cell(tmp_path: Path, case: str) -> None:
    edit, expected = BROKEN[case]
    assert problems(annual_copy(tmp_path, edit)) == expected


@pytest.mark.parametrize("version", ["2026112402", 2026112402, "7", "2026.1", "1.2.10"], ids=str)
def test_versions_made_of_digits_pass(tmp_path: Path, version: object) -> None:
    assert problems(annual_copy(tmp_path, set_cell("C2", version))) == []


def test_default_language_may_be_any_language_of_the_labels_or_left_out(tmp_path: Path) -> None:
    assert problems(annual_copy(tmp_path, set_cell("D2", "French (fr)"))) == []
    assert problems(annual_copy(tmp_path, set_cell("D2", None))) == []


def test_select_without_choices_sheet_reads_as_a_sentence(tmp_path: Path) -> None:
    found = problems(annual_copy(tmp_path, lambda book: book.remove(book["choices"])))
    assert found
    assert found[0].startswith("survey!A")
    assert "(type): choice list " in found[0]
    assert found[0].endswith(
        " is not defined: the workbook has no choices sheet; "
        'add a sheet named "choices" with its choices, or correct the list name'
    )
