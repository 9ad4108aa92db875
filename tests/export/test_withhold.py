"""Withheld countries (domain.md §6): absent from every public table, total and coverage."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from nswp_survey.cli import cli
from nswp_survey.doctor import run_checks
from nswp_survey.export import build_pack, load_export_form
from nswp_survey.indicators import load_frames
from nswp_survey.register import import_register
from nswp_survey.store import make_engine

HEADER = "member_code,region,country,membership_type,regional_network,join_date,left_date,"
HEADER += "preferred_language,active,org_name,contact"
# the fixture's 2025 africa answers: AA-0001 and EE-0005 in Kenya, II-0009 in South Africa
REGISTER = [
    "AA-0001,africa,KEN,full,aswa,2010-01-01,,en,yes,,",
    "EE-0005,africa,KEN,full,aswa,2010-01-01,,en,yes,,",
    "II-0009,africa,ZAF,full,aswa,2010-01-01,,en,yes,,",
    "ZA-0100,africa,ZAF,full,aswa,2010-01-01,,en,yes,,",
]


@pytest.fixture
def engine(tmp_path: Path, export_db: Path):
    """The export fixture plus a register, in a copy of its own."""
    path = tmp_path / "withhold.db"
    shutil.copy(export_db, path)
    engine = make_engine(f"sqlite:///{path}")
    register = tmp_path / "register.csv"
    register.write_text("\n".join([HEADER, *REGISTER]) + "\n", encoding="utf-8")
    import_register(engine, register, as_of=date(2026, 1, 1))
    yield engine
    engine.dispose()


def pack_of(engine, catalogue, **options):
    form = load_export_form(engine)
    frames = load_frames(engine, catalogue, schema=form.schema)
    return build_pack(engine, catalogue, frames, form, 2025, "africa", min_cell=1, **options)


def cells(pack) -> set[str]:
    return {str(v) for table in pack.tables.values() for v in table.astype(str).to_numpy().ravel()}


def cover(pack) -> dict[str, object]:
    table: pd.DataFrame = pack.tables["cover"]
    return dict(zip(table["item"], table["value"], strict=True))


def test_a_withheld_country_is_in_no_public_table_total_or_coverage(
    engine, export_catalogue
) -> None:
    everyone = pack_of(engine, export_catalogue, withhold=())
    assert "Kenya" in cells(everyone)
    assert (cover(everyone)["responses"], cover(everyone)["active members"]) == (3, 4)
    assert cover(everyone)["coverage (%)"] == 75.0
    assert cover(everyone)["countries withheld for safety"] == "no"

    public = pack_of(engine, export_catalogue, withhold=("KEN",))
    assert "Kenya" not in cells(public)
    info = cover(public)
    # South Africa only: 1 of its 2 members answered. Kenya's answers count nowhere, and its
    # members not in the coverage either (or coverage x members - responses would show them).
    assert (info["responses"], info["active members"], info["coverage (%)"]) == (1, 2, 50.0)
    assert info["countries"] == 1
    assert info["countries withheld for safety"] == "yes"
    # nor in the time series: 2024's Kenyan answers are gone too
    series = public.tables["time_series"]
    first = series[series["id"] == "responses"].iloc[0]
    assert int(first["2025"]) == 1


def test_the_internal_tier_keeps_withheld_countries(engine, export_catalogue) -> None:
    internal = pack_of(engine, export_catalogue, tier="internal", withhold=("KEN",))
    assert "Kenya" in cells(internal)
    assert cover(internal)["responses"] == 3
    assert cover(internal)["countries withheld for safety"] == "no"


def test_russia_is_withheld_by_default() -> None:
    from nswp_survey.config import ExportSettings

    assert ExportSettings().withhold_countries == ("RUS",)


def europe_config(tmp_path: Path, db: Path, withhold: str) -> Path:
    path = tmp_path / "nswp.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n[export]\nwithhold_countries = {withhold}\n',
        encoding="utf-8",
    )
    return path


def export_europe(config: Path, out: Path) -> Result:
    args = ["export", "--region", "europe", "--year", "2025", "--lang", "en", "--format", "csv"]
    return CliRunner().invoke(cli, ["--config", str(config), *args, "--out", str(out)])


def csv_text(out: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(out.rglob("*.csv")))


@pytest.mark.parametrize("written", ['["RUS"]', '["rus"]', '[" Rus "]', '["rus", "RUS"]'])
def test_a_withheld_code_counts_in_any_case(tmp_path: Path, europe_db: Path, written) -> None:
    shown = export_europe(europe_config(tmp_path, europe_db, "[]"), tmp_path / "all")
    assert shown.exit_code == 0, shown.output
    assert "Russian Federation" in csv_text(tmp_path / "all")  # the fixture does reach it
    assert "public, 2 responses" in shown.output

    config = europe_config(tmp_path, europe_db, written)
    result = export_europe(config, tmp_path / "out")
    assert result.exit_code == 0, result.output
    text = csv_text(tmp_path / "out")
    assert "Russian Federation" not in text and ",RUS" not in text
    assert "Germany" in text
    assert "public, 1 responses" in result.output
    assert "countries withheld for safety,yes" in text
    listed = CliRunner().invoke(cli, ["--config", str(config), "config", "show", "--json"])
    assert '"withhold_countries": [\n      "RUS"\n    ]' in listed.output


def test_an_unknown_withheld_code_is_refused_everywhere(tmp_path: Path, europe_db: Path) -> None:
    config = europe_config(tmp_path, europe_db, '["RUS", "rsu"]')
    said = "export.withhold_countries has RSU, which is not a country code"
    result = export_europe(config, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert said in result.output and "(did you mean RUS?)" in result.output
    assert not (tmp_path / "out").exists()
    shown = CliRunner().invoke(cli, ["--config", str(config), "config", "show"])
    assert (shown.exit_code, said in shown.output) == (2, True), shown.output
    doctor = CliRunner().invoke(cli, ["--config", str(config), "doctor"])
    assert doctor.exit_code == 1
    assert "doctor: 1 check(s) failed: configuration" in doctor.output
    [check] = run_checks(str(config))
    assert (check.name, check.status) == ("configuration", "fail")
    assert said in check.detail and "(did you mean RUS?)" in check.detail


@pytest.mark.parametrize("code", ["XEU", "BLR"])
def test_codes_of_the_survey_form_and_of_iso_are_accepted(
    tmp_path: Path, europe_db: Path, code: str
) -> None:
    """XEU ("other in Europe") is a choice of the form only, BLR a country of the register
    only: both can be in the data, so both can be withheld."""
    config = europe_config(tmp_path, europe_db, f'["{code}"]')
    shown = CliRunner().invoke(cli, ["--config", str(config), "config", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    assert f'"{code}"' in shown.output
