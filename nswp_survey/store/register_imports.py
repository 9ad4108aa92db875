"""The register's import log, and what the last import replaced (for `members undo`).

Persistence only: which import may be undone, and how, is decided in
`nswp_survey.register.history`. Functions take a Connection (or Session) inside the
caller's transaction and never commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlmodel import Session

from nswp_survey.store.db import connection_of
from nswp_survey.store.models import Member, MemberSnapshot, RegisterImport
from nswp_survey.store.timestamps import utcnow

REGISTER_IMPORT = RegisterImport.__table__
MEMBER_SNAPSHOT = MemberSnapshot.__table__


def start_register_import(
    db: Connection | Session, file: str, mode: str, as_of: date, *, now: datetime | None = None
) -> int:
    """Record an import as begun (its counts follow in `finish_register_import`); its id."""
    conn = connection_of(db)
    stmt = insert(REGISTER_IMPORT).values(
        imported_at=now or utcnow(),
        file=file,
        mode=mode,
        as_of=as_of,
        rows=0,
        added=0,
        rejoined=0,
        left=0,
        changed=0,
        unchanged=0,
    )
    return int(conn.execute(stmt).inserted_primary_key[0])


def finish_register_import(
    db: Connection | Session, import_id: int, counts: Mapping[str, int]
) -> None:
    """Store what the import did: rows, added, rejoined, left, changed, unchanged."""
    conn = connection_of(db)
    conn.execute(
        update(REGISTER_IMPORT).where(REGISTER_IMPORT.c.id == import_id).values(dict(counts))
    )


def load_register_imports(db: Connection | Session) -> list[RegisterImport]:
    """The register imports, newest first."""
    conn = connection_of(db)
    query = select(REGISTER_IMPORT).order_by(REGISTER_IMPORT.c.id.desc())
    return [RegisterImport(**row._mapping) for row in conn.execute(query)]


def mark_register_import_undone(
    db: Connection | Session, import_id: int, *, now: datetime | None = None
) -> bool:
    """Set `undone_at` unless it is set already; False when another undo came first."""
    conn = connection_of(db)
    r = REGISTER_IMPORT.c
    stmt = update(REGISTER_IMPORT).where(r.id == import_id, r.undone_at.is_(None))
    return conn.execute(stmt.values(undone_at=now or utcnow())).rowcount == 1


def save_member_snapshot(
    db: Connection | Session, import_id: int, code: str, before: Mapping[str, Any] | None
) -> None:
    """Keep what import `import_id` replaced of member `code` (None: the import added it)."""
    text = None if before is None else json.dumps(dict(before), default=_iso, sort_keys=True)
    connection_of(db).execute(
        insert(MEMBER_SNAPSHOT).values(import_id=import_id, code=code, before_json=text)
    )


def load_member_snapshots(
    db: Connection | Session, import_id: int, members: Mapping[str, Member]
) -> dict[str, dict[str, Any] | None]:
    """Per member code, the column values import `import_id` replaced (typed as `Member`
    types them), or None for a member it added. `members` are the members as they are now."""
    conn = connection_of(db)
    query = select(MEMBER_SNAPSHOT).where(MEMBER_SNAPSHOT.c.import_id == import_id)
    found: dict[str, dict[str, Any] | None] = {}
    for row in conn.execute(query):
        if row.before_json is None:
            found[row.code] = None
            continue
        before = json.loads(row.before_json)
        # Validated over the current row so that ISO text becomes dates and datetimes again.
        typed = Member.model_validate({**members[row.code].model_dump(), **before})
        found[row.code] = {name: getattr(typed, name) for name in before}
    return found


def delete_member_snapshots(db: Connection | Session, *, keep: int | None = None) -> None:
    """Drop the snapshots of every import but `keep`: only the last import can be undone,
    and a name or contact an import removed should not live on in an old snapshot."""
    stmt = delete(MEMBER_SNAPSHOT)
    if keep is not None:
        stmt = stmt.where(MEMBER_SNAPSHOT.c.import_id != keep)
    connection_of(db).execute(stmt)


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot keep a {type(value).__name__} in a member snapshot")
