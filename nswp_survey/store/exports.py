"""The export log: every `export` run, so the Secretariat can say who wrote which packs.

domain.md §6 asks for an access log around data on a criminalised population. A row says
when, by which operating-system user, which regions, languages and formats, which tier, and
whether sensitive fields were included; never the contents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select
from sqlmodel import Session

from nswp_survey.store.db import connection_of
from nswp_survey.store.models import ExportLog
from nswp_survey.store.timestamps import utcnow

EXPORT_LOG = ExportLog.__table__


@dataclass(frozen=True)
class ExportEntry:
    """What one export run wrote."""

    exported_by: str
    year: int
    regions: Sequence[str]
    languages: Sequence[str]
    formats: Sequence[str]
    tier: str
    include_sensitive: bool
    folder: str
    files: int


def record_export(
    db: Connection | Session, entry: ExportEntry, *, now: datetime | None = None
) -> None:
    """Add one row to the export log. Does not commit."""
    connection_of(db).execute(
        insert(EXPORT_LOG).values(
            exported_at=now or utcnow(),
            exported_by=entry.exported_by,
            year=entry.year,
            regions=",".join(entry.regions),
            languages=",".join(entry.languages),
            formats=",".join(entry.formats),
            tier=entry.tier,
            include_sensitive=entry.include_sensitive,
            folder=entry.folder,
            files=entry.files,
        )
    )


def last_exports(db: Connection | Session, limit: int = 20) -> list[ExportLog]:
    """The newest export runs first."""
    conn = connection_of(db)
    query = select(EXPORT_LOG).order_by(EXPORT_LOG.c.exported_at.desc(), EXPORT_LOG.c.id.desc())
    return [ExportLog(**row._mapping) for row in conn.execute(query.limit(limit))]
