"""Engines, transactions and migrations for SQLite (the default) and PostgreSQL.

SQLite, as set up by `make_engine`:
- the database file is created with mode 0600 before SQLAlchemy opens it (and an existing
  file is put back to 0600), in a folder created 0700 when missing; SQLite gives its -wal
  and -shm files the database file's mode;
- `journal_mode=WAL` + `synchronous=NORMAL`: a committed transaction survives the process
  being killed (kill -9) at any point; after a power cut the last commits may roll back, but
  each page commits with its cursor, so the store stays consistent and a sync just resumes;
- `foreign_keys=ON`, and a 30 s busy timeout;
- every transaction checks, before it commits, that the file is still the one opened (same
  device and inode): SQLite goes on writing to a file that was deleted or replaced under it,
  and a sync would report success for data that no longer exists (`check_same_file`);
- SQLAlchemy drives BEGIN itself (pysqlite's implicit transactions are switched off), so a
  transaction really starts at `begin()`; `transaction()` opens writers with BEGIN IMMEDIATE,
  so they wait for the write lock up front instead of failing half way.

PostgreSQL: `postgresql://` URLs are given the psycopg 3 driver (`postgresql+psycopg://`).

Example:
    engine = make_engine("sqlite:///data/nswp-survey.db")
    migrate(engine)
    with transaction(engine) as conn:
        ...
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session

from nswp_survey.config import DatabaseSettings
from nswp_survey.errors import ConfigError, NswpError, StoreError, redact_url
from nswp_survey.private import private_database_file
from nswp_survey.store.migrations import MIGRATIONS, SCHEMA_VERSION, Migration
from nswp_survey.store.timestamps import utcnow

FILE_MODE = 0o600
SQLITE_BUSY_TIMEOUT = 30.0
_BEGIN_OPTION = "nswp_sqlite_begin"
_OPENED_FILE = "nswp_sqlite_file"  # connection info: (path, (device, inode)) when opened


def normalize_url(url: str | DatabaseSettings) -> URL:
    """Parse a database URL; `postgresql://` and `postgres://` get the psycopg 3 driver."""
    text = url.url if isinstance(url, DatabaseSettings) else url
    try:
        parsed = make_url(text)
    except ArgumentError as err:
        raise ConfigError(f"database.url is not a valid database URL: {err}") from err
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ConfigError(
            f"database.url must be sqlite:///PATH or postgresql://... (got {parsed.drivername}://)"
        )
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL; None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str | DatabaseSettings, *, echo: bool = False) -> Engine:
    """An engine for `url` (see the module docstring for what is set up on SQLite).

    A relative SQLite path is resolved against the current folder, once, here.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            path = path.expanduser().absolute()
            _create_private_file(path)
            parsed = parsed.set(database=str(path))
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        if path is not None:
            opened = (path, _file_identity(path))

            def remember_file(_dbapi_connection: Any, record: Any) -> None:
                record.info[_OPENED_FILE] = opened  # the file as make_engine found it

            event.listen(engine, "connect", remember_file)
        return engine
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def _create_private_file(path: Path) -> None:
    try:
        private_database_file(path)  # folders it makes 0700, the file and side files 0600
    except OSError as err:
        raise ConfigError(f"cannot create or open the database file {path}: {err}") from err


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def check_same_file(conn: Connection | Session) -> None:
    """Raise StoreError if the SQLite file behind `conn` was removed or replaced since the
    engine opened it (SQLite itself does not notice: it writes to the vanished file)."""
    opened = connection_of(conn).info.get(_OPENED_FILE)
    if opened is None:  # PostgreSQL, or an in-memory database
        return
    path, identity = opened
    if _file_identity(path) != identity:
        raise StoreError(
            f"the database file {path} was removed or replaced while nswp-survey was using "
            "it: nothing written since then is kept; find what removed it (a cleanup job, "
            "a restore), then run the command again"
        )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN (pysqlite would defer it to the first write).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one write transaction: committed on success, rolled back on error.

    On SQLite it starts with BEGIN IMMEDIATE (takes the write lock at once, waiting up to the
    busy timeout for another writer to finish).
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with conn.begin():
            yield conn
            check_same_file(conn)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A SQLModel session: committed when the block ends normally, rolled back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        check_same_file(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def connection_of(db: Connection | Session) -> Connection:
    """The Core connection behind a Connection or a SQLModel Session (in its transaction)."""
    return db.connection() if isinstance(db, Session) else db


def upsert_insert(conn: Connection, table: Table) -> Any:
    """`INSERT` with the dialect's `on_conflict_do_update/nothing` (SQLite or PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def pg_lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, derived from `name`."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


MIGRATION_LOCK = "nswp-survey:migrate"


def _serialize_migrations(conn: Connection) -> None:
    """PostgreSQL: one migrating process at a time (SQLite: BEGIN IMMEDIATE already does it)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(pg_lock_key(MIGRATION_LOCK))))


def current_version(engine: Engine) -> int:
    """The highest migration applied to the database; 0 for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(SCHEMA_VERSION.name):
            return 0
        query = select(func.coalesce(func.max(SCHEMA_VERSION.c.version), 0))
        return conn.execute(query).scalar_one()


def database_error(err: DBAPIError, url: URL | None = None) -> StoreError:
    """One line for a database failure: which database (password hidden) when known, and
    the driver's own first line, e.g. "connection refused" or "database is locked"."""
    text = str(err.orig or err).strip()
    cause = text.splitlines()[0] if text else type(err).__name__
    shown = (
        redact_url(url.render_as_string(hide_password=False), keep_user=True)
        if url is not None
        else ""
    )
    where = f" {shown}" if shown else ""
    return StoreError(
        f"the database{where} cannot be used: {cause} (database.url in the configuration)"
    )


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations not applied yet, in order; return the numbers applied now.

    Running it again is a no-op. Safe when several processes start at once (each migration
    is applied under a lock, after re-reading what is applied). Raises NswpError when the
    database has a migration this version of nswp-survey does not know (it is newer), and
    StoreError when the database cannot be reached or written (every command starts here).
    """
    numbers = [m.version for m in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3... in order (got {numbers})")
    try:
        return _migrate(engine, migrations, numbers)
    except DBAPIError as err:
        raise database_error(err, engine.url) from err


def _migrate(engine: Engine, migrations: Sequence[Migration], numbers: list[int]) -> list[int]:
    with transaction(engine) as conn:
        _serialize_migrations(conn)
        SCHEMA_VERSION.create(conn, checkfirst=True)
    applied: list[int] = []
    for migration in migrations:
        with transaction(engine) as conn:
            _serialize_migrations(conn)
            done = set(conn.execute(select(SCHEMA_VERSION.c.version)).scalars())
            unknown = sorted(done - set(numbers))
            if unknown:
                raise NswpError(
                    f"the database has schema version {max(unknown)}, newer than this "
                    f"nswp-survey knows ({len(numbers)}); upgrade nswp-survey"
                )
            if migration.version in done:
                continue
            migration.apply(conn)
            conn.execute(
                insert(SCHEMA_VERSION).values(
                    version=migration.version, name=migration.name, applied_at=utcnow()
                )
            )
            applied.append(migration.version)
    return applied


def check_schema(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Raise NswpError unless the database is at exactly the latest migration."""
    have, want = current_version(engine), len(migrations)
    if have < want:
        raise NswpError(
            f"the database schema is at version {have}, this nswp-survey needs {want}: "
            "run the migrations first"
        )
    if have > want:
        raise NswpError(
            f"the database has schema version {have}, newer than this nswp-survey knows "
            f"({want}); upgrade nswp-survey"
        )
