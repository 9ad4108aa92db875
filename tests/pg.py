"""A throwaway PostgreSQL server for the tests, and a fresh database per test.

The server is Debian's `postgresql` package (`scripts/install-test-deps.sh` installs it):
`initdb` + `pg_ctl` from `/usr/lib/postgresql/<version>/bin/`, a data folder in a temporary
folder, listening on 127.0.0.1 on a free port with trust authentication (local tests only),
durability switched off for speed. `initdb` refuses to run as root, so as root the server
runs as the `postgres` system user (`runuser -u postgres`). It is stopped and removed when
the test session ends.

`NSWP_TEST_PG_URL=postgresql://user:pw@host/db` uses an existing server instead (the user
needs CREATEDB: each test gets its own database, dropped afterwards).

Without the binaries (and no NSWP_TEST_PG_URL) the PostgreSQL tests are skipped, except in
CI (`CI` set), where they fail: CI must run the store tests on both databases.

Use from a conftest.py (this file is not a package module; load it by path):

    spec = importlib.util.spec_from_file_location("nswp_tests_pg", TESTS / "pg.py")
    ...
    postgres_server_url = pg.postgres_server_url   # session fixture: the server's URL
    postgres_url = pg.postgres_url                 # fixture: a fresh, empty database's URL
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

PG_URL_ENV = "NSWP_TEST_PG_URL"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
# Throwaway data: no fsync; small enough to start anywhere.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c shared_buffers=64MB -c max_connections=50"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, which must test PostgreSQL too."""
    message = f"PostgreSQL tests cannot run: {reason}"
    if in_ci():
        pytest.fail(message + " (CI=true: run scripts/install-test-deps.sh)", pytrace=False)
    pytest.skip(message + "; run scripts/install-test-deps.sh or set " + PG_URL_ENV)


def find_pg_bindir() -> Path | None:
    """The newest Debian PostgreSQL bin folder that has initdb and pg_ctl, if any."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.name))

    candidates = sorted((Path(p) for p in glob.glob(PG_BIN_GLOB)), key=version, reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def libpq_url(url: URL | str) -> str:
    """A SQLAlchemy URL as a libpq/psycopg connection string."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresServer:
    """One `initdb`-ed cluster in a temporary folder, started with `pg_ctl`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="nswp-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> str:
        """Create and start the cluster; return its superuser URL (database `postgres`)."""
        if self.as_root:
            try:
                shutil.chown(self.root, user=SERVER_USER, group=None)
            except (LookupError, PermissionError) as err:
                unavailable(f"running as root and cannot hand {self.root} to user postgres: {err}")
        init = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        for _ in range(3):  # another process may take the free port before the server does
            self.port = _free_port()
            options = f"-h 127.0.0.1 -p {self.port} -k {self.root} {SERVER_OPTIONS}"
            started = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT),
                "start",
            )
            if started.returncode == 0:
                return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        raise RuntimeError(f"pg_ctl start failed:\n{started.stderr}\n{log[-2000:]}")

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a private server for the block; yield its superuser URL."""
    bindir = find_pg_bindir()
    if bindir is None:
        unavailable(f"no initdb/pg_ctl under {PG_BIN_GLOB} (Debian package 'postgresql')")
    server = PostgresServer(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server for the block; yield its URL; drop it after."""
    admin = make_url(server_url)
    name = f"nswp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server for this test session ($NSWP_TEST_PG_URL or a throwaway)."""
    given = os.environ.get(PG_URL_ENV, "").strip()
    if given:
        yield given
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """URL of a new, empty database, dropped after the test."""
    with fresh_database(postgres_server_url) as url:
        yield url
