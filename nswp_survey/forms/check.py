"""The checks behind `nswp-survey forms check [FILE]`, as one function and its report.

`check_form` runs, in order, collecting problems rather than stopping at the first:
1. read the workbook (an unreadable file raises FormValidationError; no survey sheet is a
   problem, and then nothing else runs);
2. the project's own rules (`rules.py`, `logic.py`, `settings.py`): translations, names,
   choice lists, data protection, `nswp_sensitive`, `${name}` references and loops, and the
   settings deploy needs (form_id, a numeric version, a default_language the form has);
3. pyxform's conversion to XForm, its error mapped to the sheet, row and column it names;
4. ODK Validate (Java) on the XForm, its errors mapped to the row of the field they name.
   It runs only on a form that passed 2 and 3: it is the slowest step, and its messages for
   the same faults are vaguer than theirs.
With `previous`, changes that break data collected with that version are problems too.

Example:
    report = check_form(Path("forms/annual_member_survey.xlsx"))
    for problem in report.problems:
        print(problem)   # survey!D14 (label::French (fr)): missing French label for ...
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyxform.errors import PyXFormError
from pyxform.validators import odk_validate as odk
from pyxform.xls2xform import convert

from nswp_survey.forms.changes import breaking_changes
from nswp_survey.forms.fields import list_fields, normal_type
from nswp_survey.forms.logic import refs_in
from nswp_survey.forms.problem import Problem, problem_at
from nswp_survey.forms.rules import DEFAULT_LANGUAGES, check_rules
from nswp_survey.forms.workbook import Sheet, Workbook, header_key, load_workbook

__all__ = [
    "DEFAULT_LANGUAGES",
    "CheckReport",
    "Problem",
    "breaking_changes",
    "check_form",
]

JAVA_INSTALL = "apt-get install default-jre-headless"
ODK_SKIPPED = "ODK Validate was not run: fix the problems above first"

_PYX_ROW = re.compile(r"\[row : (\d+)\]\s*")
_PYX_SHEET = re.compile(r"On the '([^']+)' sheet,?\s*")
_PYX_COLUMN = re.compile(r"the '([^']+)' value")
_PYX_UNKNOWN_TYPE = re.compile(r"Unknown question type '(.*?)'")
_PYX_NAMED = re.compile(r"(?:element|question|group|repeat) named '([^']+)'")
_ODK_PATH = re.compile(r"(?<![\w$])/[\w.\-]+((?:/[\w.\-]+)+)")
_ODK_COLUMN = re.compile(r"\b(constraint|relevant|calculate|required|readonly)\b")
_ODK_NOISE = {"ODK Validate Errors:", ">> XForm is invalid.", "Result: Invalid"}


@dataclass(frozen=True)
class CheckReport:
    """What `check_form` found: problems (the form must not be deployed), warnings (it may),
    and the XForm pyxform produced (None if it could not convert the form)."""

    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]
    xform: str | None

    @property
    def ok(self) -> bool:
        return not self.problems


def _pyxform_problem(text: str, book: Workbook, survey: Sheet) -> Problem:
    """Place a pyxform error ('[row : 6] On the 'survey' sheet, the 'relevant' value ...')."""
    row_match, sheet_match = _PYX_ROW.search(text), _PYX_SHEET.search(text)
    sheet = (book.sheet(sheet_match[1].lower()) if sheet_match else None) or survey
    row = int(row_match[1]) if row_match else None
    column_match = _PYX_COLUMN.search(text)
    column = header_key(column_match[1]) if column_match else None
    if "List name not in choices sheet" in text:
        column = "type"
    if row is None and (unknown := _PYX_UNKNOWN_TYPE.search(text)):
        wanted = normal_type(unknown[1])
        row = next((r.number for r in survey.rows if normal_type(r.get("type")) == wanted), None)
        column = "type"
    if row is None and (named := _PYX_NAMED.search(text)):
        row = next((f.row.number for f in list_fields(survey) if f.name == named[1]), None)
    message = _PYX_SHEET.sub("", _PYX_ROW.sub("", text)).strip().rstrip(".")
    return problem_at(
        sheet, row, column, f"pyxform: {message}", "correct the cell as pyxform describes"
    )


def _convert(
    path: Path, book: Workbook, survey: Sheet
) -> tuple[str | None, list[Problem], list[str]]:
    warnings: list[str] = []
    try:
        result = convert(xlsform=str(path), validate=False, warnings=warnings)
    except PyXFormError as err:
        return None, [_pyxform_problem(str(err), book, survey)], []
    except Exception as err:  # pyxform raises bare errors on malformed sheets
        problem = Problem(
            survey.title,
            None,
            None,
            f"pyxform could not convert the form ({type(err).__name__}: {err})",
            "fix the problems above; if there are none, simplify the form to find the cause",
        )
        return None, [problem], []
    return result.xform, [], [f"pyxform: {warning}" for warning in warnings]


def _odk_problems(text: str, survey: Sheet) -> list[Problem]:
    """Place ODK Validate's error lines at the row of the first field they name."""
    messages: list[str] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip(":").strip()
        if line.startswith("The following files failed validation"):
            break
        if not line or line in _ODK_NOISE:
            continue
        if messages and re.fullmatch(r"\$\{[^}]*\}", line):
            messages[-1] += f" {line}"  # the nodes listed under a cycle message
        else:
            messages.append(line.removesuffix(" null"))
    rows = {field.name: field.row.number for field in reversed(list_fields(survey))}
    problems = []
    for message in messages or [" ".join(text.split())]:
        names = refs_in(message) + [m[1].rsplit("/", 1)[-1] for m in _ODK_PATH.finditer(message)]
        row = next((rows[name] for name in names if name in rows), None)
        column_match = _ODK_COLUMN.search(message) if row and "Cycle" not in message else None
        column = column_match and {"calculate": "calculation"}.get(column_match[1], column_match[1])
        fix = f"correct the {column} expression" if column else "correct the form as ODK says"
        problems.append(problem_at(survey, row, column, f"ODK Validate: {message}", fix))
    return problems


