"""`nswp-survey deploy`, `forms diff` and `simulate` against a sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nswp_survey.cli import cli
from nswp_survey.sandbox import SandboxServer

from .conftest import BROKEN_FORM, DEMO_FORM, edited_copy


def config_for(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "nswp.toml"
    path.write_text(f'[kobo]\nurl = "{url}"\n[database]\nurl = "sqlite:///{tmp_path / "n.db"}"\n')
    return path


@pytest.fixture
def run(sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NSWP_KOBO_TOKEN", sandbox.token)
    config = config_for(tmp_path, sandbox.url)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), "-q", *args])

    return invoke


def test_deploy_then_unchanged_then_diff_then_simulate(run, tmp_path: Path) -> None:
    first = run("deploy", str(DEMO_FORM), "--no-odk")
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"created: {DEMO_FORM} (form nswp_demo_pulse, version 2026.1)")
    uid = first.output.split(" -> ")[1].split()[0]

    again = run("deploy", str(DEMO_FORM), "--no-odk")
    assert (again.exit_code, again.output.split(":")[0]) == (0, "unchanged")
    assert f"-> {uid} on" in again.output

    changed = edited_copy(
        DEMO_FORM, tmp_path / "p.xlsx", "survey", 3, "label::English (en)", "Code"
    )
    plan = run("deploy", str(changed), "--no-odk", "--dry-run")
    assert (plan.exit_code, plan.output.split(":")[0]) == (0, "would redeploy")

    diff = run("forms", "diff", str(changed))
    assert diff.exit_code == 0, diff.output
    assert diff.output.splitlines() == [
        f"{changed}: 1 change(s) from the version deployed on {uid}",
        '  question "member_code" relabelled (English (en)): "NSWP member code" -> "Code"',
    ]

    posted = run("simulate", "25", "--asset", uid, "--seed", "4")
    assert posted.exit_code == 0, posted.output
    assert posted.output.startswith(f"posted 25 to {uid} (0 already there)")


def test_a_broken_form_exits_4_and_names_the_problem(run) -> None:
    result = run("deploy", str(BROKEN_FORM), "--no-odk")
    assert result.exit_code == 4
    assert "${staf} is not the name of any field" in result.output


def test_an_unknown_asset_exits_3(run) -> None:
    result = run("deploy", str(DEMO_FORM), "--no-odk", "--asset", "aAAAAAAAAAAAAAAAAAAAAA")
    assert result.exit_code == 3


def test_simulate_refuses_a_remote_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NSWP_KOBO_TOKEN", "0123456789abcdef0123456789abcdef01234567")
    config = config_for(tmp_path, "https://kf.kobotoolbox.org")
    result = CliRunner().invoke(cli, ["--config", str(config), "simulate", "5", "--asset", "aX"])
    assert result.exit_code == 2
    assert "--allow-remote" in result.output
