"""`nswp-survey indicators` on the hand-worked year: formats, filters, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.store import make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path, database: Path) -> Path:
    path = tmp_path / "nswp.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), "indicators", *args])


def test_json_has_values_numerators_denominators_and_n(config: Path) -> None:
    result = run(config, "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["responses"] == 5
    got = {item["id"]: item for item in data["indicators"]}
    assert (got["POL-02"]["numerator"], got["POL-02"]["denominator"], got["POL-02"]["n"]) == (
        3,
        5,
        5,
    )
    assert got["MEM-01"]["error"].startswith("indicator MEM-01 needs the register")


def test_csv_by_region_in_french(config: Path) -> None:
    result = run(
        config,
        "--year",
        "2025",
        "--by",
        "region",
        "--lang",
        "fr",
        "--format",
        "csv",
        "--id",
        "ORG-01",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["title"] == "Organisations dirigées par des travailleur·ses du sexe"
    africa = next(r for r in rows if r["region"] == "Afrique")
    assert (africa["numerator"], africa["denominator"]) == ("2", "3")


def test_table_for_a_region(config: Path) -> None:
    result = run(config, "--year", "2025", "--region", "africa", "--id", "POL-02")
    assert result.exit_code == 0, result.output
    assert "POL-02" in result.output
    assert "66.7%" in result.output  # S1 yes, S6 no, S11 yes
    assert "R = 3 counted responses" in result.output


def test_catalogue_field_missing_from_the_form_exits_1_naming_both(config: Path, tmp_path: Path):
    text = (ROOT / "config" / "indicators.toml").read_text(encoding="utf-8")
    bad = tmp_path / "indicators.toml"
    bad.write_text(text.replace('field = "ccm_seat"', 'field = "ccm_seats"'), encoding="utf-8")
    result = run(
        config,
        "--year",
        "2025",
        "--catalogue",
        str(bad),
        "--form",
        str(ROOT / "forms" / "annual_member_survey.xlsx"),
    )
    assert result.exit_code == 1
    assert "indicator POL-02: field 'ccm_seats' is not in the form" in result.output


def test_malformed_catalogue_exits_1(config: Path, tmp_path: Path) -> None:
    bad = tmp_path / "indicators.toml"
    bad.write_text('[[indicator]]\nid = "X-01"\ntitle = { en = "x" }\nkind = "share"\n')
    result = run(config, "--year", "2025", "--catalogue", str(bad))
    assert result.exit_code == 1
    assert "indicator X-01: title needs all of en, fr, es, ru, zh" in result.output


def test_unknown_disaggregation_is_a_usage_error(config: Path) -> None:
    result = run(config, "--year", "2025", "--by", "gender")
    assert result.exit_code == 2


def test_table_headers_follow_the_language(config: Path) -> None:
    french = run(config, "--year", "2025", "--id", "POL-02", "--lang", "fr")
    assert french.exit_code == 0, french.output
    header = next(line for line in french.output.splitlines() if "ID" in line)
    assert "Valeur" in header and "Indicateur" in header
    assert "Value" not in header


def test_an_empty_database_gives_zero_responses_not_a_crash(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    migrate(make_engine(f"sqlite:///{empty}"))
    config = tmp_path / "empty.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{empty}"\n', encoding="utf-8")
    result = run(config, "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["responses"] == 0
    got = {item["id"]: item for item in data["indicators"]}
    assert got["ORG-01"]["value"] is None and got["ORG-01"]["n"] == 0
    assert got["LAW-02"]["value"] is None  # nothing answered: unknown, not 0
