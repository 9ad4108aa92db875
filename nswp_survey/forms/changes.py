"""Changes between two versions of a form that break the data already collected.

Submissions are stored by field name and choice name, so a renamed or removed field, a field
whose kind of answer changed, or a choice dropped from its list, leaves earlier answers
without a home. A rename cannot be told apart from a removal plus an addition; it is reported
as "renamed?" when the new field has the old one's type and position (its index among the
named rows of the survey sheet).
"""

from __future__ import annotations

from pathlib import Path

from nswp_survey.forms.fields import Field, list_fields
from nswp_survey.forms.problem import Problem, problem_at
from nswp_survey.forms.workbook import Sheet, Workbook, load_workbook

_KEEP_FIELD = (
    "keep it (hide it with relevant false() if it is no longer asked) so earlier submissions "
    "keep their column"
)


def _choices(book: Workbook) -> dict[str, dict[str, int]]:
    """list name -> choice name -> Excel row."""
    lists: dict[str, dict[str, int]] = {}
    sheet = book.sheet("choices")
    for row in sheet.rows if sheet else ():
        if row.get("list_name") and row.get("name"):
            lists.setdefault(row.get("list_name"), {}).setdefault(row.get("name"), row.number)
    return lists


def _field_changes(old: list[Field], new: list[Field], new_survey: Sheet) -> list[Problem]:
    old_names = {field.name for field in old}
    new_names = {field.name for field in new}
    added = new_names - old_names
    problems = []
    for index, field in enumerate(old):
        if field.name in new_names:
            continue
        successor = new[index] if index < len(new) else None
        if successor and successor.name in added and successor.type == field.type:
            added.discard(successor.name)
            problems.append(
                problem_at(
                    new_survey,
                    successor.row.number,
                    "name",
                    f'"{field.name}" (row {field.row.number} of the previous version) is now '
                    f'"{successor.name}": renamed?',
                    f'keep the name "{field.name}" so earlier submissions still match; '
                    "change only the label",
                )
            )
        else:
            problems.append(
                Problem(
                    new_survey.title,
                    None,
                    None,
                    f'field "{field.name}" ({field.type}, row {field.row.number} of the previous '
                    "version) was removed",
                    _KEEP_FIELD,
                )
            )
    new_by_name = {field.name: field for field in new}
    for field in old:
        successor = new_by_name.get(field.name)
        if successor and successor.kind != field.kind:
            problems.append(
                problem_at(
                    new_survey,
                    successor.row.number,
                    "type",
                    f'field "{field.name}" changed type from "{field.type}" to "{successor.type}"',
                    "keep the type, or ask the new question under a new name",
                )
            )
    return problems


def _choice_changes(old: Workbook, new: Workbook) -> list[Problem]:
    old_lists, new_lists = _choices(old), _choices(new)
    sheet = new.sheet("choices")
    title = sheet.title if sheet else "choices"
    problems = []
    for list_name, old_choices in old_lists.items():
        if list_name not in new_lists:
            problems.append(
                Problem(
                    title,
                    None,
                    None,
                    f'choice list "{list_name}" ({len(old_choices)} choices) was removed',
                    "keep it so earlier answers keep their labels",
                )
            )
            continue
        for name, row in old_choices.items():
            if name not in new_lists[list_name]:
                problems.append(
                    Problem(
                        title,
                        None,
                        None,
                        f'choice "{name}" (row {row} of the previous version) was dropped '
                        f'from list "{list_name}"',
                        "keep it (hide it with a choice_filter if it is no longer offered) so "
                        "earlier answers stay valid",
                    )
                )
    return problems


def breaking_changes(old: Path, new: Path) -> list[Problem]:
    """Problems in `new` that break data collected with `old`: fields renamed, removed or
    retyped, and choices dropped. Raises FormValidationError if either file is unreadable.

    Example:
        for problem in breaking_changes(Path("v1.xlsx"), Path("v2.xlsx")):
            print(problem)
    """
    old_book, new_book = load_workbook(old), load_workbook(new)
    old_survey, new_survey = old_book.sheet("survey"), new_book.sheet("survey")
    if old_survey is None or new_survey is None:
        which = old if old_survey is None else new
        return [Problem("survey", None, None, f"{which.name} has no survey sheet", "add one")]
    problems = _field_changes(list_fields(old_survey), list_fields(new_survey), new_survey)
    return problems + _choice_changes(old_book, new_book)