def _validate(xform: str, survey: Sheet) -> tuple[list[Problem], list[str]]:
    if shutil.which("java") is None:
        problem = Problem(
            "",
            None,
            None,
            "ODK Validate needs Java, which is not installed",
            f"install it ({JAVA_INSTALL}), or check without ODK Validate",
        )
        return [problem], []
    with tempfile.TemporaryDirectory(prefix="nswp-form-") as tmp:
        xml = Path(tmp) / "form.xml"
        xml.write_text(xform, encoding="utf-8")
        try:
            warnings = odk.check_xform(str(xml))
        except odk.ODKValidateError as err:
            return _odk_problems(str(err), survey), []
        except OSError as err:
            problem = Problem(
                "",
                None,
                None,
                f"ODK Validate could not run ({err})",
                f"check the Java install ({JAVA_INSTALL})",
            )
            return [problem], []
    return [], [" ".join(warning.split()) for warning in warnings]


def check_form(
    path: Path,
    *,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    odk_validate: bool = True,
    previous: Path | None = None,
) -> CheckReport:
    """Check an XLSForm; return every problem found. Raises FormValidationError only when
    `path` (or `previous`) cannot be read as a workbook."""
    path = Path(path)
    book = load_workbook(path)
    survey = book.sheet("survey")
    if survey is None:
        titles = ", ".join(sheet.title for sheet in book.sheets.values()) or "none"
        problem = Problem(
            "survey",
            None,
            None,
            f'the workbook has no "survey" sheet (its sheets: {titles})',
            'add a sheet named "survey" with the questions',
        )
        return CheckReport(problems=(problem,), warnings=(), xform=None)
    if not survey.rows:
        problem = Problem(
            survey.title,
            None,
            None,
            "the survey sheet has no questions",
            "add a header row (type, name, label::...) and the questions below it",
        )
        return CheckReport(problems=(problem,), warnings=(), xform=None)
    problems, warnings = check_rules(book, languages)
    xform, converted, pyxform_warnings = _convert(path, book, survey)
    located = {(problem.sheet, problem.row) for problem in problems}
    problems += [p for p in converted if p.row is None or (p.sheet, p.row) not in located]
    warnings += pyxform_warnings
    if odk_validate and xform is not None:
        if problems:
            warnings.append(ODK_SKIPPED)
        else:
            odk_problems, odk_warnings = _validate(xform, survey)
            problems += odk_problems
            warnings += odk_warnings
    if previous is not None:
        problems += breaking_changes(Path(previous), path)
    return CheckReport(problems=tuple(problems), warnings=tuple(warnings), xform=xform)
