"""Sync fixtures: a sandbox on 127.0.0.1 and a real database, SQLite file or PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from nswp_survey.config import KoboSettings
from nswp_survey.forms.xform import XFormTemplate, build_instance, load_xform
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import make_engine, migrate
from nswp_survey.synthetic import PULSE_FORM, pulse_answers

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


def client_for(server: SandboxServer, **overrides: Any) -> KoboClient:
    settings = KoboSettings(
        url=server.url, token=server.token, openrosa_url=server.url, **overrides
    )
    return KoboClient(settings, sleep=lambda seconds: None)


class Survey:
    """The demo form deployed on a sandbox, and a way to add members to it quickly."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        with client_for(server) as client:
            self.asset_uid = client.assets.import_xlsform(PULSE_FORM, name="demo_pulse")
            client.assets.deploy(self.asset_uid)
            entry = next(e for e in client.openrosa.form_list() if e.form_id == self.asset_uid)
            self.xform: XFormTemplate = load_xform(
                client.openrosa.download_xform(entry.download_url)
            )
        self.posted = 0

    def add(self, count: int) -> None:
        """Ingest `count` members through the sandbox's OpenRosa path (no HTTP: fast)."""
        for _ in range(count):
            index = self.posted
            xml = build_instance(
                self.xform,
                pulse_answers(random.Random(index), index),
                instance_id=f"00000000-0000-4000-8000-{index:012d}",
            )
            assert self.server.ingest_xml(xml)["status"] == 201
            self.posted += 1

    def server_ids(self) -> list[int]:
        with client_for(self.server) as client:
            return [
                s.id for s in client.submissions.iter_submissions(self.asset_uid, fields=["_id"])
            ]


@pytest.fixture
def survey(sandbox: SandboxServer) -> Survey:
    return Survey(sandbox)
