"""What changed between two versions of a form: questions, choices and translations.

`diff_forms(old, new)` compares two `Workbook`s (a local .xlsx from `load_workbook`, or a
deployed version from `forms.content.workbook_from_content`) and lists each change as one
readable line: questions added, removed, renamed, relabelled or whose type changed; choices
added, removed, renamed or relabelled; translation languages added or removed. A rename is
a guess: a removed and an added row of the same type whose label (in some language) or
position is the same.

Example:
    diff = diff_forms(workbook_from_content(version.content), load_workbook(path))
    for line in diff.lines():
        print(line)   # question "consent" relabelled (English (en)): "Agree?" -> "Do you agree?"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from nswp_survey.forms.fields import Field, kind_of, list_fields, normal_type, select_list
from nswp_survey.forms.workbook import Row, Workbook

_TRANSLATED = ("label", "hint", "constraint_message", "required_message", "image", "audio")
_SHOWN = 60


@dataclass(frozen=True)
class Change:
    """One change: `kind` question|choice|translation, `action` added|removed|renamed|
    relabelled|type changed, `subject` the name ('consent', 'yes_no/maybe', 'French (fr)')."""

    kind: str
    action: str
    subject: str
    detail: str = ""

    def __str__(self) -> str:
        return f'{self.kind} "{self.subject}" {self.action}{self.detail}'


@dataclass(frozen=True)
class FormDiff:
    """The changes from an old to a new version of a form, by what they touch."""

    questions: tuple[Change, ...] = ()
    choices: tuple[Change, ...] = ()
    translations: tuple[Change, ...] = ()

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.translations + self.questions + self.choices

    @property
    def empty(self) -> bool:
        return not self.changes

    def lines(self) -> list[str]:
        """One readable line per change."""
        return [str(change) for change in self.changes]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return f'"{text}"' if len(text) <= _SHOWN else f'"{text[: _SHOWN - 1]}…"'


def _labels(row: Row) -> dict[str, str]:
    """language ('' for a plain label column) -> label text."""
    return {
        (key.split("::", 1)[1] if "::" in key else ""): value
        for key, value in row.values.items()
        if key.split("::", 1)[0] == "label" and value
    }


def _type_of(type_text: str) -> tuple[str, str | None]:
    return kind_of(type_text), select_list(type_text)


def _languages(book: Workbook) -> list[str]:
    found: dict[str, None] = {}
    for name in ("survey", "choices"):
        sheet = book.sheet(name)
        for row in sheet.rows if sheet else ():
            for key, value in row.values.items():
                column, _, language = key.partition("::")
                if language and value and column in _TRANSLATED:
                    found[language] = None
    return list(found)


def _relabelled(kind: str, subject: str, old: Row, new: Row, languages: set[str]) -> list[Change]:
    before, after = _labels(old), _labels(new)
    changes = []
    for language in sorted((set(before) | set(after)) & (languages | {""})):
        if before.get(language, "") != after.get(language, ""):
            where = f" ({language})" if language else ""
            detail = (
                f"{where}: {_short(before.get(language, ''))} -> {_short(after.get(language, ''))}"
            )
            changes.append(Change(kind, "relabelled", subject, detail))
    return changes


def _pair_renames(
    removed: list[str], added: list[str], old: Mapping[str, Row], new: Mapping[str, Row],
    same_kind: Callable[[Row, Row], bool], position: Mapping[str, int] | None = None,
) -> list[tuple[str, str]]:  # fmt: skip
    pairs = []
    for name in removed:
        old_labels = set(_labels(old[name]).items())
        for candidate in added:
            if not same_kind(old[name], new[candidate]):
                continue
            same_label = bool(old_labels & set(_labels(new[candidate]).items()))
            same_place = position is not None and position.get(name) == position.get(candidate)
            if same_label or same_place:
                pairs.append((name, candidate))
                added = [a for a in added if a != candidate]
                break
    return pairs


def _question_changes(old: Workbook, new: Workbook, languages: set[str]) -> list[Change]:
    def fields(book: Workbook) -> list[Field]:
        sheet = book.sheet("survey")
        return list_fields(sheet) if sheet else []

    old_fields, new_fields = fields(old), fields(new)
    old_rows = {f.name: f.row for f in old_fields}
    new_rows = {f.name: f.row for f in new_fields}
    place = {f.name: i for i, f in enumerate(old_fields)} | {
        f.name: i for i, f in enumerate(new_fields) if f.name not in old_rows
    }
    removed = [f.name for f in old_fields if f.name not in new_rows]
    added = [f.name for f in new_fields if f.name not in old_rows]
    same = lambda a, b: _type_of(a.get("type")) == _type_of(b.get("type"))  # noqa: E731
    changes = []
    for before, after in _pair_renames(removed, added, old_rows, new_rows, same, place):
        removed.remove(before)
        added.remove(after)
        changes.append(Change("question", "renamed", before, f' to "{after}"'))
    for name in removed:
        changes.append(
            Change("question", "removed", name, f" ({normal_type(old_rows[name].get('type'))})")
        )
    by_name = {f.name: f for f in new_fields}
    for name in added:
        group = by_name[name].parents[-1] if by_name[name].parents else ""
        where = f", in {group}" if group else ""
        changes.append(
            Change(
                "question", "added", name, f" ({normal_type(new_rows[name].get('type'))}{where})"
            )
        )
    for field in old_fields:
        if field.name not in new_rows:
            continue
        before, after = old_rows[field.name], new_rows[field.name]
        if _type_of(before.get("type")) != _type_of(after.get("type")):
            detail = f": {normal_type(before.get('type'))} -> {normal_type(after.get('type'))}"
            changes.append(Change("question", "type changed", field.name, detail))
        changes += _relabelled("question", field.name, before, after, languages)
    return changes


def _choice_rows(book: Workbook) -> dict[str, Row]:
    sheet = book.sheet("choices")
    rows: dict[str, Row] = {}
    for row in sheet.rows if sheet else ():
        if row.get("list_name") and row.get("name"):
            rows.setdefault(f"{row.get('list_name')}/{row.get('name')}", row)
    return rows


def _choice_changes(old: Workbook, new: Workbook, languages: set[str]) -> list[Change]:
    old_rows, new_rows = _choice_rows(old), _choice_rows(new)
    removed = [key for key in old_rows if key not in new_rows]
    added = [key for key in new_rows if key not in old_rows]
    same_list = lambda a, b: a.get("list_name") == b.get("list_name")  # noqa: E731
    changes = []
    for before, after in _pair_renames(removed, added, old_rows, new_rows, same_list):
        removed.remove(before)
        added.remove(after)
        changes.append(Change("choice", "renamed", before, f' to "{after.split("/", 1)[1]}"'))
    changes += [Change("choice", "removed", key) for key in removed]
    changes += [Change("choice", "added", key) for key in added]
    for key, row in old_rows.items():
        if key in new_rows:
            changes += _relabelled("choice", key, row, new_rows[key], languages)
    return changes


def diff_forms(old: Workbook, new: Workbook) -> FormDiff:
    """The changes from `old` to `new` (relabels only in languages both versions have)."""
    old_languages, new_languages = _languages(old), _languages(new)
    translations = [
        Change("translation", "removed", lang)
        for lang in old_languages
        if lang not in new_languages
    ] + [
        Change("translation", "added", lang) for lang in new_languages if lang not in old_languages
    ]
    common = set(old_languages) & set(new_languages)
    return FormDiff(
        questions=tuple(_question_changes(old, new, common)),
        choices=tuple(_choice_changes(old, new, common)),
        translations=tuple(translations),
    )
