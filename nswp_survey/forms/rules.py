"""The project's own rules for an XLSForm, beyond what pyxform and ODK Validate check.

- Translations: every label, hint, guidance hint, constraint and required message, and every
  choice label, is given in all the form's languages wherever the row has that text in any
  language; questions need a label (calculate, hidden, metadata such as start/end/today and the
  begin/end markers do not).
- Names: present, valid XML names, and unique in the whole form (KPI rejects duplicates even
  in different groups); choice names unique within their list.
- Choice lists: every `select_one/select_multiple/rank LIST` list is on the choices sheet.
- Data protection (domain.md §6): no question type that records location, photos, recordings,
  files or device/account identifiers, and no field whose name suggests personal identity.
- `nswp_sensitive` holds only high, medium or nothing (blank = low).
References and cycles in the form's logic are in `logic.py`; the settings `deploy` needs
(form_id, version, default_language) in `settings.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nswp_survey.forms.fields import BEGIN_KINDS, END_KINDS, kind_of, list_fields, select_list
from nswp_survey.forms.logic import check_logic
from nswp_survey.forms.problem import Problem, problem_at
from nswp_survey.forms.settings import check_settings
from nswp_survey.forms.workbook import Row, Sheet, Workbook

DEFAULT_LANGUAGES = ("English (en)", "French (fr)", "Spanish (es)", "Russian (ru)", "Chinese (zh)")
SURVEY_TEXT_KINDS = ("label", "hint", "guidance_hint", "constraint_message", "required_message")
CHOICE_TEXT_KINDS = ("label",)
SENSITIVITY_COLUMN = "nswp_sensitive"
SENSITIVITY_VALUES = frozenset({"high", "medium"})

# Kinds that need no label: hidden values, metadata recorded by the device, group markers.
NO_LABEL_KINDS = frozenset(
    {"calculate", "hidden", "start", "end", "today", "audit", "xml-external", "csv-external"}
    | BEGIN_KINDS
    | END_KINDS
)

_LOCATION = "records where the respondent is"
_MEDIA = "records photos, voices or documents that can identify people"
_DEVICE = "records an identifier of the phone or of its user"
# Question types never allowed in a survey of organisations of a criminalised population,
# pyxform's aliases included (pyxform/question_type_dictionary.py, aliases.py).
FORBIDDEN_TYPES = {
    "geopoint": _LOCATION,
    "geotrace": _LOCATION,
    "geoshape": _LOCATION,
    "gps": _LOCATION,
    "location": _LOCATION,
    "start-geopoint": _LOCATION,
    "add location prompt": _LOCATION,
    "image": _MEDIA,
    "photo": _MEDIA,
    "add image prompt": _MEDIA,
    "add photo prompt": _MEDIA,
    "audio": _MEDIA,
    "add audio prompt": _MEDIA,
    "background-audio": _MEDIA,
    "video": _MEDIA,
    "add video prompt": _MEDIA,
    "file": _MEDIA,
    "add file prompt": _MEDIA,
    "deviceid": _DEVICE,
    "imei": _DEVICE,
    "phonenumber": _DEVICE,
    "simserial": _DEVICE,
    "subscriberid": _DEVICE,
    "username": _DEVICE,
    "email": _DEVICE,
}
# Words in a field name (split at _ - . digits and camelCase) that suggest the field holds
# personal identity: names, contact details, addresses and places, pictures, identity numbers,
# birth dates, HIV status. Organisations are identified only by `member_code` (domain.md §6).
IDENTITY_WORDS = frozenset(
    {
        "name", "names", "firstname", "lastname", "surname", "fullname", "nickname", "username",
        "phone", "telephone", "tel", "mobile", "cellphone", "whatsapp", "telegram",
        "email", "mail",
        "address", "street", "postcode", "zipcode",
        "gps", "latitude", "longitude", "coordinates", "geolocation",
        "photo", "selfie", "picture", "signature",
        "passport", "ssn", "imei", "deviceid",
        "birthdate", "birthday", "dob",
    }
)  # fmt: skip
IDENTITY_PHRASES = (("date", "of", "birth"), ("national", "id"), ("id", "number"),
                    ("id", "card"), ("hiv", "status"))  # fmt: skip
XML_NAME = re.compile(r"^[^\W\d][\w.\-]*$")
_PRIVACY_FIX = (
    "remove it: domain.md §6 forbids collecting location, photos, recordings, files and "
    "device or account identifiers"
)


def language_name(language: str) -> str:
    """'French (fr)' -> 'French'."""
    return language.split(" (", 1)[0]


def name_words(name: str) -> list[str]:
    """'workerName_2' -> ['worker', 'name']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return [word for word in re.split(r"[^a-z]+", spaced) if word]


