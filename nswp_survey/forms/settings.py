"""The settings sheet's rules: what `deploy` needs to place a form on the server.

pyxform accepts a form with no settings at all (it takes the file name as the form id), but
`deploy` finds the asset to replace by the settings `form_id`: without it every deploy makes a
new project and submissions are split between them. `version` tells the deployed versions
apart, so it must be present and grow with each change; digits (the project's `yyyymmddNN`,
or dotted numbers such as `2026.1`) compare as numbers, where text such as `v2 beta` has no
order. A `default_language` that none of the label columns is in marks no translation as
the default in the XForm (pyxform says nothing), so Kobo and Collect open the form in whichever
language they list first. pyxform reads only the first data row of the sheet, so do we.
"""

from __future__ import annotations

import re

from nswp_survey.forms.problem import Problem, problem_at
from nswp_survey.forms.workbook import Sheet, Workbook

VERSION_PATTERN = re.compile(r"^\d+(?:\.\d+)*$")
_SETTINGS_FIX = (
    'add a sheet named "settings" with the headers form_title, form_id, version and '
    "default_language in row 1 and their values in row 2"
)
_FORM_ID_FIX = (
    "write the form's id (e.g. nswp_member_survey) and keep it across versions: deploy finds "
    "the form on the server by it"
)
_VERSION_FIX = (
    "write digits that grow with every change, e.g. the date and a counter (yyyymmddNN: "
    "2026112401), so each deployed version compares greater than the last"
)


def form_languages(survey: Sheet) -> list[str]:
    """The languages the survey's label columns are in: 'label::French (fr)' -> 'French (fr)'."""
    return [
        header.partition("::")[2]
        for header in survey.headers
        if header.startswith("label::") and header.partition("::")[2]
    ]


def _required(sheet: Sheet, row: int, values: dict[str, str], key: str, fix: str) -> Problem | None:
    """A problem when the column `key` is missing, or blank in the data row."""
    if not sheet.has(key):
        return problem_at(sheet, 1, None, f'the settings sheet has no "{key}" column', fix)
    if not values.get(key):
        return problem_at(sheet, row, key, f"{key} is blank", fix)
    return None


def check_settings(book: Workbook) -> list[Problem]:
    """form_id and version present (version made of digits); default_language, when set,
    one of the languages of the survey's label columns."""
    sheet = book.sheet("settings")
    if sheet is None:
        return [
            Problem("settings", None, None, 'the workbook has no "settings" sheet', _SETTINGS_FIX)
        ]
    if not any(sheet.headers):
        return [Problem(sheet.title, None, None, "the settings sheet is empty", _SETTINGS_FIX)]
    first = sheet.rows[0] if sheet.rows else None
    row = first.number if first else 2
    values = dict(first.values) if first else {}
    problems = [
        problem
        for problem in (
            _required(sheet, row, values, "form_id", _FORM_ID_FIX),
            _required(sheet, row, values, "version", _VERSION_FIX),
        )
        if problem is not None
    ]
    version = values.get("version", "")
    if version and not VERSION_PATTERN.match(version):
        problems.append(
            problem_at(sheet, row, "version", f'version "{version}" is not a number', _VERSION_FIX)
        )
    default = values.get("default_language", "")
    survey = book.sheet("survey")
    languages = form_languages(survey) if survey else []
    if default and languages and default not in languages:
        problems.append(
            problem_at(
                sheet,
                row,
                "default_language",
                f'default_language "{default}" is not a language of the form\'s labels',
                f"write one of {', '.join(languages)}, as the label columns spell it",
            )
        )
    return problems
