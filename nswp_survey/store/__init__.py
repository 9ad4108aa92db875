"""The local store: Kobo submissions and sync bookkeeping in SQLite or PostgreSQL.

Persistence only: imports `nswp_survey.config` and `nswp_survey.errors`, never the Kobo client.
The sync layer converts Kobo submissions into `SubmissionRow`s and calls, per page,
`commit_page(engine, asset_uid, rows, new_cursor)` under `acquire_sync_lock(engine)`.

    db.py          make_engine, migrate, transaction, session_scope
    migrations.py  the numbered schema migrations
    models.py      the tables (SQLModel)
    rows.py        input/output dataclasses: SubmissionRow, AttachmentRow, UpsertCounts
    answers.py     raw JSON -> long-form answers and repeat instances (pure)
    submissions.py upsert_submissions, commit_page, tombstone_missing, load_fingerprints
    bulk.py        driver-level bulk inserts and id reservation (used by submissions.py)
    attachments.py load_pending_attachments, set_attachment_file
    forms.py       upsert_form, record_form_version, load_form_content, forms of a server
    scope.py       FormScope: which stored forms a reading command counts (one server's)
    syncs.py       cursor, sync runs
    lock.py        acquire_sync_lock
    members.py     the member register (member, member_event) and answers by path
    register_imports.py  the register's import log and the last import's undo snapshot
"""

from nswp_survey.store.answers import flatten_submission
from nswp_survey.store.attachments import (
    PendingAttachment,
    load_pending_attachments,
    set_attachment_file,
)
from nswp_survey.store.db import (
    check_schema,
    current_version,
    database_error,
    make_engine,
    migrate,
    session_scope,
    transaction,
)
from nswp_survey.store.exports import ExportEntry, last_exports, record_export
from nswp_survey.store.forms import (
    deployed_asset_uids,
    forms_by_server,
    forms_of_server,
    load_form_content,
    load_form_versions,
    load_latest_content,
    normalize_server_url,
    record_form_version,
    stored_asset_uids,
    upsert_form,
)
from nswp_survey.store.lock import acquire_sync_lock
from nswp_survey.store.members import (
    SubmissionAnswers,
    add_member_event,
    delete_member,
    delete_member_events,
    insert_member,
    load_member_events,
    load_members,
    load_submission_answers,
    update_member,
)
from nswp_survey.store.migrations import MIGRATIONS, Migration
from nswp_survey.store.register_imports import (
    delete_member_snapshots,
    finish_register_import,
    load_member_snapshots,
    load_register_imports,
    mark_register_import_undone,
    save_member_snapshot,
    start_register_import,
)
from nswp_survey.store.rows import AttachmentRow, SubmissionRow, UpsertCounts, content_hash
from nswp_survey.store.scope import FormScope, scoped_asset_uids
from nswp_survey.store.submissions import (
    commit_page,
    load_fingerprints,
    tombstone_missing,
    upsert_submissions,
)
from nswp_survey.store.syncs import (
    finish_run,
    get_cursor,
    last_runs,
    load_sync_state,
    set_cursor,
    start_run,
)
from nswp_survey.store.timestamps import iso, utcnow

__all__ = [
    "MIGRATIONS",
    "AttachmentRow",
    "ExportEntry",
    "FormScope",
    "Migration",
    "PendingAttachment",
    "SubmissionAnswers",
    "SubmissionRow",
    "UpsertCounts",
    "acquire_sync_lock",
    "add_member_event",
    "check_schema",
    "commit_page",
    "content_hash",
    "current_version",
    "database_error",
    "delete_member",
    "delete_member_events",
    "delete_member_snapshots",
    "deployed_asset_uids",
    "finish_register_import",
    "finish_run",
    "flatten_submission",
    "forms_by_server",
    "forms_of_server",
    "get_cursor",
    "insert_member",
    "iso",
    "last_exports",
    "last_runs",
    "load_fingerprints",
    "load_form_content",
    "load_form_versions",
    "load_latest_content",
    "load_member_events",
    "load_member_snapshots",
    "load_members",
    "load_pending_attachments",
    "load_register_imports",
    "load_submission_answers",
    "load_sync_state",
    "make_engine",
    "mark_register_import_undone",
    "migrate",
    "normalize_server_url",
    "record_export",
    "record_form_version",
    "save_member_snapshot",
    "scoped_asset_uids",
    "session_scope",
    "set_attachment_file",
    "set_cursor",
    "start_register_import",
    "start_run",
    "stored_asset_uids",
    "tombstone_missing",
    "transaction",
    "update_member",
    "upsert_form",
    "upsert_submissions",
    "utcnow",
]
