from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.demo import REGION_COUNTRIES, run_demo


def test_run_demo_syncs_every_submission_and_sees_the_edit_and_delete(tmp_path: Path) -> None:
    steps: list[str] = []
    database = tmp_path / "demo.db"
    result = run_demo(submissions=40, seed=7, database=database, on_step=steps.append)
    assert result.posted == 40
    assert result.first_sync.new == 40
    assert (result.first_sync.updated, result.first_sync.deleted) == (0, 0)
    assert result.second_sync.new == 0
    assert result.second_sync.updated == 1
    assert result.second_sync.deleted == 1
    assert result.second_sync.reconciled is True
    assert result.stored == 39
    assert sum(result.by_region.values()) <= 39
    assert set(result.by_region) <= set(REGION_COUNTRIES)
    assert result.asset_uid.startswith("a") and len(result.asset_uid) == 22
    assert result.version_uid and result.version_uid.startswith("v")
    assert any("Posted 40" in step for step in steps)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = run_demo(submissions=15, seed=3, database=tmp_path / "a.db")
    second = run_demo(submissions=15, seed=3, database=tmp_path / "b.db")
    assert first.by_region == second.by_region
    assert first.law_changes == second.law_changes


def test_demo_command_reports_counts(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    result = CliRunner().invoke(
        cli, ["demo", "-n", "12", "--seed", "1", "--database", str(database)]
    )
    assert result.exit_code == 0, result.output
    assert "demo ok: posted 12, synced 12 new; then 1 updated and 1 deleted; 11 in" in result.output
    assert database.exists()


def test_demo_rejects_zero_submissions() -> None:
    result = CliRunner().invoke(cli, ["demo", "-n", "0"])
    assert result.exit_code == 2
    assert "--submissions" in result.output
