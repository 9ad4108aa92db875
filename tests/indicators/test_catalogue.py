"""The catalogue file: shape errors name the indicator and key; form checks name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from nswp_survey.errors import IndicatorError
from nswp_survey.indicators import check_catalogue_against_form, load_catalogue
from nswp_survey.indicators.catalogue import KINDS

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "config" / "indicators.toml"
FORM = ROOT / "forms" / "annual_member_survey.xlsx"

TITLE = 'title = { en = "T", fr = "T", es = "T", ru = "T", zh = "T" }'


def write(tmp_path: Path, body: str, aliases: str = "") -> Path:
    path = tmp_path / "indicators.toml"
    path.write_text(f"[aliases]\n{aliases}\n\n[[indicator]]\n{body}\n", encoding="utf-8")
    return path


def test_the_real_catalogue_matches_the_form() -> None:
    catalogue = load_catalogue(CATALOGUE)
    assert check_catalogue_against_form(catalogue, FORM) == []
    assert {spec.kind for spec in catalogue.indicators if spec.kind} == set(KINDS)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            f'id = "X-01"\n{TITLE}\nkind = "shares"\nwhere = {{ field = "a", equals = "b" }}',
            "indicator X-01: unknown kind 'shares'",
        ),
        (
            f'id = "X-01"\n{TITLE}\nkind = "share"\nwhere = {{ field = "a", is = "b" }}',
            "indicator X-01: where on field 'a' needs exactly one operator",
        ),
        (
            'id = "X-01"\ntitle = { en = "T" }\nkind = "count"\n'
            'where = { field = "a", not_none = true }',
            "indicator X-01: title needs all of en, fr, es, ru, zh",
        ),
        (f'id = "X-01"\n{TITLE}\nkind = "sum"', "indicator X-01: kind sum needs field"),
        (f'id = "X-01"\n{TITLE}\nkind = "share"\nfeild = "a"', "indicator X-01: unknown key feild"),
        (
            f'id = "X-01"\n{TITLE}\nanalysis = "law"\nmeasure = "all"',
            "indicator X-01: unknown analysis",
        ),
        (
            f'id = "X-01"\n{TITLE}\nkind = "mean"\nfield = "a"\ndisaggregations = ["gender"]',
            "indicator X-01: unknown disaggregation gender",
        ),
        (f'id = "bad id"\n{TITLE}', "malformed id 'bad id'"),
    ],
)
def test_shape_errors_name_the_indicator_and_key(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(IndicatorError, match=message.replace("(", r"\(")):
        load_catalogue(write(tmp_path, body))


def test_duplicate_ids_and_bad_toml(tmp_path: Path) -> None:
    one = f'id = "X-01"\n{TITLE}\nkind = "mean"\nfield = "paid_staff"'
    with pytest.raises(IndicatorError, match="indicator X-01 appears twice"):
        load_catalogue(write(tmp_path, f"{one}\n\n[[indicator]]\n{one}"))
    with pytest.raises(IndicatorError, match="not valid TOML"):
        load_catalogue(write(tmp_path, "id = "))


def test_missing_field_names_the_indicator_and_the_field(tmp_path: Path) -> None:
    body = (
        f'id = "X-01"\n{TITLE}\nkind = "share"\nwhere = {{ field = "ccm_seats", equals = "yes" }}'
    )
    problems = check_catalogue_against_form(load_catalogue(write(tmp_path, body)), FORM)
    assert problems == [f"indicator X-01: field 'ccm_seats' is not in the form {FORM}"]


def test_wrong_choice_operator_or_field_kind(tmp_path: Path) -> None:
    body = (
        f'id = "X-01"\n{TITLE}\nkind = "share"\n'
        'where = [{ field = "ccm_seat", equals = "maybe" },\n'
        '         { field = "ccm_seat", selected = ["yes"] }]'
        f'\n\n[[indicator]]\nid = "X-02"\n{TITLE}\nkind = "sum"\nfield = "region"'
    )
    problems = check_catalogue_against_form(load_catalogue(write(tmp_path, body)), FORM)
    assert problems[0].startswith("indicator X-01: field 'ccm_seat' has no choice 'maybe'")
    assert problems[1] == (
        "indicator X-01: operator selected does not suit field 'ccm_seat' (select_one)"
    )
    assert problems[2] == "indicator X-02: field 'region' is select_one, not a number"


def test_alias_to_a_missing_field(tmp_path: Path) -> None:
    body = f'id = "X-01"\n{TITLE}\nkind = "mean"\nfield = "paid_staff"'
    catalogue = load_catalogue(write(tmp_path, body, aliases='staff = "paid_staf"'))
    problems = check_catalogue_against_form(catalogue, FORM)
    assert problems == ["alias 'staff' -> 'paid_staf': field 'paid_staf' is not in the form"]
