"""What the store takes in and gives back: plain frozen dataclasses, no Kobo client types.

The sync layer turns each Kobo submission into a `SubmissionRow` (typed fields in snake_case,
plus Kobo's JSON object untouched in `raw`); the store flattens `raw` into answers itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AttachmentRow:
    """One entry of a submission's `_attachments`; `uid` must be unique in its submission."""

    uid: str
    filename: str
    mimetype: str | None = None
    question_xpath: str | None = None
    download_url: str | None = None
    is_deleted: bool = False


@dataclass(frozen=True)
class SubmissionRow:
    """One submission to store.

    `kobo_id` is Kobo's `_id`; `uuid` its current `_uuid` (no 'uuid:' prefix); `raw` the
    submission's JSON object exactly as the server sent it. Datetimes must be aware.
    """

    kobo_id: int
    uuid: str
    raw: dict[str, Any] = field(repr=False)
    root_uuid: str | None = None
    instance_id: str | None = None
    deprecated_id: str | None = None
    version_uid: str | None = None
    submission_time: datetime | None = None
    validation_status: str | None = None
    validated_at: datetime | None = None
    submitted_by: str | None = None
    attachments: tuple[AttachmentRow, ...] = ()


@dataclass(frozen=True)
class UpsertCounts:
    """How many submissions a write added, changed, or found already as they were."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.new + other.new, self.updated + other.updated, self.unchanged + other.unchanged
        )

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged


def dump_json(value: Any) -> str:
    """JSON text as stored: keys in the order received, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def content_hash(value: Any) -> str:
    """sha256 of the canonical JSON of `value` (sorted keys): equal content, equal hash."""
    canonical = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