def identity_hint(name: str) -> str | None:
    """The word or phrase in `name` that suggests personal identity data, if any."""
    words = name_words(name)
    for word in words:
        if word in IDENTITY_WORDS:
            return word
    for phrase in IDENTITY_PHRASES:
        for start in range(len(words) - len(phrase) + 1):
            if tuple(words[start : start + len(phrase)]) == phrase:
                return "_".join(phrase)
    return None


def _survey_subject(row: Row) -> str:
    name = row.get("name")
    return f'"{name}"' if name else f"the {row.get('type') or 'untyped'} row"


def _choice_subject(row: Row) -> str:
    return f'choice "{row.get("name")}" in list "{row.get("list_name")}"'


def check_translations(
    sheet: Sheet, kinds: Sequence[str], languages: Sequence[str], *, choices: bool = False
) -> tuple[list[Problem], list[str]]:
    """Every text kind present on a row is given in every language; labels where required."""
    problems: list[Problem] = []
    warnings: list[str] = []
    subject = _choice_subject if choices else _survey_subject

    def needs_label(row: Row) -> bool:
        if choices:
            return bool(row.get("list_name"))
        return bool(row.get("type")) and kind_of(row.get("type")) not in NO_LABEL_KINDS

    for kind in kinds:
        columns = [h for h in sheet.headers if h == kind or h.startswith(f"{kind}::")]
        if not columns:
            if kind == "label" and any(needs_label(row) for row in sheet.rows):
                problems.append(
                    problem_at(
                        sheet,
                        1,
                        None,
                        "no label columns",
                        f"add label::{languages[0]} and a column for each other language",
                    )
                )
            continue
        by_language: dict[str, str] = {}
        for header in columns:
            language = header.partition("::")[2]
            if not language:
                problems.append(
                    problem_at(
                        sheet,
                        1,
                        header,
                        f'the "{kind}" column names no language',
                        f'rename it "{kind}::{languages[0]}" (or the language it is in)',
                    )
                )
            elif language in languages:
                by_language[language] = header
            else:
                warnings.append(
                    f"{sheet.title}!{sheet.letter(header)}1: column {header} is in a language "
                    f"the form does not need ({language})"
                )
        for language in languages:
            if language not in by_language:
                problems.append(
                    problem_at(
                        sheet,
                        1,
                        None,
                        f'no "{kind}::{language}" column',
                        f"add it with the {language_name(language)} text of every row",
                    )
                )
        for row in sheet.rows:
            has_text = any(row.get(header) for header in columns)
            if not has_text:
                if kind == "label" and needs_label(row):
                    first = by_language.get(languages[0], columns[0])
                    problems.append(
                        problem_at(
                            sheet,
                            row.number,
                            first,
                            f"no label for {subject(row)}",
                            f"add it in all {len(languages)} languages",
                        )
                    )
                continue
            for language, header in by_language.items():
                if not row.get(header):
                    problems.append(
                        problem_at(
                            sheet,
                            row.number,
                            header,
                            f"missing {language_name(language)} "
                            f"{kind.replace('_', ' ')} for {subject(row)}",
                            "add it",
                        )
                    )
    return problems, warnings


