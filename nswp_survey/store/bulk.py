"""Bulk writes below SQLAlchemy's per-row machinery, for the big tables of a page.

A page of 1000 submissions carries ~30,000 answers; SQLAlchemy's statement building and
psycopg's parsing of one huge multi-row INSERT would cost more than the database's own
work. So the rows go to the driver as plain tuples (COPY on PostgreSQL, executemany of one
prepared INSERT on SQLite), and primary keys are reserved up front instead of read back
with RETURNING, so that children can point at their parents in the same pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select, text

Converter = Callable[[Any], Any] | None


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """`count` fresh primary keys for `table` (its integer `id` column).

    PostgreSQL: taken from the table's id sequence (safe with concurrent writers).
    SQLite: after the current maximum; safe because SQLite transactions are serializable:
    if another writer committed since this transaction read, this transaction's next write
    fails (SQLITE_BUSY) instead of colliding; and `db.transaction()` holds the write lock
    from its BEGIN IMMEDIATE on.
    """
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        query = text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
        )
        return list(conn.execute(query, {"table": table.name, "n": count}).scalars())
    top = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(top + 1, top + 1 + count))


def param_mark(conn: Connection) -> str:
    """The driver's positional placeholder: `?` (sqlite3) or `%s` (psycopg)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def converters(conn: Connection, table: Table, columns: Sequence[str]) -> list[Converter]:
    """Each column type's own bind conversion (e.g. UTCDateTime's), for driver-level SQL."""
    return [table.c[name].type.bind_processor(conn.dialect) for name in columns]


def convert_all(funcs: list[Converter], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Apply `converters(...)` to many rows; only the columns that have a converter are
    touched (most have none, and a page has tens of thousands of values)."""
    active = [(i, f) for i, f in enumerate(funcs) if f is not None]
    if not active:
        return rows
    out = []
    for row in rows:
        if len(row) != len(funcs):
            raise ValueError(f"expected {len(funcs)} values, got {len(row)}")
        values = list(row)
        for i, f in active:
            if values[i] is not None:
                values[i] = f(values[i])
        out.append(tuple(values))
    return out


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert `rows` (tuples in `columns` order) into `table` in one driver call.

    Values go through the column types' bind conversion first (only for columns that
    have one). Driver errors are not wrapped by SQLAlchemy: catch the DBAPI's `Error` too.
    """
    if not rows:
        return
    rows = convert_all(converters(conn, table, columns), rows)
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        marks = ", ".join([param_mark(conn)] * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
