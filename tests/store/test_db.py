"""Engines: private SQLite files, durable settings, URLs, aware UTC timestamps."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import StatementError
from sqlmodel import select

from nswp_survey.config import DatabaseSettings
from nswp_survey.errors import ConfigError, StoreError
from nswp_survey.store import make_engine, session_scope, transaction
from nswp_survey.store.db import normalize_url
from nswp_survey.store.models import SyncRun


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_file_is_created_private_in_a_new_folder(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nswp.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert mode_of(path) == 0o600
        assert mode_of(path.parent) == 0o700
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.commit()
        assert mode_of(path) == 0o600
    finally:
        engine.dispose()


def test_sqlite_file_open_to_others_is_made_private_again(tmp_path: Path) -> None:
    path = tmp_path / "nswp.db"
    path.touch()
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert mode_of(path) == 0o600


def test_relative_sqlite_path_is_resolved_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine(DatabaseSettings())  # sqlite:///data/nswp-survey.db
    try:
        assert engine.url.database == str(tmp_path / "data" / "nswp-survey.db")
        assert mode_of(tmp_path / "data" / "nswp-survey.db") == 0o600
    finally:
        engine.dispose()


def test_sqlite_runs_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nswp.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_postgresql_urls_get_the_psycopg_driver() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_other_databases_are_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


def test_a_rolled_back_transaction_leaves_nothing(blank_engine: Engine) -> None:
    with transaction(blank_engine) as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with pytest.raises(RuntimeError), transaction(blank_engine) as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("boom")
    with blank_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0


def test_timestamps_come_back_as_aware_utc(engine: Engine) -> None:
    paris = timezone(timedelta(hours=2))
    with session_scope(engine) as session:
        session.add(SyncRun(asset_uid="a", started_at=datetime(2026, 3, 1, 14, 0, tzinfo=paris)))
    with session_scope(engine) as session:
        run = session.exec(select(SyncRun)).one()
    assert run.started_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert run.started_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as session:
        session.add(SyncRun(asset_uid="a", started_at=datetime(2026, 3, 1, 12, 0)))


def test_a_transaction_on_a_removed_or_replaced_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nswp.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with transaction(engine) as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        path.unlink()  # SQLite would go on writing to the vanished file
        with pytest.raises(StoreError, match="was removed or replaced while nswp-survey"):
            with transaction(engine) as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
        path.write_bytes(b"")  # a new file under the same name is not the one opened
        with pytest.raises(StoreError, match="removed or replaced"), session_scope(engine):
            pass
    finally:
        engine.dispose()
