"""Practice keeps its own database: the demo's and a sandbox's never land in the real one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.config import DEFAULT_DATABASE_URL, SANDBOX_DATABASE_URL, settings_from_dict
from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import make_engine, migrate, transaction, upsert_form

REPO_ROOT = Path(__file__).resolve().parents[2]
PULSE_FORM = REPO_ROOT / "forms" / "demo_pulse.xlsx"


def real_database(path: Path) -> str:
    """A database holding a form of the real server; returns its content's digest."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with transaction(engine) as conn:
        upsert_form(conn, "aRealForm", name="real", server_url="https://kf.kobotoolbox.org")
    engine.dispose()
    return digest(path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def config_with_database(tmp_path: Path, database: Path) -> Path:
    config = tmp_path / "nswp.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    return config


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"kobo": {"url": "http://127.0.0.1:8765"}}, SANDBOX_DATABASE_URL),
        ({"kobo": {"url": "http://localhost:8765"}}, SANDBOX_DATABASE_URL),
        ({"kobo": {"url": "https://eu.kobotoolbox.org"}}, DEFAULT_DATABASE_URL),
        ({}, DEFAULT_DATABASE_URL),
        (
            {"kobo": {"url": "http://127.0.0.1:8765"}, "database": {"url": "sqlite:///x.db"}},
            "sqlite:///x.db",
        ),
    ],
)
def test_a_sandbox_kobo_url_defaults_to_its_own_database(raw: dict, expected: str) -> None:
    assert settings_from_dict(raw).database.url == expected


def test_deploying_to_a_sandbox_writes_the_sandbox_database(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = tmp_path / "sandbox.toml"
    config.write_text(f'[kobo]\nurl = "{sandbox.url}"\n', encoding="utf-8")
    runner = CliRunner(env={"NSWP_KOBO_TOKEN": sandbox.token})
    result = runner.invoke(cli, ["--config", str(config), "deploy", str(PULSE_FORM), "--no-odk"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "nswp-survey-sandbox.db").is_file()
    assert not (tmp_path / "data" / "nswp-survey.db").exists()


def test_the_demo_refuses_to_replace_the_configured_database(tmp_path: Path) -> None:
    database = tmp_path / "real.db"
    before = real_database(database)
    config = config_with_database(tmp_path, database)
    result = CliRunner().invoke(cli, ["--config", str(config), "demo", "--database", str(database)])
    assert result.exit_code == 2, result.output
    assert " ".join(result.output.split()) == (
        f"error: --database {database} is the configured database (database.url in {config}): "
        "the demo replaces its database on each run; give the demo another --database"
    )
    assert digest(database) == before
    # the default configuration's database, named as the demo's: refused too
    (tmp_path / "data").mkdir()
    default = tmp_path / "data" / "nswp-survey.db"
    kept = real_database(default)
    refused = CliRunner().invoke(cli, ["demo", "--database", "data/nswp-survey.db"])
    assert refused.exit_code == 2, refused.output
    assert digest(default) == kept


def test_the_demo_leaves_the_configured_database_alone(tmp_path: Path) -> None:
    database = tmp_path / "real.db"
    before = real_database(database)
    config = config_with_database(tmp_path, database)
    args = ["--config", str(config), "-q", "demo", "--as-of", "2026-11-24", "--seed", "2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "database data/nswp-survey-demo.db" in result.output
    assert (tmp_path / "data" / "nswp-survey-demo.db").is_file()
    assert digest(database) == before
