"""Sync fixtures: a sandbox on 127.0.0.1 and a real database, SQLite file or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from nswp_tests_pulse import Survey  # tests/pulse.py, loaded by tests/conftest.py
from sqlalchemy import Engine

from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import make_engine, migrate

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nswp.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def survey(sandbox: SandboxServer) -> Survey:
    return Survey(sandbox)
