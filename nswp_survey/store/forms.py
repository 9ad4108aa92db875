"""Forms and their versions: which forms we know, and each version's content.

A submission's `version_uid` (Kobo's `__version__`) names the form version it was filled in;
that version's content (survey rows, choices, translations) is what labels it, even after the
form has been redeployed with other labels. Versions are recorded when the sync lists them and
when we deploy (so the table is also our deploy log).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, func, select
from sqlmodel import Session

from nswp_survey.store.db import connection_of, upsert_insert
from nswp_survey.store.models import Form, FormVersion
from nswp_survey.store.rows import dump_json
from nswp_survey.store.timestamps import utcnow

FORM = Form.__table__
FORM_VERSION = FormVersion.__table__
_DEFAULT_PORTS = {"http": 80, "https": 443}


def upsert_form(
    db: Connection | Session,
    asset_uid: str,
    *,
    name: str = "",
    server_url: str = "",
    now: datetime | None = None,
) -> None:
    """Record that the form exists (first/last seen); name and server URL are refreshed."""
    conn = connection_of(db)
    now = now or utcnow()
    stmt = upsert_insert(conn, FORM).values(
        asset_uid=asset_uid, name=name, server_url=server_url, first_seen_at=now, last_seen_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[FORM.c.asset_uid],
        set_={
            "name": stmt.excluded.name,
            "server_url": stmt.excluded.server_url,
            "last_seen_at": stmt.excluded.last_seen_at,
        },
    )
    conn.execute(stmt)


def record_form_version(
    db: Connection | Session,
    asset_uid: str,
    version_uid: str,
    *,
    version_number: str | None = None,
    content_hash: str | None = None,
    content: dict[str, Any] | None = None,
    workbook_hash: str | None = None,
    date_deployed: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Insert or complete one version of a form (idempotent). Does not commit.

    `content_hash` is Kobo's own; `workbook_hash` the deployed XLSForm's (deploy.py). A value
    left None keeps what is stored, so a version first seen in the `/versions/` list (no
    content) can be completed later from its detail, and a sync never erases what deploy
    recorded.
    """
    conn = connection_of(db)
    now = now or utcnow()
    stmt = upsert_insert(conn, FORM_VERSION).values(
        asset_uid=asset_uid,
        version_uid=version_uid,
        version_number=version_number,
        content_hash=content_hash,
        content_json=None if content is None else dump_json(content),
        workbook_hash=workbook_hash,
        date_deployed=date_deployed,
        recorded_at=now,
    )
    v = FORM_VERSION.c
    keep = {
        name: func.coalesce(stmt.excluded[name], v[name])
        for name in (
            "version_number",
            "content_hash",
            "content_json",
            "workbook_hash",
            "date_deployed",
        )
    }
    conn.execute(stmt.on_conflict_do_update(index_elements=[v.asset_uid, v.version_uid], set_=keep))


def load_form_versions(db: Connection | Session, asset_uid: str) -> list[FormVersion]:
    """The form's recorded versions, newest deployment first (never-deployed ones last)."""
    conn = connection_of(db)
    v = FORM_VERSION.c
    query = (
        select(FORM_VERSION)
        .where(v.asset_uid == asset_uid)
        .order_by(v.date_deployed.is_(None), v.date_deployed.desc(), v.id.desc())
    )
    return [FormVersion(**row._mapping) for row in conn.execute(query)]


def load_form_content(
    db: Connection | Session, asset_uid: str, version_uid: str
) -> dict[str, Any] | None:
    """The content of one form version (to label submissions made with it), if recorded."""
    conn = connection_of(db)
    v = FORM_VERSION.c
    text = conn.execute(
        select(v.content_json).where(v.asset_uid == asset_uid, v.version_uid == version_uid)
    ).scalar_one_or_none()
    return None if text is None else json.loads(text)


def load_latest_content(
    db: Connection | Session, asset_uids: Iterable[str] | None = None
) -> tuple[str, dict[str, Any]] | None:
    """(asset uid, content) of the newest deployed version with stored content, among
    `asset_uids` (None: every form); None when no content is stored."""
    conn = connection_of(db)
    v = FORM_VERSION.c
    query = (
        select(v.asset_uid, v.content_json)
        .where(v.content_json.is_not(None))
        .order_by(v.date_deployed.is_(None), v.date_deployed.desc(), v.id.desc())
        .limit(1)
    )
    if asset_uids is not None:
        query = query.where(v.asset_uid.in_(list(asset_uids)))
    row = conn.execute(query).first()
    return None if row is None else (row.asset_uid, json.loads(row.content_json))


def stored_asset_uids(db: Connection | Session) -> list[str]:
    """Every form the store knows (synced or deployed from here), by uid."""
    conn = connection_of(db)
    return list(conn.execute(select(FORM.c.asset_uid).order_by(FORM.c.asset_uid)).scalars())


def deployed_asset_uids(db: Connection | Session, server_url: str) -> list[str]:
    """The forms `nswp-survey deploy` put on this server (a version with a workbook hash),
    most recently deployed first: what to sync or fill when no asset is named."""
    conn = connection_of(db)
    f, v = FORM.c, FORM_VERSION.c
    query = (
        select(f.asset_uid, f.server_url, func.max(v.date_deployed).label("latest"))
        .join(FORM_VERSION, v.asset_uid == f.asset_uid)
        .where(v.workbook_hash.is_not(None))
        .group_by(f.asset_uid, f.server_url)
        .order_by(func.max(v.date_deployed).desc(), f.asset_uid)
    )
    server = normalize_server_url(server_url)
    rows = conn.execute(query)
    return [row.asset_uid for row in rows if normalize_server_url(row.server_url) == server]


def normalize_server_url(url: str) -> str:
    """One spelling per server: lower-case scheme and host, no default port, no trailing
    slash, no user name. `HTTPS://KF.example.org:443/` and `https://kf.example.org` are
    one server; "" (a form stored without its server) stays "".

    Example:
        normalize_server_url("http://127.0.0.1:80/")   # 'http://127.0.0.1'
    """
    text = url.strip()
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        return text.rstrip("/").lower()
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # IPv6
    try:
        port = parts.port
    except ValueError:  # not a port number: no server we could reach, compare as written
        return text.rstrip("/").lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def forms_by_server(db: Connection | Session) -> dict[str, list[tuple[str, str]]]:
    """Every stored form, grouped by its server (normalised): {server: [(uid, url as
    recorded), ...]}, servers and forms in a stable order."""
    conn = connection_of(db)
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rows = conn.execute(select(FORM.c.asset_uid, FORM.c.server_url)).all()
    for uid, url in sorted(rows):  # (in Python: the same order whatever the collation)
        grouped[normalize_server_url(url)].append((uid, url))
    return dict(sorted(grouped.items()))


def forms_of_server(db: Connection | Session, server_url: str) -> list[str]:
    """The stored forms (asset uids) synced from or deployed to this server."""
    found = forms_by_server(db).get(normalize_server_url(server_url), [])
    return [uid for uid, _url in found]
