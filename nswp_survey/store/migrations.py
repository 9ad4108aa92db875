"""Numbered schema migrations: the only way tables are created or changed.

Each migration is a plain function `(connection) -> None` with a number. `db.migrate()` runs,
in order, those whose number is not yet in the `schema_version` table, each in its own
transaction together with the row recording it (SQLite and PostgreSQL both have transactional
DDL), so a migration is applied completely or not at all.

Migration 1 spells out the initial schema as it was on the day it was written (plain
SQLAlchemy Core tables in a private MetaData), NOT as `models.py` says today: once migration 2
adds a column, a new database must still get version 1 first and then version 2.

To change the schema later:
1. change the model in `models.py`;
2. write `_m0002_<what>(conn)` below with the DDL (`conn.exec_driver_sql("ALTER TABLE ...")`,
   or for SQLite changes ALTER cannot do, the create-copy-drop-rename recipe);
3. append `Migration(2, "<what>", _m0002_<what>)` to MIGRATIONS.
`tests/store/test_migrations.py` fails while the migrated database and the models disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nswp_survey.store.timestamps import UTCDateTime


@dataclass(frozen=True)
class Migration:
    """One schema step: `apply(conn)` runs inside the transaction that records `version`."""

    version: int
    name: str
    apply: Callable[[Connection], None]


# The bookkeeping table itself never changes (migrate() creates it before anything else).
_BOOKKEEPING = MetaData()
SCHEMA_VERSION = Table(
    "schema_version",
    _BOOKKEEPING,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)


def _indexed(table: Table, *columns: str) -> None:
    for column in columns:
        Index(f"ix_{table.name}_{column}", table.c[column])


def _v1_metadata() -> MetaData:
    """The schema of migration 1, frozen (do not edit: write a new migration instead)."""
    md = MetaData()
    Table(
        "form",
        md,
        Column("asset_uid", String, primary_key=True),
        Column("name", String, nullable=False),
        Column("server_url", String, nullable=False),
        Column("first_seen_at", UTCDateTime, nullable=False),
        Column("last_seen_at", UTCDateTime, nullable=False),
    )
    form_version = Table(
        "form_version",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "asset_uid", String, ForeignKey("form.asset_uid", ondelete="CASCADE"), nullable=False
        ),
        Column("version_uid", String, nullable=False),
        Column("version_number", String),
        Column("content_hash", String),
        Column("content_json", Text),
        Column("date_deployed", UTCDateTime),
        Column("recorded_at", UTCDateTime, nullable=False),
        UniqueConstraint("asset_uid", "version_uid", name="uq_form_version_asset_version"),
    )
    _indexed(form_version, "asset_uid")
    submission = Table(
        "submission",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "asset_uid", String, ForeignKey("form.asset_uid", ondelete="CASCADE"), nullable=False
        ),
        Column("kobo_id", BigInteger, nullable=False),
        Column("uuid", String, nullable=False),
        Column("root_uuid", String),
        Column("instance_id", String),
        Column("deprecated_id", String),
        Column("version_uid", String),
        Column("submission_time", UTCDateTime),
        Column("validation_status", String),
        Column("validated_at", UTCDateTime),
        Column("submitted_by", String),
        Column("raw_json", Text, nullable=False),
        Column("content_hash", String, nullable=False),
        Column("first_synced_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("deleted_at", UTCDateTime),
        UniqueConstraint("asset_uid", "kobo_id", name="uq_submission_asset_kobo"),
    )
    _indexed(
        submission,
        "uuid",
        "root_uuid",
        "version_uid",
        "submission_time",
        "validation_status",
        "submitted_by",
        "deleted_at",
    )
    submission_version = Table(
        "submission_version",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "submission_id",
            Integer,
            ForeignKey("submission.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("uuid", String, nullable=False),
        Column("content_hash", String, nullable=False),
        Column("raw_json", Text, nullable=False),
        Column("replaced_at", UTCDateTime, nullable=False),
    )
    _indexed(submission_version, "submission_id")
    repeat_row = Table(
        "repeat_row",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "submission_id",
            Integer,
            ForeignKey("submission.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("parent_id", Integer, ForeignKey("repeat_row.id", ondelete="CASCADE")),
        Column("path", String, nullable=False),
        Column("position", Integer, nullable=False),
    )
    _indexed(repeat_row, "submission_id", "parent_id", "path")
    answer = Table(
        "answer",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "submission_id",
            Integer,
            ForeignKey("submission.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("repeat_row_id", Integer, ForeignKey("repeat_row.id", ondelete="CASCADE")),
        Column("path", String, nullable=False),
        Column("value", Text),
    )
    _indexed(answer, "submission_id", "repeat_row_id", "path")
    attachment = Table(
        "attachment",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "submission_id",
            Integer,
            ForeignKey("submission.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("uid", String, nullable=False),
        Column("filename", String, nullable=False),
        Column("mimetype", String),
        Column("question_xpath", String),
        Column("download_url", String),
        Column("local_path", String),
        Column("is_deleted", Boolean, nullable=False),
        UniqueConstraint("submission_id", "uid", name="uq_attachment_submission_uid"),
    )
    _indexed(attachment, "submission_id")
    Table(
        "sync_state",
        md,
        Column("asset_uid", String, primary_key=True),
        Column("cursor", BigInteger),
        Column("runs_since_reconcile", Integer, nullable=False),
        Column("last_success_at", UTCDateTime),
        Column("last_reconcile_at", UTCDateTime),
        Column("updated_at", UTCDateTime, nullable=False),
    )
    sync_run = Table(
        "sync_run",
        md,
        Column("id", Integer, primary_key=True),
        Column("asset_uid", String, nullable=False),
        Column("started_at", UTCDateTime, nullable=False),
        Column("finished_at", UTCDateTime),
        Column("status", String, nullable=False),
        Column("new", Integer, nullable=False),
        Column("updated", Integer, nullable=False),
        Column("deleted", Integer, nullable=False),
        Column("unchanged", Integer, nullable=False),
        Column("pages", Integer, nullable=False),
        Column("error", Text),
    )
    _indexed(sync_run, "asset_uid", "started_at", "status")
    return md


def _m0001_initial(conn: Connection) -> None:
    _v1_metadata().create_all(conn)


def _v2_metadata() -> MetaData:
    """The tables migration 2 adds, frozen (do not edit: write a new migration instead)."""
    md = MetaData()
    Table(
        "member",
        md,
        Column("code", String, primary_key=True),
        Column("region", String, nullable=False),
        Column("country", String, nullable=False),
        Column("membership_type", String, nullable=False),
        Column("regional_network", String),
        Column("join_date", Date, nullable=False),
        Column("left_date", Date),
        Column("preferred_language", String, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("org_name", Text),
        Column("contact", Text),
        Column("updated_at", UTCDateTime, nullable=False),
    )
    member_event = Table(
        "member_event",
        md,
        Column("id", Integer, primary_key=True),
        Column("code", String, ForeignKey("member.code"), nullable=False),
        Column("event", String, nullable=False),
        Column("event_date", Date, nullable=False),
        Column("details", Text),
        Column("recorded_at", UTCDateTime, nullable=False),
    )
    _indexed(member_event, "code")
    return md


def _m0002_member_register(conn: Connection) -> None:
    _v2_metadata().create_all(conn)


def _v4_metadata() -> MetaData:
    """The table migration 4 adds, frozen (do not edit: write a new migration instead)."""
    md = MetaData()
    export_log = Table(
        "export_log",
        md,
        Column("id", Integer, primary_key=True),
        Column("exported_at", UTCDateTime, nullable=False),
        Column("exported_by", String, nullable=False),
        Column("year", Integer, nullable=False),
        Column("regions", String, nullable=False),
        Column("languages", String, nullable=False),
        Column("formats", String, nullable=False),
        Column("tier", String, nullable=False),
        Column("include_sensitive", Boolean, nullable=False),
        Column("folder", Text, nullable=False),
        Column("files", Integer, nullable=False),
    )
    _indexed(export_log, "exported_at")
    return md


def _m0004_export_log(conn: Connection) -> None:
    _v4_metadata().create_all(conn)


def _m0003_workbook_hash(conn: Connection) -> None:
    """`form_version.content_hash` had held two things: Kobo's own hash (40 hex, sha1) when
    a sync recorded the version, our workbook's sha256 (64 hex) when `deploy` did. The
    workbook's now has its own column; Kobo's stays (NULL until a sync records it)."""
    conn.exec_driver_sql("ALTER TABLE form_version ADD COLUMN workbook_hash VARCHAR")
    conn.exec_driver_sql(
        "UPDATE form_version SET workbook_hash = content_hash, content_hash = NULL "
        "WHERE length(content_hash) = 64"
    )


def _v5_metadata() -> MetaData:
    """The tables migration 5 adds, frozen (do not edit: write a new migration instead)."""
    md = MetaData()
    register_import = Table(
        "register_import",
        md,
        Column("id", Integer, primary_key=True),
        Column("imported_at", UTCDateTime, nullable=False),
        Column("file", Text, nullable=False),
        Column("mode", String, nullable=False),
        Column("as_of", Date, nullable=False),
        Column("rows", Integer, nullable=False),
        Column("added", Integer, nullable=False),
        Column("rejoined", Integer, nullable=False),
        Column("left", Integer, nullable=False),
        Column("changed", Integer, nullable=False),
        Column("unchanged", Integer, nullable=False),
        Column("undone_at", UTCDateTime),
    )
    _indexed(register_import, "imported_at")
    Table(
        "member_snapshot",
        md,
        Column("import_id", Integer, ForeignKey("register_import.id"), primary_key=True),
        Column("code", String, primary_key=True),
        Column("before_json", Text),
    )
    return md


def _m0005_register_imports(conn: Connection) -> None:
    """The import log and undo snapshots; member events name the import that wrote them."""
    _v5_metadata().create_all(conn)
    conn.exec_driver_sql(
        "ALTER TABLE member_event ADD COLUMN import_id INTEGER REFERENCES register_import (id)"
    )
    conn.exec_driver_sql("CREATE INDEX ix_member_event_import_id ON member_event (import_id)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial tables", _m0001_initial),
    Migration(2, "member register", _m0002_member_register),
    Migration(3, "workbook hash of deployed versions", _m0003_workbook_hash),
    Migration(4, "export log", _m0004_export_log),
    Migration(5, "register import log", _m0005_register_imports),
)