def check_names(survey: Sheet, choices: Sheet | None) -> list[Problem]:
    """Names present, valid XML names, unique in the form; choice names unique per list."""
    problems: list[Problem] = []
    if not survey.has("name") and survey.rows:
        return [problem_at(survey, 1, None, "no name column", "add a name column")]
    seen: dict[str, int] = {}
    for row in survey.rows:
        kind = kind_of(row.get("type"))
        name = row.get("name")
        if not kind:
            problems.append(
                problem_at(
                    survey,
                    row.number,
                    "type",
                    "the row has no type",
                    "add a type or delete the row",
                )
            )
            continue
        if kind in END_KINDS:
            continue
        if not name:
            problems.append(
                problem_at(
                    survey,
                    row.number,
                    "name",
                    f'the "{row.get("type")}" row has no name',
                    "add a unique name",
                )
            )
            continue
        if not XML_NAME.match(name):
            problems.append(
                problem_at(
                    survey,
                    row.number,
                    "name",
                    f'"{name}" is not a valid name',
                    "start with a letter or _, then use only letters, digits, _ - or .",
                )
            )
        if name in seen:
            problems.append(
                problem_at(
                    survey,
                    row.number,
                    "name",
                    f'name "{name}" is already used in row {seen[name]}',
                    "rename one of them: KPI rejects duplicate names, even in different groups",
                )
            )
        else:
            seen[name] = row.number
    if choices is not None:
        lists: dict[tuple[str, str], int] = {}
        for row in choices.rows:
            list_name, name = row.get("list_name"), row.get("name")
            if not list_name:
                continue
            if not name:
                problems.append(
                    problem_at(
                        choices,
                        row.number,
                        "name",
                        f'a choice in list "{list_name}" has no name',
                        "add a name",
                    )
                )
            elif (list_name, name) in lists:
                problems.append(
                    problem_at(
                        choices,
                        row.number,
                        "name",
                        f'choice "{name}" appears twice in list "{list_name}" '
                        f"(also row {lists[list_name, name]})",
                        "remove or rename one of them",
                    )
                )
            else:
                lists[list_name, name] = row.number
    return problems


def check_lists(survey: Sheet, choices: Sheet | None) -> list[Problem]:
    """Every list a select or rank question names is on the choices sheet."""
    known = {row.get("list_name") for row in choices.rows} if choices else set()
    problems = []
    for row in survey.rows:
        list_name = select_list(row.get("type"))
        if list_name and list_name not in known:
            if choices is not None:
                message = f'choice list "{list_name}" is not on the choices sheet'
                fix = "add its choices there, or correct the list name"
            else:
                message = (
                    f'choice list "{list_name}" is not defined: the workbook has no choices sheet'
                )
                fix = 'add a sheet named "choices" with its choices, or correct the list name'
            problems.append(problem_at(survey, row.number, "type", message, fix))
    return problems


def check_privacy(survey: Sheet) -> list[Problem]:
    """No forbidden question types, no identity-suggesting names, valid nswp_sensitive."""
    problems = []
    for row in survey.rows:
        type_text = " ".join(row.get("type").split()).lower()
        reason = FORBIDDEN_TYPES.get(type_text) or FORBIDDEN_TYPES.get(kind_of(type_text))
        if reason:
            problems.append(
                problem_at(survey, row.number, "type", f'type "{type_text}" {reason}', _PRIVACY_FIX)
            )
        elif kind_of(type_text) == "audit" and "location" in row.get("parameters"):
            problems.append(
                problem_at(
                    survey,
                    row.number,
                    "parameters",
                    f"the audit log {_LOCATION}",
                    "remove the location- parameters",
                )
            )
        name = row.get("name")
        word = identity_hint(name) if name and kind_of(type_text) not in END_KINDS else None
        if word:
            problems.append(
                problem_at(
                    survey,
                    row.number,
                    "name",
                    f'name "{name}" suggests personal identity data ("{word}")',
                    "do not collect it: people and organisations are identified only through "
                    "member_code (domain.md §6)",
                )
            )
        sensitivity = row.get(SENSITIVITY_COLUMN)
        if sensitivity and sensitivity not in SENSITIVITY_VALUES:
            problems.append(
                problem_at(
                    survey,
                    row.number,
                    SENSITIVITY_COLUMN,
                    f'nswp_sensitive is "{sensitivity}"',
                    "write high or medium, or leave it blank for low",
                )
            )
    return problems


def check_rules(
    book: Workbook, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> tuple[list[Problem], list[str]]:
    """All the rules above for a workbook that has a survey sheet: (problems, warnings)."""
    survey = book.sheet("survey")
    if survey is None:
        raise ValueError("check_rules needs a survey sheet; the caller reports its absence")
    choices = book.sheet("choices")
    problems, warnings = check_translations(survey, SURVEY_TEXT_KINDS, languages)
    if choices is not None:
        more, more_warnings = check_translations(
            choices, CHOICE_TEXT_KINDS, languages, choices=True
        )
        problems += more
        warnings += more_warnings
    problems += check_names(survey, choices)
    problems += check_lists(survey, choices)
    problems += check_privacy(survey)
    problems += check_logic(survey, list_fields(survey))
    problems += check_settings(book)
    return problems, warnings
