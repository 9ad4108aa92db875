from __future__ import annotations

from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.demo import REGION_COUNTRIES, run_demo


def test_run_demo_posts_and_pulls_back_every_submission() -> None:
    steps: list[str] = []
    result = run_demo(submissions=40, seed=7, on_step=steps.append)
    assert result.posted == 40
    assert result.pulled == 40
    assert result.pages == 1
    assert sum(result.by_region.values()) == 40
    assert set(result.by_region) <= {*REGION_COUNTRIES, "(no consent)"}
    assert result.asset_uid.startswith("a") and len(result.asset_uid) == 22
    assert result.version_uid and result.version_uid.startswith("v")
    assert any("Posted 40" in step for step in steps)


def test_demo_is_deterministic_for_a_seed() -> None:
    first = run_demo(submissions=15, seed=3)
    second = run_demo(submissions=15, seed=3)
    assert first.by_region == second.by_region
    assert first.law_changes == second.law_changes


def test_demo_command_reports_counts() -> None:
    result = CliRunner().invoke(cli, ["demo", "-n", "12", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "demo ok: posted 12, pulled back 12 in 1 page(s)" in result.output


def test_demo_rejects_zero_submissions() -> None:
    result = CliRunner().invoke(cli, ["demo", "-n", "0"])
    assert result.exit_code == 2
    assert "--submissions" in result.output
