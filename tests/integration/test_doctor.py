from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.doctor import run_checks
from nswp_survey.sandbox import SandboxServer

from .conftest import DeployedForm


def config_for(tmp_path: Path, url: str, assets: list[str], db: Path) -> Path:
    path = tmp_path / "nswp.toml"
    uids = ", ".join(f'"{uid}"' for uid in assets)
    path.write_text(
        f'[kobo]\nurl = "{url}"\nasset_uids = [{uids}]\n[database]\nurl = "sqlite:///{db}"\n'
    )
    return path


def by_name(checks: list) -> dict[str, tuple[str, str]]:
    return {c.name: (c.status, c.detail) for c in checks}


def test_doctor_passes_on_a_good_setup(
    sandbox: SandboxServer,
    deployed: DeployedForm,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NSWP_KOBO_TOKEN", sandbox.token)
    config = config_for(tmp_path, sandbox.url, [deployed.asset_uid], tmp_path / "n.db")
    checks = by_name(run_checks(str(config)))
    assert checks["token"][0] == "ok"
    assert checks["server"] == ("ok", f"{sandbox.url} accepts the token (1 forms)")
    assert checks[f"form {deployed.asset_uid}"][0] == "ok"
    assert checks["database"][0] == "ok"
    assert checks["encryption"][0] == "warn"  # plain http to 127.0.0.1
    result = CliRunner().invoke(cli, ["--config", str(config), "doctor"])
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.output
    assert sandbox.token not in result.output


def test_doctor_names_what_is_wrong(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setenv("NSWP_KOBO_TOKEN", bad)
    db = tmp_path / "n.db"
    db.write_bytes(b"")
    os.chmod(db, 0o644)
    config = config_for(tmp_path, sandbox.url, [], db)
    checks = by_name(run_checks(str(config)))
    assert checks["server"][0] == "fail"
    assert "Invalid token" in checks["server"][1]
    assert checks["database"] == ("fail", f"{db} is readable by others (mode 644)")
    assert checks["forms"][0] == "warn"
    result = CliRunner().invoke(cli, ["--config", str(config), "doctor"])
    assert result.exit_code == 1
    assert "check(s) failed: server, database" in result.output
    assert bad not in result.output


def test_doctor_reports_a_broken_config_instead_of_crashing(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[kobo]\ntoken = 'x'\n")
    checks = run_checks(str(config))
    assert [(c.name, c.status) for c in checks] == [("configuration", "fail")]
    assert "NSWP_KOBO_TOKEN" in checks[0].detail


def test_folders_open_to_others_fail_with_the_fix(tmp_path: Path) -> None:
    exports, files = tmp_path / "exports", tmp_path / "files"
    exports.mkdir(mode=0o755)
    exports.chmod(0o755)
    files.mkdir(mode=0o700)
    config = tmp_path / "nswp.toml"
    config.write_text(
        f'[sync]\nattachments_dir = "{files}"\n[export]\ndir = "{exports}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path}/n.db"\n',
        encoding="utf-8",
    )
    checks = {c.name: c for c in run_checks(str(config))}
    assert checks["exports"].status == "fail"
    assert "mode 755" in checks["exports"].detail and "chmod 700" in checks["exports"].fix
    assert checks["attachments"].status == "ok"
    exports.chmod(0o700)
    again = {c.name: c for c in run_checks(str(config))}
    assert again["exports"].status == "ok"


def test_doctor_reports_what_a_killed_export_left(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    leftover = exports / ".nswp-export-k1lled.partial" / "packs" / "2025" / "africa"
    leftover.mkdir(parents=True, mode=0o700)
    exports.chmod(0o700)
    config = tmp_path / "nswp.toml"
    config.write_text(
        f'[export]\ndir = "{exports}"\n[database]\nurl = "sqlite:///{tmp_path}/n.db"\n',
        encoding="utf-8",
    )
    found = {c.name: c for c in run_checks(str(config))}["export leftovers"]
    assert (found.status, found.detail) == (
        "warn",
        f"1 temporary folder(s) of an interrupted export in {exports}: .nswp-export-k1lled.partial",
    )
    assert found.fix == "run nswp-survey export again: it finishes or removes them first"
    assert leftover.is_dir()  # doctor changes nothing
    fd = os.open(exports, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # an export is writing there: its folder is no leftover
        assert "export leftovers" not in {c.name for c in run_checks(str(config))}
    finally:
        os.close(fd)
