"""Attachments: which files still have to be downloaded, and where each one was saved.

Attachment metadata is written with its submission (submissions.py); the sync layer
downloads the files it is asked for and records their place with `set_attachment_file`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select, update
from sqlmodel import Session

from nswp_survey.store.db import connection_of
from nswp_survey.store.models import Attachment, Submission

ATTACHMENT = Attachment.__table__
SUBMISSION = Submission.__table__


@dataclass(frozen=True)
class PendingAttachment:
    """An attachment whose file has not been downloaded yet."""

    id: int
    kobo_id: int
    uid: str
    filename: str
    download_url: str | None


def load_pending_attachments(db: Connection | Session, asset_uid: str) -> list[PendingAttachment]:
    """Attachments of live submissions with no local file yet (and not deleted on Kobo)."""
    conn = connection_of(db)
    a, s = ATTACHMENT.c, SUBMISSION.c
    query = (
        select(a.id, s.kobo_id, a.uid, a.filename, a.download_url)
        .join_from(ATTACHMENT, SUBMISSION, a.submission_id == s.id)
        .where(
            s.asset_uid == asset_uid,
            s.deleted_at.is_(None),
            a.local_path.is_(None),
            a.is_deleted.is_(False),
        )
        .order_by(a.id)
    )
    return [PendingAttachment(*row) for row in conn.execute(query)]


def set_attachment_file(db: Connection | Session, attachment_id: int, local_path: str) -> None:
    """Record where an attachment's file was saved. Does not commit."""
    conn = connection_of(db)
    conn.execute(
        update(ATTACHMENT).where(ATTACHMENT.c.id == attachment_id).values(local_path=local_path)
    )
