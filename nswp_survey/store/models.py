"""The store's tables, as SQLModel classes (the shape code reads and writes).

    form ─┬─ form_version            every deployed version, with its content (labels old data)
          └─ submission ─┬─ submission_version   earlier versions of an edited submission
                         ├─ repeat_row ─┐        one row per repeat instance, nested via parent_id
                         ├─ answer ─────┘        long form: (submission, repeat row?, path, value)
                         └─ attachment           metadata, plus local_path once downloaded
    sync_state                                   per form: the committed cursor (highest _id)
    sync_run                                     one row per sync run, with counts and error
    schema_version                               applied migrations (see migrations.py)

The tables are CREATED by the numbered migrations in `migrations.py`, never from these classes
(`tests/store/test_migrations.py` checks that both agree). A schema change is a new model
field here plus a new migration there.

Every timestamp is an aware UTC datetime (`UTCDateTime`). JSON (raw submissions, form content)
is stored as text, exactly as received, so it can be audited and re-parsed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from nswp_survey.store.timestamps import UTCDateTime

RUN_STATUSES = ("running", "ok", "failed", "partial")


class Form(SQLModel, table=True):
    """A Kobo form (asset) that we deploy or sync."""

    __tablename__ = "form"

    asset_uid: str = Field(primary_key=True)
    name: str = ""
    server_url: str = ""
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)


class FormVersion(SQLModel, table=True):
    """One version of a form, as Kobo saved it (`/versions/`) or as we deployed it.

    `content_json` is the KPI content (survey, choices, translations) of that version; a
    submission's `version_uid` points here, so old submissions keep their old labels.
    `content_hash` is Kobo's hash of the content; `workbook_hash` the sha256 of the XLSForm
    it was deployed from, when `nswp-survey deploy` did it (so a redeploy of the same
    workbook can be skipped).
    """

    __tablename__ = "form_version"
    __table_args__ = (
        UniqueConstraint("asset_uid", "version_uid", name="uq_form_version_asset_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    asset_uid: str = Field(foreign_key="form.asset_uid", ondelete="CASCADE", index=True)
    version_uid: str
    version_number: str | None = None
    content_hash: str | None = None
    content_json: str | None = Field(default=None, sa_type=Text)
    workbook_hash: str | None = None
    date_deployed: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class Submission(SQLModel, table=True):
    """The current version of one Kobo submission; `raw_json` is Kobo's JSON, kept whole.

    `kobo_id` is Kobo's `_id` (unique per server, never reused, unchanged by edits), `uuid`
    the current instanceID and `root_uuid` the identity that survives edits (no 'uuid:'
    prefix). `deleted_at` is set when the submission disappeared from the server.
    """

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("asset_uid", "kobo_id", name="uq_submission_asset_kobo"),)

    id: int | None = Field(default=None, primary_key=True)
    asset_uid: str = Field(foreign_key="form.asset_uid", ondelete="CASCADE")
    kobo_id: int = Field(sa_type=BigInteger)
    uuid: str = Field(index=True)
    root_uuid: str | None = Field(default=None, index=True)
    instance_id: str | None = None
    deprecated_id: str | None = None
    version_uid: str | None = Field(default=None, index=True)
    submission_time: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    validation_status: str | None = Field(default=None, index=True)
    validated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by: str | None = Field(default=None, index=True)
    raw_json: str = Field(sa_type=Text)
    content_hash: str
    first_synced_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class SubmissionVersion(SQLModel, table=True):
    """An earlier version of an edited submission, moved here when the new one arrived."""

    __tablename__ = "submission_version"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", index=True)
    uuid: str
    content_hash: str
    raw_json: str = Field(sa_type=Text)
    replaced_at: datetime = Field(sa_type=UTCDateTime)


class RepeatRow(SQLModel, table=True):
    """One instance of a repeat group; `parent_id` links a nested repeat to its parent row.

    `path` is the repeat's full Kobo path (`law_change`, `kids/kids_details`), `position` its
    0-based place among the instances under the same parent.
    """

    __tablename__ = "repeat_row"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", index=True)
    parent_id: int | None = Field(
        default=None, foreign_key="repeat_row.id", ondelete="CASCADE", index=True
    )
    path: str = Field(index=True)
    position: int


class Answer(SQLModel, table=True):
    """One answer, in long form: the field's full Kobo path and its value as text.

    `repeat_row_id` is set for answers inside a repeat instance. Values are Kobo's strings
    (select_multiple space-separated); anything that is not a string is stored as JSON text.
    """

    __tablename__ = "answer"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", index=True)
    repeat_row_id: int | None = Field(
        default=None, foreign_key="repeat_row.id", ondelete="CASCADE", index=True
    )
    path: str = Field(index=True)
    value: str | None = Field(default=None, sa_type=Text)


class Attachment(SQLModel, table=True):
    """A file attached to a submission; `local_path` is set once the file was downloaded."""

    __tablename__ = "attachment"
    __table_args__ = (
        UniqueConstraint("submission_id", "uid", name="uq_attachment_submission_uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", ondelete="CASCADE", index=True)
    uid: str
    filename: str
    mimetype: str | None = None
    question_xpath: str | None = None
    download_url: str | None = None
    local_path: str | None = None
    is_deleted: bool = False


class SyncState(SQLModel, table=True):
    """Per form: the highest `_id` committed (`cursor`) and when syncs last succeeded."""

    __tablename__ = "sync_state"

    asset_uid: str = Field(primary_key=True)
    cursor: int | None = Field(default=None, sa_type=BigInteger)
    runs_since_reconcile: int = 0
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_reconcile_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SyncRun(SQLModel, table=True):
    """One sync run of one form; `status` is one of RUN_STATUSES."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    asset_uid: str = Field(index=True)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", index=True)
    new: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    pages: int = 0
    error: str | None = Field(default=None, sa_type=Text)


