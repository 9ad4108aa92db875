from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.demo import run_demo

TODAY = date(2026, 11, 24)


def test_run_demo_deploys_answers_syncs_reconciles_and_counts_coverage(tmp_path: Path) -> None:
    steps: list[str] = []
    database = tmp_path / "demo.db"
    exports = tmp_path / "exports"
    result = run_demo(seed=7, database=database, exports=exports, today=TODAY, on_step=steps.append)
    assert result.year == 2025
    assert result.deployed.action == "created"
    assert result.register.added == 28
    # 25 members active at the end of 2025 (sample register); 80% of them = 20 answer, plus
    # one answer whose code is not in the register.
    assert result.simulated.posted == 21
    assert result.first_sync.new == 21
    assert (result.second_sync.updated, result.second_sync.deleted) == (1, 1)
    assert result.second_sync.reconciled is True
    coverage = result.coverage
    assert coverage.total.active == 25
    assert len(coverage.flagged("unknown_code")) == 1
    # One register member's answer was deleted and another's rejected on the server: the
    # deleted one never counts, the "not approved" one is excluded, so 20 - 2 = 18.
    assert coverage.total.responded == 18
    assert len(coverage.pending) == 25 - 18
    assert sum(cell.active for cell in coverage.by_region) == 25
    assert any("deployed it as asset" in step for step in steps)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    # each region in its publication languages (domain.md §5)
    published = [
        ("africa", "en"), ("africa", "fr"), ("asia_pacific", "en"), ("asia_pacific", "zh"),
        ("europe", "en"), ("europe", "ru"), ("lac", "es"), ("nac", "en"), ("global", "en"),
    ]  # fmt: skip
    assert result.packs == [
        exports / "2025" / region / f"nswp-{region}-2025-{lang}.xlsx" for region, lang in published
    ]
    html = (exports / "2025" / "asia_pacific" / "nswp-asia_pacific-2025-zh.html").read_text()
    assert "亚太地区" in html
    sheets = openpyxl.load_workbook(result.packs[0], read_only=True).sheetnames
    assert {"cover", "indicators", "law_changes", "dictionary"} <= set(sheets)
    assert all(stat.S_IMODE(pack.stat().st_mode) == 0o600 for pack in result.packs)
    # secrets and identities in the exports: tests/reliability/test_secrets.py


def test_demo_command_reports_coverage(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    args = ["demo", "--seed", "1", "--database", str(database), "--as-of", "2026-11-24"]
    args += ["--exports", str(tmp_path / "exports")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "demo ok: 21 answers posted, 21 synced; then 1 updated and 1 deleted" in result.output
    assert "survey year 2025: 18 of 25 active members answered (72.0%)" in result.output
    assert database.exists()
    assert "regional pack: " in result.output
    assert "nswp-global-2025-en.xlsx (report: nswp-global-2025-en.html)" in result.output
