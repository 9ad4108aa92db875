"""One sync at a time: a named lock that the operating system or the server releases when
the holding process dies, however it dies (kill -9 included).

- PostgreSQL: a session-level `pg_try_advisory_lock` on a connection of its own, kept open
  while the lock is held; the server drops the lock when that connection ends.
- SQLite: `flock` on a lock file beside the database (`<db>.<name>.lock`, mode 0600); the
  kernel drops the lock when the process's file descriptor closes. The file is left in place
  (removing it would let two processes lock two different files). An in-memory database is
  private to the process, so a lock inside the process is enough.

Example:
    with acquire_sync_lock(engine, "sync"):
        ...  # the sync
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select

from nswp_survey.errors import SyncError
from nswp_survey.store.db import FILE_MODE, pg_lock_key, sqlite_path

DEFAULT_LOCK_NAME = "sync"
POLL_INTERVAL = 0.1
_memory_locks: dict[str, threading.Lock] = {}
_memory_locks_guard = threading.Lock()


@contextmanager
def acquire_sync_lock(
    engine: Engine, name: str = DEFAULT_LOCK_NAME, *, timeout: float = 0.0
) -> Iterator[None]:
    """Hold the lock `name` for the database behind `engine` while the block runs.

    Waits up to `timeout` seconds (0: try once) for another holder to finish, then raises
    SyncError naming the lock.
    """
    path = sqlite_path(engine.url)
    if engine.dialect.name == "postgresql":
        held = _postgres_lock(engine, name, timeout)
    elif path is not None:
        held = _file_lock(lock_file_path(path, name), name, timeout)
    else:
        held = _memory_lock(f"{id(engine)}:{name}", name, timeout)
    with held:
        yield


def lock_file_path(database: Path, name: str) -> Path:
    """`/data/nswp.db` + 'sync' -> `/data/nswp.db.sync.lock` (odd characters made safe)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name)[:60]
    if slug != name:
        slug = f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return database.with_name(f"{database.name}.{slug}.lock")


def _held(name: str, where: str) -> SyncError:
    return SyncError(
        f"another sync is running: lock {name!r} is held ({where}); "
        "wait for it to finish, then try again"
    )


def _poll(try_once: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + max(timeout, 0.0)
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)


@contextmanager
def _postgres_lock(engine: Engine, name: str, timeout: float) -> Iterator[None]:
    key = pg_lock_key(f"nswp-survey:lock:{name}")
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        query = select(func.pg_try_advisory_lock(key))
        if not _poll(lambda: bool(conn.execute(query).scalar()), timeout):
            raise _held(name, f"PostgreSQL database {engine.url.database}")
        try:
            yield
        finally:
            try:
                conn.execute(select(func.pg_advisory_unlock(key)))
            except Exception:
                # The connection is broken, so the server has dropped the lock already;
                # make sure the pool never hands this connection out again.
                conn.invalidate()
    finally:
        conn.close()


@contextmanager
def _file_lock(path: Path, name: str, timeout: float) -> Iterator[None]:
    import fcntl  # POSIX only, imported here so the rest of the store still imports elsewhere

    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:

        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        if not _poll(try_once, timeout):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            where = f"{path}" + (f", by process {holder}" if holder.isdigit() else "")
            raise _held(name, where)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _memory_lock(key: str, name: str, timeout: float) -> Iterator[None]:
    with _memory_locks_guard:
        lock = _memory_locks.setdefault(key, threading.Lock())
    acquired = lock.acquire(timeout=timeout) if timeout > 0 else lock.acquire(blocking=False)
    if not acquired:
        raise _held(name, "in-memory database")
    try:
        yield
    finally:
        lock.release()
