from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nswp_survey import __version__
from nswp_survey.cli import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "feedfacefeedfacefeedfacefeedfacefeed1234"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, f"{full} "))
    return found


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"nswp-survey, version {__version__}"


def test_help_lists_every_command_with_a_summary(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in cli.commands:
        assert name in result.output
    for name, command in all_commands(cli):
        assert command.get_short_help_str(), f"{name} has no help text"


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in all_commands(cli):
        if not isinstance(command, click.Group):
            assert f"nswp-survey {name}" in readme, f"README does not mention {name}"


def test_readme_has_the_two_quickstart_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -q -e . && .venv/bin/nswp-survey demo" in readme
    assert "bash scripts/test.sh" in readme
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in ci


def test_config_show_masks_the_token(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSWP_KOBO_TOKEN", TOKEN)
    result = runner.invoke(cli, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kobo"]["token"] == "****1234"
    assert data["kobo"]["url"] == "https://kf.kobotoolbox.org"
    assert TOKEN not in result.output
    table = runner.invoke(cli, ["config", "show"])
    assert table.exit_code == 0
    assert "kobo.token" in table.output
    assert TOKEN not in table.output


def test_config_error_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[kobo]\nurll = 'x'\n")
    result = runner.invoke(cli, ["--config", str(bad), "config", "show"])
    assert result.exit_code == 2
    assert "unknown key kobo.urll" in result.output
    assert str(bad) in result.output
    assert "Traceback" not in result.output


def test_missing_token_exits_2_and_says_where_to_set_it(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["assets", "list"])
    assert result.exit_code == 2
    assert "NSWP_KOBO_TOKEN" in result.output


def test_usage_error_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["no-such-command"])
    assert result.exit_code == 2


def test_help_never_shows_a_token(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSWP_KOBO_TOKEN", TOKEN)
    for name, _ in all_commands(cli):
        result = runner.invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == 0
        assert TOKEN not in result.output


def test_forms_check_passes_the_demo_form(runner: CliRunner) -> None:
    form = REPO_ROOT / "forms" / "demo_pulse.xlsx"
    result = runner.invoke(cli, ["forms", "check", str(form)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"{form}: ok")


def test_forms_check_names_the_cell_and_exits_4(runner: CliRunner) -> None:
    form = REPO_ROOT / "tests" / "forms" / "broken" / "missing_translation.xlsx"
    result = runner.invoke(cli, ["forms", "check", "--no-odk", str(form)])
    assert result.exit_code == 4
    assert "1 problem(s)" in result.output
    assert 'survey!F4 (label::Russian (ru)): missing Russian label for "staff"' in result.output


def test_forms_check_of_a_missing_file_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["forms", "check", "nope.xlsx"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_forms_check_fails_when_the_catalogue_reads_a_missing_field(
    runner: CliRunner, tmp_path: Path
) -> None:
    catalogue = (REPO_ROOT / "config" / "indicators.toml").read_text(encoding="utf-8")
    bad = tmp_path / "indicators.toml"
    bad.write_text(catalogue.replace('field = "ccm_seat"', 'field = "ccm_seats"'), "utf-8")
    form = REPO_ROOT / "forms" / "annual_member_survey.xlsx"
    args = ["forms", "check", "--no-odk", "--catalogue", str(bad), str(form)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 4, result.output
    assert "1 problem(s)" in result.output
    assert "indicator POL-02: field 'ccm_seats' is not in the form" in result.output


def test_forms_check_of_the_survey_includes_the_shipped_catalogue(runner: CliRunner) -> None:
    form = REPO_ROOT / "forms" / "annual_member_survey.xlsx"
    result = runner.invoke(cli, ["forms", "check", "--no-odk", str(form)])
    assert result.exit_code == 0, result.output
