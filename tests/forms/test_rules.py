"""The project's own rules, on small forms written in tmp_path (no ODK Validate)."""

from __future__ import annotations

import pytest

from nswp_survey.forms.check import check_form
from nswp_survey.forms.rules import FORBIDDEN_TYPES, identity_hint

from .conftest import MakeForm, labels, texts

HEADER = ["type", "name", *labels()]
YN = [["list_name", "name", *labels()], ["yn", "yes", *texts("Yes")], ["yn", "no", *texts("No")]]


def problems(path) -> list[str]:
    return [str(problem) for problem in check_form(path, odk_validate=False).problems]


def test_metadata_calculate_and_groups_need_no_label(make_form: MakeForm) -> None:
    form = make_form(
        [
            [*HEADER, "calculation"],
            ["start", "started"],
            ["end", "ended"],
            ["today", "day"],
            ["begin_group", "block"],
            ["integer", "staff", *texts("Paid staff")],
            ["calculate", "staff2", None, None, None, None, None, "${staff} * 2"],
            ["end_group"],
        ]
    )
    assert problems(form) == []


def test_question_without_any_label_is_one_problem(make_form: MakeForm) -> None:
    form = make_form([HEADER, ["text", "summary"]])
    assert problems(form) == [
        'survey!C2 (label::English (en)): no label for "summary"; add it in all 5 languages'
    ]


def test_hint_in_one_language_needs_the_other_four(make_form: MakeForm) -> None:
    form = make_form(
        [[*HEADER, *labels("hint")], ["text", "summary", *texts("Summary"), "No names"]]
    )
    assert problems(form) == [
        f"survey!{column}2 (hint::{language}): missing {language.split(' (')[0]} hint for "
        '"summary"; add it'
        for column, language in zip("IJKL", [h.split("::")[1] for h in labels()][1:], strict=True)
    ]


def test_untranslated_label_column_is_a_problem(make_form: MakeForm) -> None:
    form = make_form([["type", "name", "label", *labels()], ["text", "summary", "S", *texts("S")]])
    assert problems(form) == [
        'survey!C1 (label): the "label" column names no language; '
        'rename it "label::English (en)" (or the language it is in)'
    ]


def test_invalid_and_missing_names(make_form: MakeForm) -> None:
    form = make_form([HEADER, ["text", "2nd_question", *texts("Q")], ["note", None, *texts("N")]])
    assert problems(form)[:2] == [
        'survey!B2 (name): "2nd_question" is not a valid name; start with a letter or _, then '
        "use only letters, digits, _ - or .",
        'survey!B3 (name): the "note" row has no name; add a unique name',
    ]


def test_choice_names_are_unique_per_list(make_form: MakeForm) -> None:
    form = make_form(
        [HEADER, ["select_one yn", "consent", *texts("Agree?")]],
        [*YN, ["yn", "yes", *texts("Yes again")], ["other", "yes", *texts("Yes")]],
    )
    assert problems(form)[0] == (
        'choices!B4 (name): choice "yes" appears twice in list "yn" (also row 2); '
        "remove or rename one of them"
    )


def test_select_without_choices_sheet(make_form: MakeForm) -> None:
    form = make_form([HEADER, ["select_multiple yn", "consent", *texts("Agree?")]])
    assert problems(form)[0] == (
        'survey!A2 (type): choice list "yn" is not defined: the workbook has no choices sheet; '
        'add a sheet named "choices" with its choices, or correct the list name'
    )


@pytest.mark.parametrize(
    "type_", ["geotrace", "image", "audio", "background-audio", "deviceid", "email", "gps"]
)
def test_forbidden_types_are_rejected(make_form: MakeForm, type_: str) -> None:
    form = make_form([HEADER, [type_, "thing", *texts("Thing")]])
    assert problems(form)[0].startswith(
        f'survey!A2 (type): type "{type_}" {FORBIDDEN_TYPES[type_]}'
    )


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("worker_name", "name"),
        ("orgName", "name"),
        ("phone2", "phone"),
        ("contact_email", "email"),
        ("home_address", "address"),
        ("date_of_birth", "date_of_birth"),
        ("hiv_status", "hiv_status"),
        ("member_code", None),
        ("contact_ok", None),
        ("rename_reason", None),
        ("lc_summary", None),
    ],
)
def test_identity_hint_flags_names_of_personal_data(name: str, word: str | None) -> None:
    assert identity_hint(name) == word


def test_calculation_that_uses_itself_is_a_loop(make_form: MakeForm) -> None:
    form = make_form([["type", "name", "calculation"], ["calculate", "total", "${total} + 1"]])
    assert problems(form) == [
        "survey!C2 (calculation): ${total} depends on itself: the calculation of ${total} uses "
        "${total}; break the loop: relevant, calculation, required and readonly may not depend, "
        "directly or through other fields, on their own field or on a field inside their own "
        "group"
    ]


def test_references_in_labels_are_checked(make_form: MakeForm) -> None:
    form = make_form(
        [HEADER, ["integer", "staff", *texts("Staff")], ["note", "n", *texts("You said ${staf}")]]
    )
    assert problems(form)[:5] == [
        f"survey!{column}3 (label::{language}): ${{staf}} is not the name of any field; "
        "did you mean ${staff}?"
        for column, language in zip("CDEFG", [h.split("::")[1] for h in labels()], strict=True)
    ]
