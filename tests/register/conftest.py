"""Register fixtures: every test that takes `engine` runs on a SQLite file AND on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from nswp_survey.cli import cli
from nswp_survey.store import SubmissionRow, make_engine, migrate, transaction, upsert_form

ASSET = "aRegisterTestAsset0000"
HEADER = (
    "member_code,region,country,membership_type,regional_network,join_date,left_date,"
    "preferred_language,active,org_name,contact"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database that knows the form ASSET: a SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nswp.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
    with transaction(engine) as conn:
        upsert_form(conn, ASSET, name="register test form", server_url="http://127.0.0.1")
    yield engine
    engine.dispose()


def write_register(path: Path, *rows: str, header: str = HEADER) -> Path:
    """A register CSV with `header` and the given lines."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def survey_row(
    kobo_id: int,
    code: str | None,
    *,
    year: int | None = 2025,
    submitted: str = "2026-03-01T12:00:00",
    consent: str = "yes",
    status: str | None = None,
) -> SubmissionRow:
    """A submission of the annual survey as Kobo's data API sends it (keys are Kobo paths)."""
    raw: dict[str, Any] = {"_id": kobo_id, "a_consent/consent": consent}
    if year is not None:
        raw["a_consent/survey_year"] = str(year)
    if code is not None:
        raw["b_profile/member_code"] = code
    raw.update({"_uuid": f"uuid-{kobo_id}", "_submission_time": submitted})
    raw["_validation_status"] = {"uid": status} if status else {}
    return SubmissionRow(
        kobo_id=kobo_id,
        uuid=f"uuid-{kobo_id}",
        raw=raw,
        root_uuid=f"root-{kobo_id}",
        submission_time=datetime.fromisoformat(submitted).replace(tzinfo=UTC),
        validation_status=status,
    )


@pytest.fixture
def register_csv(tmp_path: Path) -> Any:
    """`register_csv(*lines, name=..., header=...)` writes a register CSV and returns its path."""

    def write(*rows: str, name: str = "register.csv", header: str = HEADER) -> Path:
        return write_register(tmp_path / name, *rows, header=header)

    return write


@pytest.fixture
def make_submission() -> Any:
    return survey_row


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """`run(*args)` invokes nswp-survey on a SQLite database under tmp_path; `run.config` is
    its configuration file (tests may add to it), `run.url` the database's URL."""
    config = tmp_path / "nswp.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "cli.db"}"\n', encoding="utf-8")

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--config", str(config), *args])

    invoke.config = config  # type: ignore[attr-defined]
    invoke.url = f"sqlite:///{tmp_path / 'cli.db'}"  # type: ignore[attr-defined]
    return invoke
