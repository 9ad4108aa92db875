"""Store fixtures: every test that takes `engine` runs on a SQLite file AND on PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from nswp_survey.store import (
    AttachmentRow,
    SubmissionRow,
    make_engine,
    migrate,
    transaction,
    upsert_form,
)

TESTS = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
ASSET = "aStoreTestAsset0000000"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file under tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nswp.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def blank_engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no migrations applied)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(blank_engine: Engine) -> Engine:
    """An engine on a migrated database that knows the form ASSET."""
    migrate(blank_engine)
    with transaction(blank_engine) as conn:
        upsert_form(conn, ASSET, name="store test form", server_url="http://127.0.0.1")
    return blank_engine


def build_row(kobo_id: int, uuid: str | None = None, **answers: Any) -> SubmissionRow:
    """A submission shaped as the Kobo data API sends it, with the given answers."""
    uuid = uuid or f"uuid-{kobo_id}"
    raw: dict[str, Any] = {
        "_id": kobo_id,
        "formhub/uuid": "0123456789abcdef0123456789abcdef",
        "__version__": "vVersion1",
        **answers,
        "meta/instanceID": f"uuid:{uuid}",
        "meta/rootUuid": f"uuid:root-{kobo_id}",
        "_xform_id_string": ASSET,
        "_uuid": uuid,
        "_attachments": [],
        "_status": "submitted_via_web",
        "_geolocation": [None, None],
        "_submission_time": "2026-03-01T12:00:00",
        "_validation_status": {},
        "_submitted_by": "member1",
    }
    raw.update(answers)  # Kobo's own keys may be given too (e.g. _validation_status)
    return row_from_raw(raw)


def row_from_raw(raw: dict[str, Any]) -> SubmissionRow:
    """What the sync layer does with a Kobo submission, reduced to what these tests need."""

    def strip(value: str | None) -> str | None:
        return value.removeprefix("uuid:") if value else None

    status = raw.get("_validation_status") or {}
    return SubmissionRow(
        kobo_id=int(raw["_id"]),
        uuid=raw["_uuid"],
        raw=raw,
        root_uuid=strip(raw.get("meta/rootUuid")),
        instance_id=raw.get("meta/instanceID"),
        deprecated_id=raw.get("meta/deprecatedID"),
        version_uid=raw.get("__version__"),
        submission_time=datetime.fromisoformat(raw["_submission_time"]).replace(tzinfo=UTC),
        validation_status=status.get("uid"),
        validated_at=(
            datetime.fromtimestamp(status["timestamp"], UTC) if "timestamp" in status else None
        ),
        submitted_by=raw.get("_submitted_by"),
        attachments=tuple(
            AttachmentRow(
                uid=a["uid"],
                filename=a["filename"],
                mimetype=a.get("mimetype"),
                question_xpath=a.get("question_xpath"),
                download_url=a.get("download_url"),
                is_deleted=bool(a.get("is_deleted")),
            )
            for a in raw.get("_attachments", [])
        ),
    )


@pytest.fixture
def asset() -> str:
    """The uid of the form the `engine` fixture records."""
    return ASSET


@pytest.fixture
def make_row() -> Callable[..., SubmissionRow]:
    return build_row


@pytest.fixture
def from_raw() -> Callable[[dict[str, Any]], SubmissionRow]:
    return row_from_raw


@pytest.fixture
def pg_helpers() -> Any:
    """The tests/pg.py module itself (loaded once by tests/conftest.py)."""
    return sys.modules["nswp_tests_pg"]
