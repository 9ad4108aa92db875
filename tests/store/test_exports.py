"""The export log on SQLite and PostgreSQL: rows as recorded, newest first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from nswp_survey.store import ExportEntry, last_exports, record_export, transaction


def entry(year: int, tier: str, sensitive: bool) -> ExportEntry:
    return ExportEntry("secretariat", year, ["africa", "global"], ["en", "fr"], ["xlsx"], tier,
                       sensitive, "/secure/exports", 3)  # fmt: skip


def test_exports_are_listed_newest_first_with_what_they_wrote(engine: Engine) -> None:
    with transaction(engine) as conn:
        record_export(conn, entry(2024, "public", False), now=datetime(2025, 1, 5, tzinfo=UTC))
        record_export(conn, entry(2025, "internal", True), now=datetime(2026, 1, 5, tzinfo=UTC))
    with transaction(engine) as conn:
        newest, older = last_exports(conn)
        (only,) = last_exports(conn, limit=1)
    assert only.id == newest.id
    assert (newest.year, newest.tier, newest.include_sensitive) == (2025, "internal", True)
    assert (older.year, older.tier, older.include_sensitive) == (2024, "public", False)
    assert (newest.regions, newest.languages, newest.formats) == ("africa,global", "en,fr", "xlsx")
    assert newest.exported_at == datetime(2026, 1, 5, tzinfo=UTC)
    assert (newest.exported_by, newest.folder) == ("secretariat", "/secure/exports")
    assert newest.files == 3
