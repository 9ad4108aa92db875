"""FormFiller on XForms pyxform compiles from small workbooks, with no server."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import openpyxl
from pyxform.xls2xform import convert

from nswp_survey.forms.filler import FormFiller, RandomAnswerer, instance_values
from nswp_survey.forms.questions import check_answers, load_form_model
from nswp_survey.forms.samples import sample_regex

TODAY = date(2026, 6, 15)
EXCLUSIVE_NONE = "not(selected(., 'none') and count-selected(.) > 1)"
SURVEY = [
    ["type", "name", "label", "required", "relevant", "constraint", "calculation",
     "choice_filter", "repeat_count", "appearance"],
    ["select_one yn", "go", "Go?", "yes"],
    ["begin_group", "g", "Group", "", "${go} = 'yes'"],
    ["text", "code", "Code", "yes", "", "regex(., '^[A-Z]{2}-[0-9]{4}$')"],
    ["select_one region", "region", "Region", "yes"],
    ["select_one country", "country", "Country", "yes", "", "", "", "region=${region}"],
    ["integer", "a", "A", "yes", "", ". >= 0 and . <= 50"],
    ["integer", "b", "B", "yes", "", ". >= 0 and . <= 50"],
    ["calculate", "total", "", "", "", "", "${a} + ${b}"],
    ["integer", "part", "Part", "yes", "", ". >= 1 and . <= ${total}"],
    ["integer", "rest", "Rest", "yes", "", ". + ${part} = ${total}"],
    ["select_multiple opts", "opts", "Opts", "yes", "", EXCLUSIVE_NONE],
    ["decimal", "share", "Share", "yes", "", ". > 0.5 and . < 0.75"],
    ["date", "when", "When", "yes", "", ". <= today()", "", "", "", "month-year"],
    ["integer", "n", "How many", "yes", "", ". >= 1 and . <= 10"],
    ["end_group", "g"],
    ["begin_repeat", "item", "Item", "", "${go} = 'yes'", "", "", "", "${n}"],
    ["calculate", "no", "", "", "", "", "position(..)"],
    ["text", "note_text", "Text"],
    ["end_repeat", "item"],
]  # fmt: skip
CHOICES = [
    ["list_name", "name", "label", "region"],
    ["yn", "yes", "Yes"], ["yn", "no", "No"],
    ["region", "north", "North"], ["region", "south", "South"],
    ["country", "AA", "A", "north"], ["country", "BB", "B", "north"],
    ["country", "CC", "C", "south"],
    ["opts", "x", "X"], ["opts", "y", "Y"], ["opts", "none", "None"],
]  # fmt: skip


def compiled(tmp_path: Path) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in SURVEY:
        sheet.append(row)
    choices = book.create_sheet("choices")
    for row in CHOICES:
        choices.append(row)
    path = tmp_path / "logic.xlsx"
    book.save(path)
    return convert(xlsform=str(path), validate=False, form_name="data").xform


def kobo_json(values: dict, prefix: str = "") -> dict:
    """build_instance values -> the data API's shape (full paths, also inside repeats)."""
    out: dict = {}
    for key, value in values.items():
        if isinstance(value, list):
            out[prefix + key] = [kobo_json(item, f"{prefix}{key}/") for item in value]
        else:
            out[prefix + key] = value
    return out


def test_filled_forms_respect_every_bind(tmp_path: Path) -> None:
    model = load_form_model(compiled(tmp_path))
    filler = FormFiller(model, random.Random(4), today=TODAY)
    filled = [instance_values(model, filler.fill(RandomAnswerer())) for _ in range(150)]
    problems = [check_answers(model, kobo_json(v), today=TODAY) for v in filled]
    assert [p for p in problems if p] == []
    answered = [v for v in filled if v.get("go") == "yes"]
    declined = [v for v in filled if v.get("go") == "no"]
    assert answered and declined
    assert all(set(v) <= {"go"} for v in declined)
    for values in answered:
        assert values["g/country"] in {"north": ("AA", "BB"), "south": ("CC",)}[values["g/region"]]
        assert int(values["g/part"]) + int(values["g/rest"]) == int(values["g/total"])
        assert 0.5 < float(values["g/share"]) < 0.75
        assert values["g/when"].endswith("-01") and values["g/when"] <= TODAY.isoformat()
        n = int(values["g/n"])
        assert 1 <= n <= 5  # a repeat's count is capped at max_repeats
        assert [item["no"] for item in values["item"]] == [str(i) for i in range(1, n + 1)]


def test_check_answers_finds_what_breaks_the_form(tmp_path: Path) -> None:
    model = load_form_model(compiled(tmp_path))
    answers = {
        "go": "no",
        "g/code": "ke-1",
        "item": [{"item/no": "1"}],
    }
    assert check_answers(model, answers, today=TODAY) == [
        "g/code: answered ('ke-1') but not relevant",
        "item/no (1): answered ('1') but not relevant",
    ]
    answers = {"go": "yes", "g/code": "ke-1", "g/region": "north", "g/country": "CC",
               "g/a": "1", "g/b": "2", "g/total": "3", "g/part": "1", "g/rest": "1",
               "g/opts": "x none", "g/share": "0.6", "g/when": "2030-01-01",
               "g/n": "0"}  # fmt: skip
    assert check_answers(model, answers, today=TODAY) == [
        "g/code: 'ke-1' fails its constraint",
        "g/country: 'CC' is not among its choices",
        "g/rest: '1' fails its constraint",
        "g/opts: 'x none' fails its constraint",
        "g/when: '2030-01-01' fails its constraint",
        "g/n: '0' fails its constraint",
    ]


def test_regex_samples_match_their_pattern() -> None:
    rng = random.Random(1)
    for pattern in (r"^[A-Z]{2}-[0-9]{4}$", r"^https?://(www\.)?\w+\.org$", r"^(ab|cd)+x?\d$"):
        for _ in range(20):
            assert re.search(pattern, sample_regex(pattern, rng))
