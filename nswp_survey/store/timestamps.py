"""Timestamps in the store: always aware UTC datetimes, on SQLite as on PostgreSQL.

SQLite has no time zone type, so `UTCDateTime` converts every value to UTC before it is
written (refusing naive datetimes, whose zone would be a guess) and marks what it reads as
UTC. PostgreSQL stores `timestamp with time zone` and hands values back converted to UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 text of an aware datetime, in UTC, to the second ('2026-01-02T03:04:05+00:00');
    None stays."""
    return None if value is None else value.astimezone(UTC).replace(microsecond=0).isoformat()


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime column that takes and returns aware UTC datetimes only."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC times only")
        value = value.astimezone(UTC)
        # SQLite's DATETIME text has no zone: write the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
