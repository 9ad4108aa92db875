"""The sync lock: one holder at a time, released on exit, on error, and when the holder dies."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from nswp_survey.errors import SyncError
from nswp_survey.store import acquire_sync_lock, make_engine
from nswp_survey.store.lock import lock_file_path

# Takes the lock, says so, then waits on stdin (which stays open) until it is killed.
HOLDER = """
import sys
from nswp_survey.store import acquire_sync_lock, make_engine
engine = make_engine(sys.argv[1])
with acquire_sync_lock(engine, sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_second_holder_is_refused(engine: Engine) -> None:
    with acquire_sync_lock(engine, "sync"):
        with pytest.raises(SyncError, match="another sync is running"):
            with acquire_sync_lock(engine, "sync"):
                pass  # pragma: no cover
        with acquire_sync_lock(engine, "other-lock"):
            pass  # a lock of another name is independent
    with acquire_sync_lock(engine, "sync"):
        pass  # released when the block ended


def test_the_lock_is_released_when_the_block_raises(engine: Engine) -> None:
    with pytest.raises(RuntimeError), acquire_sync_lock(engine, "sync"):
        raise RuntimeError("sync failed")
    with acquire_sync_lock(engine, "sync"):
        pass


def test_a_second_engine_on_the_same_database_is_refused(engine: Engine) -> None:
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with acquire_sync_lock(engine, "sync"), pytest.raises(SyncError):
            with acquire_sync_lock(other, "sync", timeout=0.3):
                pass  # pragma: no cover
    finally:
        other.dispose()


def test_the_lock_is_released_when_its_process_is_killed(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, "sync"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line == "locked\n", holder.stderr.read() if holder.stderr else line
        with pytest.raises(SyncError, match="another sync is running"):
            with acquire_sync_lock(engine, "sync"):
                pass  # pragma: no cover
        holder.send_signal(signal.SIGKILL)
        assert holder.wait(timeout=30) == -signal.SIGKILL
        # The server (PostgreSQL) or the kernel (flock) drops the lock with the process;
        # wait a bounded time for PostgreSQL to notice the closed connection.
        with acquire_sync_lock(engine, "sync", timeout=30):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
        for pipe in (holder.stdin, holder.stdout, holder.stderr):
            if pipe is not None:
                pipe.close()


def test_sqlite_lock_file_sits_beside_the_database_and_is_private(tmp_path: Path) -> None:
    database = tmp_path / "nswp.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with acquire_sync_lock(engine, "sync"):
            path = tmp_path / "nswp.db.sync.lock"
            assert path.is_file()
            assert path.stat().st_mode & 0o777 == 0o600
    finally:
        engine.dispose()
    assert lock_file_path(database, "sync:aX/../y").parent == tmp_path
    assert "/" not in lock_file_path(database, "sync:aX/../y").name


def test_in_memory_sqlite_locks_within_the_process() -> None:
    engine = make_engine("sqlite://")
    with acquire_sync_lock(engine), pytest.raises(SyncError):
        with acquire_sync_lock(engine):
            pass  # pragma: no cover
    with acquire_sync_lock(engine):
        pass
