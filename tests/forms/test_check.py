"""check_form on the real forms, on the corpus of broken forms, and at its edges."""

from __future__ import annotations

import shutil
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from nswp_survey.errors import FormValidationError
from nswp_survey.forms.check import (
    DEFAULT_LANGUAGES,
    CheckReport,
    Problem,
    check_form,
)

from .conftest import ANNUAL_FORM, BROKEN, DEMO_FORM, LANGUAGES, MINIMAL_FORM, MakeForm

XFORMS = "{http://www.w3.org/2002/xforms}"


def translations(xform: str) -> set[str]:
    return {node.get("lang") for node in SafeET.fromstring(xform).iter(f"{XFORMS}translation")}


def corpus() -> list[tuple[str, list[str], str]]:
    """(file, locations of every expected problem, text of the first) from broken/README.md."""
    cases = []
    for line in (BROKEN / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            name, _what, locations, text = (cell.strip() for cell in line.strip("|").split("|"))
            cases.append((name.strip("`"), locations.split("; "), text))
    return cases


@pytest.fixture(scope="module")
def demo_report() -> CheckReport:
    return check_form(DEMO_FORM)


@pytest.fixture(scope="module")
def annual_report() -> CheckReport:
    if not ANNUAL_FORM.exists():
        pytest.skip(
            "forms/annual_member_survey.xlsx is not written yet (a colleague is building it); "
            "this test runs as soon as the file exists"
        )
    return check_form(ANNUAL_FORM)


def test_default_languages_are_the_five_nswp_languages() -> None:
    assert DEFAULT_LANGUAGES == LANGUAGES


def test_demo_form_passes_every_check_with_odk_validate(demo_report: CheckReport) -> None:
    assert [str(problem) for problem in demo_report.problems] == []
    assert demo_report.ok
    assert demo_report.warnings == ()
    assert demo_report.xform is not None
    assert translations(demo_report.xform) == set(LANGUAGES)


def test_annual_survey_passes_every_check_with_odk_validate(annual_report: CheckReport) -> None:
    assert [str(problem) for problem in annual_report.problems] == []
    assert annual_report.xform is not None
    assert translations(annual_report.xform) == set(LANGUAGES)


def test_minimal_form_behind_the_corpus_passes_every_check() -> None:
    report = check_form(MINIMAL_FORM)
    assert report.problems == ()
    assert report.warnings == ()
    assert report.xform is not None


def test_corpus_readme_lists_every_broken_form() -> None:
    assert sorted(name for name, _, _ in corpus()) == sorted(
        path.name for path in BROKEN.glob("*.xlsx")
    )


@pytest.mark.parametrize(
    ("name", "locations", "text"), corpus(), ids=[case[0] for case in corpus()]
)
def test_broken_form_is_rejected_at_the_broken_cell(
    name: str, locations: list[str], text: str
) -> None:
    report = check_form(BROKEN / name)
    assert not report.ok
    assert [problem.location for problem in report.problems] == locations
    first = str(report.problems[0])
    assert first.startswith(f"{locations[0]}: ")
    assert text in first
    assert "\n" not in first


def test_problem_reads_as_one_line_with_cell_header_and_fix() -> None:
    problem = Problem(
        "survey",
        14,
        "D",
        'missing French label for "consent"',
        "add it",
        header="label::French (fr)",
    )
    assert (
        str(problem)
        == 'survey!D14 (label::French (fr)): missing French label for "consent"; add it'
    )
    assert (
        str(Problem("survey", 3, None, "bad\n  row", "fix it")) == "survey row 3: bad row; fix it"
    )
    assert str(Problem("choices", None, None, "gone", "keep it")) == "choices: gone; keep it"
    assert str(Problem("", None, None, "no Java", "install it")) == "no Java; install it"


def test_missing_java_is_one_problem_that_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    report = check_form(MINIMAL_FORM)
    assert [str(problem) for problem in report.problems] == [
        "ODK Validate needs Java, which is not installed; install it "
        "(apt-get install default-jre-headless), or check without ODK Validate"
    ]
    assert report.xform is not None


def test_odk_validate_can_be_left_out() -> None:
    report = check_form(BROKEN / "bad_constraint_syntax.xlsx", odk_validate=False)
    assert report.ok
    assert report.xform is not None


def test_odk_validate_is_skipped_while_other_problems_stand() -> None:
    report = check_form(BROKEN / "bad_sensitivity.xlsx")
    assert report.warnings == ("ODK Validate was not run: fix the problems above first",)


def test_unreadable_file_raises_form_validation_error(tmp_path: Path) -> None:
    fake = tmp_path / "form.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(FormValidationError, match="cannot read the workbook"):
        check_form(fake)
    with pytest.raises(FormValidationError, match="no such file"):
        check_form(tmp_path / "absent.xlsx")
    with pytest.raises(FormValidationError, match="not an XLSForm workbook"):
        check_form(tmp_path / "form.csv")


def test_previous_version_adds_breaking_changes(tmp_path: Path) -> None:
    previous = tmp_path / "minimal_v1.xlsx"
    shutil.copy(MINIMAL_FORM, previous)
    assert check_form(MINIMAL_FORM, odk_validate=False, previous=previous).problems == ()
    report = check_form(BROKEN / "identity_field.xlsx", odk_validate=False, previous=previous)
    assert [problem.location for problem in report.problems] == ["survey!B7 (name)"] * 2
    assert str(report.problems[1]).startswith(
        'survey!B7 (name): "member_code" (row 7 of the previous version) is now "worker_name": '
        "renamed?"
    )


def test_other_languages_can_be_required() -> None:
    report = check_form(DEMO_FORM, languages=("English (en)", "French (fr)"), odk_validate=False)
    assert report.ok
    assert "survey!E1: column label::Spanish (es) is in a language the form does not need" in (
        " ".join(report.warnings)
    )
    report = check_form(DEMO_FORM, languages=(*LANGUAGES, "Portuguese (pt)"), odk_validate=False)
    assert [str(problem) for problem in report.problems] == [
        'survey row 1: no "label::Portuguese (pt)" column; add it with the Portuguese text of '
        "every row",
        'survey row 1: no "hint::Portuguese (pt)" column; add it with the Portuguese text of '
        "every row",
        'survey row 1: no "constraint_message::Portuguese (pt)" column; add it with the '
        "Portuguese text of every row",
        'choices row 1: no "label::Portuguese (pt)" column; add it with the Portuguese text of '
        "every row",
    ]


def test_empty_survey_sheet_is_one_problem(make_form: MakeForm) -> None:
    report = check_form(make_form([]))
    assert [str(problem) for problem in report.problems] == [
        "survey: the survey sheet has no questions; add a header row (type, name, label::...) "
        "and the questions below it"
    ]
