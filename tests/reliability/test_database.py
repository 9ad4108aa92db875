"""The database fails, not the server: unreachable at the start, locked in the middle.

A database that cannot be used is one line naming it (password hidden) and exit code 6;
a sync it stops keeps its committed pages, and the next sync resumes.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.errors import StoreError
from nswp_survey.store import db, last_runs, make_engine, migrate, transaction
from nswp_survey.store.syncs import INTERRUPTED

from .conftest import (
    Exchange,
    Proxy,
    Survey,
    assert_equal_to_server,
    assert_whole_pages,
    client_for,
    sync,
)

PASSWORD = "s3cret-db-pass"


def reliability(scenario: str, injected: str, expected: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(
        suite="faults", scenario=scenario, injected=injected, expected=expected
    )


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@reliability(
    "PostgreSQL server down: `nswp-survey {command}`",
    "database.url names a PostgreSQL server on a port where nothing listens",
    "exit 6 with one line naming the database, password hidden",
)
@pytest.mark.parametrize("command", ["sync", "sync status"])
def test_an_unreachable_database_is_one_line_and_exit_6(tmp_path: Path, command: str) -> None:
    port = closed_port()
    config = tmp_path / "nswp.toml"
    config.write_text(
        '[kobo]\nurl = "http://127.0.0.1:9"\nasset_uids = ["aXyz"]\n'
        f'[database]\nurl = "postgresql://nswp:{PASSWORD}@127.0.0.1:{port}/nswp"\n',
        encoding="utf-8",
    )
    result = CliRunner(env={"NSWP_KOBO_TOKEN": "t" * 40}).invoke(
        cli, ["--config", str(config), *command.split()]
    )
    assert result.exit_code == 6, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(
        f"error: the database postgresql+psycopg://nswp:***@127.0.0.1:{port}"
    )
    assert "Connection refused" in lines[0] and "database.url" in lines[0]
    assert PASSWORD not in result.output


@reliability(
    "database locked by another program (SQLite)",
    "after page 1 is committed, another connection holds the write lock past the busy timeout",
    "StoreError naming the lock; whole pages kept; once released, a rerun equals the server "
    "and the cut run shows as interrupted",
)
def test_a_locked_database_stops_the_sync_and_a_rerun_completes(
    proxy: Proxy, survey: Survey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT", 0.2)  # SQLite's own wait, not a sleep
    path = tmp_path / "nswp.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    survey.add(35)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    requests_seen: list[str] = []

    def lock_on_page_three(ex: Exchange) -> None:
        # the third page is asked for only once page 1 is committed (one page prefetched)
        if ex.is_data_list(survey.asset_uid):
            requests_seen.append(ex.path)
            if len(requests_seen) == 3:
                other.execute("BEGIN IMMEDIATE")

    proxy.rewrite = lock_on_page_three
    with (
        client_for(proxy.url, survey.server.token, page_size=10) as client,
        pytest.raises(StoreError, match=r"cannot be used: database is locked") as caught,
    ):
        sync(client, engine, survey)
    assert str(path) in str(caught.value)
    other.execute("ROLLBACK")
    kept = assert_whole_pages(engine, survey, 10)
    assert 10 <= len(kept) < 35

    proxy.rewrite = None
    with client_for(proxy.url, survey.server.token, page_size=10) as client:
        result = sync(client, engine, survey)
    assert result.new == 35 - len(kept)
    assert_equal_to_server(engine, survey)
    with transaction(engine) as conn:
        runs = last_runs(conn, 2, asset_uid=survey.asset_uid)
    assert [run.status for run in runs] == ["ok", "failed"]
    assert runs[1].error == INTERRUPTED  # it could not even record its own failure
    other.close()
    engine.dispose()


def test_the_group_turns_a_database_error_mid_command_into_one_line() -> None:
    import click
    from sqlalchemy.exc import OperationalError

    from nswp_survey.cli.app import NswpGroup

    @click.group(cls=NswpGroup)
    def group() -> None:
        pass

    @group.command()
    def boom() -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection\nmore"))

    @group.command()
    def other() -> None:
        raise ValueError("a bug stays a traceback")

    result = CliRunner().invoke(group, ["boom"])
    assert result.exit_code == 6
    assert result.output.strip() == (
        "error: the database cannot be used: server closed the connection "
        "(database.url in the configuration)"
    )
    assert isinstance(CliRunner().invoke(group, ["other"]).exception, ValueError)
