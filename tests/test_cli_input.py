"""Option values a user can get wrong: each is a usage error (exit 2) or one `error:` line,
never a traceback. Found by exploratory testing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.store import make_engine, migrate, transaction, upsert_form


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "nswp.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/n.db"\n', encoding="utf-8")
    migrate(make_engine(f"sqlite:///{tmp_path}/n.db"))  # an empty store, as after install
    return path


def run(config: Path, *args: str):
    return CliRunner(env={"NSWP_KOBO_TOKEN": ""}).invoke(cli, ["--config", str(config), *args])


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--region", "africa", "--year", "0"],
        ["indicators", "--year", "-1"],
        ["coverage", "--year", "99999"],
    ],
)
def test_a_year_out_of_range_is_a_usage_error(config: Path, args: list[str]) -> None:
    result = run(config, *args)
    assert result.exit_code == 2, result.output
    assert "is not in the range 1990<=x<=2100" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_demo_refuses_a_date_whose_survey_year_is_out_of_range(config: Path) -> None:
    result = run(config, "demo", "--as-of", "0001-01-01")
    assert result.exit_code == 2
    assert "give a date between 1991 and 2101" in result.output


@pytest.mark.parametrize("out", ["/proc/no-such-folder", "/dev/null"])
def test_an_export_folder_that_cannot_be_written_is_one_line(config: Path, out: str) -> None:
    result = run(config, "export", "--region", "africa", "--year", "2025", "--out", out)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: cannot write the africa pack under {out}: ")
    assert "choose another --out" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_public_tier_and_sensitive_fields_together_are_refused(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["export", "--region", "africa", "--year", "2025", "--out", str(out)]
    result = run(config, *args, "--tier", "public", "--include-sensitive")
    assert result.exit_code == 2
    assert "--include-sensitive makes an internal pack" in result.output
    assert not out.exists()
    implied = run(config, *args, "--include-sensitive", "--format", "csv")
    assert implied.exit_code == 0, implied.output  # without --tier it still implies internal
    assert "(internal, 0 responses" in implied.output


def test_indicators_refuses_an_unknown_region(config: Path) -> None:
    result = run(config, "indicators", "--year", "2025", "--region", "Africa")
    assert result.exit_code == 2
    assert "unknown region 'Africa'; valid: africa, asia_pacific, europe, lac, nac" in result.output


@pytest.mark.parametrize(
    "args",
    [["export-log", "--limit", "0"], ["sync", "status", "--limit", "-1"], ["sync", "--wait", "-1"]],
)
def test_counts_and_waits_must_be_positive(config: Path, args: list[str]) -> None:
    result = run(config, *args)
    assert result.exit_code == 2, result.output
    assert "is not in the range" in result.output


def test_coverage_of_an_unknown_form_is_refused_not_all_to_remind(config: Path) -> None:
    result = run(config, "coverage", "--year", "2025", "--asset", "aNope")
    assert result.exit_code == 2
    assert "no form aNope in the database (known: none; run nswp-survey sync first)" in (
        result.output
    )
    engine = make_engine(f"sqlite:///{config.parent}/n.db")
    with transaction(engine) as conn:
        upsert_form(conn, "aKnown", name="survey")
    engine.dispose()
    known = run(config, "coverage", "--year", "2025", "--asset", "aKnown", "--format", "json")
    assert known.exit_code == 0, known.output


def test_an_empty_format_list_says_so(config: Path) -> None:
    result = run(config, "export", "--region", "africa", "--year", "2025", "--format", " ,")
    assert result.exit_code == 2
    assert "no format given; valid: xlsx, csv, html (comma-separated)" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "status"],
        ["export-log"],
        ["members", "list"],
        ["coverage"],
        ["indicators", "--year", "2025"],
        ["export", "--region", "africa", "--year", "2025"],
    ],
)
def test_reading_commands_do_not_make_a_database_at_a_mistyped_path(
    tmp_path: Path, args: list[str]
) -> None:
    path = tmp_path / "nswp.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/typo.db"\n', encoding="utf-8")
    result = run(path, *args)
    assert result.exit_code == 6, result.output
    assert f"there is no database at {tmp_path}/typo.db: run nswp-survey sync" in result.output
    assert not (tmp_path / "typo.db").exists()