class ExportLog(SQLModel, table=True):
    """One `export` run: who wrote which packs, when, and how protected (domain.md §6 asks
    for an access log). `regions`, `languages` and `formats` are comma-separated codes."""

    __tablename__ = "export_log"

    id: int | None = Field(default=None, primary_key=True)
    exported_at: datetime = Field(sa_type=UTCDateTime, index=True)
    exported_by: str
    year: int
    regions: str
    languages: str
    formats: str
    tier: str
    include_sensitive: bool
    folder: str = Field(sa_type=Text)
    files: int


class SchemaVersion(SQLModel, table=True):
    """One applied migration."""

    __tablename__ = "schema_version"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str
    applied_at: datetime = Field(sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """One organisation in the Secretariat's member register (see `nswp_survey.register`).

    `org_name` and `contact` are sensitive: they never leave the register unless asked for.
    `left_date` is set while the member is not active; a returning member gets a new
    `join_date` and `left_date` cleared (the earlier periods stay in `member_event`).
    """

    __tablename__ = "member"

    code: str = Field(primary_key=True)
    region: str
    country: str
    membership_type: str
    regional_network: str | None = None
    join_date: date
    left_date: date | None = None
    preferred_language: str
    active: bool = True
    org_name: str | None = Field(default=None, sa_type=Text)
    contact: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class MemberEvent(SQLModel, table=True):
    """History of the register: a member `joined`, `left` or `changed` on `event_date`;
    `import_id` is the register import that recorded it (NULL before migration 5)."""

    __tablename__ = "member_event"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(foreign_key="member.code", index=True)
    event: str
    event_date: date
    details: str | None = Field(default=None, sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    import_id: int | None = Field(default=None, foreign_key="register_import.id", index=True)


class RegisterImport(SQLModel, table=True):
    """One `members import` that was written: when, from which file (its name, not its
    folder), as the whole register or a partial update, and what it did by member.
    `undone_at` is set by `members undo`."""

    __tablename__ = "register_import"

    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime = Field(sa_type=UTCDateTime, index=True)
    file: str = Field(sa_type=Text)
    mode: str  # "whole" (members missing from the file left) or "partial"
    as_of: date
    rows: int = 0
    added: int = 0
    rejoined: int = 0
    left: int = 0
    changed: int = 0
    unchanged: int = 0
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberSnapshot(SQLModel, table=True):
    """What the last register import replaced, for `members undo`: per member it wrote, the
    previous values of the columns it changed (JSON), or NULL for a member it added."""

    __tablename__ = "member_snapshot"

    import_id: int = Field(foreign_key="register_import.id", primary_key=True)
    code: str = Field(primary_key=True)
    before_json: str | None = Field(default=None, sa_type=Text)
