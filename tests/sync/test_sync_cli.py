"""`nswp-survey sync`, `sync status` and `schedule` as a user runs them."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.config import SyncSettings
from nswp_survey.errors import ConfigError, SyncError
from nswp_survey.sandbox import Faults, SandboxServer
from nswp_survey.scheduler import JOB_ID, make_scheduler, make_trigger, run_logged
from nswp_survey.store import last_runs, make_engine, transaction

from .conftest import Survey


def write_config(path: Path, server: SandboxServer, survey: Survey, database_url: str) -> Path:
    path.write_text(
        f'[kobo]\nurl = "{server.url}"\nasset_uids = ["{survey.asset_uid}"]\npage_size = 10\n'
        f'max_retries = 1\nbackoff = 0.0\n[database]\nurl = "{database_url}"\n'
        "[sync]\ninterval_minutes = 1\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path, sandbox: SandboxServer, survey: Survey) -> Path:
    return write_config(tmp_path / "nswp.toml", sandbox, survey, f"sqlite:///{tmp_path}/n.db")


def test_sync_command_reports_counts_and_status_shows_the_cursor(
    config: Path, sandbox: SandboxServer, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey.add(23)
    monkeypatch.setenv("NSWP_KOBO_TOKEN", sandbox.token)
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "sync"])
    assert result.exit_code == 0, result.output
    assert f"synced {survey.asset_uid}: 23 new, 0 updated, 0 deleted" in result.output
    status = runner.invoke(cli, ["--config", str(config), "sync", "status"])
    assert status.exit_code == 0, status.output
    assert f"{survey.asset_uid}: cursor _id={max(survey.server_ids())}" in status.output
    assert sandbox.token not in result.output + status.output


def test_sync_that_cannot_finish_exits_5(
    config: Path, sandbox: SandboxServer, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey.add(5)
    monkeypatch.setenv("NSWP_KOBO_TOKEN", sandbox.token)
    sandbox.set_faults(Faults(error_rate=1.0))
    result = CliRunner().invoke(cli, ["--config", str(config), "sync"])
    assert result.exit_code == 5
    assert "error: sync of" in result.output
    assert "Traceback" not in result.output


def test_sync_without_a_token_exits_2(config: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "sync"])
    assert result.exit_code == 2
    assert "NSWP_KOBO_TOKEN" in result.output


def test_triggers_follow_the_configuration() -> None:
    interval = make_trigger(SyncSettings(interval_minutes=15))
    assert isinstance(interval, IntervalTrigger)
    assert interval.interval.total_seconds() == 900
    cron = make_trigger(SyncSettings(cron="0 6 * * *"))
    assert isinstance(cron, CronTrigger)
    assert str(cron.fields[5]) == "6"  # hour
    with pytest.raises(ConfigError, match=r"not a cron expression .*: five fields"):
        SyncSettings(cron="every day")  # refused with the configuration, before any run


def test_the_scheduled_job_coalesces_and_never_overlaps() -> None:
    scheduler = make_scheduler(SyncSettings(interval_minutes=5), lambda: [])
    job = scheduler.get_job(JOB_ID)
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time is None
    assert job.next_run_time is not None  # runs once at start


def test_a_failed_scheduled_run_is_logged_and_does_not_stop_the_schedule(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def failing() -> list[str]:
        raise SyncError("sync of aX stopped: server down")

    caplog.set_level(logging.INFO)
    run_logged(failing)
    run_logged(lambda: ["aX: 3 new"])
    assert "sync failed: sync of aX stopped: server down" in caplog.text
    assert "sync ok: aX: 3 new" in caplog.text


def sigterm_when(
    config: Path, token: str, tmp_path: Path, command: str, ready: Callable[[list[Any]], bool]
) -> tuple[subprocess.Popen[str], str, list[Any]]:
    """Run `nswp-survey <command>` in a process, SIGTERM it once `ready(last runs)` holds;
    (the process, its stderr, the runs after it ended)."""
    env = {**os.environ, "NSWP_KOBO_TOKEN": token}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nswp_survey", "--config", str(config), command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = make_engine(f"sqlite:///{tmp_path}/n.db")
    try:
        runs: list[Any] = []
        for _ in range(200_000):  # bounded wait, no sleep
            if proc.poll() is not None:
                break
            try:
                with transaction(engine) as conn:
                    runs = last_runs(conn, 5)
            except Exception:  # noqa: S112 - tables not created yet
                continue
            if ready(runs):
                break
        assert ready(runs), f"{command} never got ready before it ended"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        with transaction(engine) as conn:
            return proc, stderr, last_runs(conn, 5)
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()


def test_schedule_runs_a_sync_and_stops_cleanly_on_sigterm(
    config: Path, sandbox: SandboxServer, survey: Survey, tmp_path: Path
) -> None:
    survey.add(4)
    proc, stderr, _runs = sigterm_when(
        config,
        sandbox.token,
        tmp_path,
        "schedule",
        lambda runs: any(r.status == "ok" for r in runs),
    )
    assert proc.returncode == 0, stderr
    assert "stopping the scheduler" in stderr
    assert "4 new" in stderr
    assert sandbox.token not in stderr
    # not a terminal (systemd, cron, a file): one line per record, ISO 8601 time first
    lines = [line for line in stderr.splitlines() if line]
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (DEBUG|INFO|WARNING|ERROR) ")
    assert lines and all(iso.match(line) for line in lines), stderr
    assert any(" INFO nswp_survey.scheduler: sync ok: " in line for line in lines), stderr


def test_without_configured_forms_deploy_then_simulate_then_sync_find_the_form(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "nswp.toml"
    config.write_text(
        f'[kobo]\nurl = "{sandbox.url}"\n[database]\nurl = "sqlite:///{tmp_path}/n.db"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NSWP_KOBO_TOKEN", sandbox.token)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--config", str(config), *args])
        assert result.exit_code == 0, result.output
        return result.output

    nothing = runner.invoke(cli, ["--config", str(config), "sync"])
    assert nothing.exit_code == 2  # a configuration to complete, not a failed sync
    assert "deploy one with nswp-survey deploy" in nothing.output
    form = Path(__file__).resolve().parents[2] / "forms" / "demo_pulse.xlsx"
    deployed = run("deploy", str(form), "--no-odk")
    uid = deployed.split(" -> ")[1].split()[0]
    assert f"posted 4 to {uid}" in run("simulate", "4")
    assert f"synced {uid}: 4 new, 0 updated, 0 deleted" in run("sync")


def test_sigterm_closes_the_run_and_exits_130(
    config: Path, sandbox: SandboxServer, survey: Survey, tmp_path: Path
) -> None:
    survey.add(60)
    sandbox.injector.configure(Faults(latency=0.2))  # six slow pages: time to stop it
    try:  # stopped once the first page is committed
        proc, stderr, runs = sigterm_when(
            config, sandbox.token, tmp_path, "sync", lambda runs: bool(runs and runs[0].pages)
        )
    finally:
        sandbox.injector.configure(Faults())
    run = runs[0]
    assert proc.returncode == 130, stderr
    assert stderr.strip().endswith("interrupted")
    # closed at once, not left "running" until the next sync
    assert (run.status, run.finished_at is not None) == ("failed", True)
    assert run.error is not None and run.error.startswith("interrupted (Ctrl-C or SIGTERM)")
    assert 1 <= run.pages < 6
