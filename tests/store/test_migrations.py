"""Numbered migrations: applied once, in order, atomically; and they agree with the models."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import SQLModel

import nswp_survey.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from nswp_survey.errors import NswpError
from nswp_survey.store import MIGRATIONS, Migration, check_schema, current_version, migrate


def add_note_column(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE form ADD COLUMN note VARCHAR"))


def broken_migration(conn: Connection) -> None:
    conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
    raise RuntimeError("migration failed half way")


LATEST = len(MIGRATIONS)  # the project's own migrations; test ones are numbered after them
NEXT = LATEST + 1


def columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_migrate_creates_the_schema_then_is_a_no_op(blank_engine: Engine) -> None:
    assert current_version(blank_engine) == 0
    assert migrate(blank_engine) == list(range(1, NEXT))
    assert migrate(blank_engine) == []
    assert current_version(blank_engine) == LATEST
    with blank_engine.connect() as conn:
        rows = conn.execute(text("SELECT version, name FROM schema_version ORDER BY 1")).all()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]
    assert rows[0] == (1, "initial tables")
    check_schema(blank_engine)


def test_a_new_migration_is_applied_once(blank_engine: Engine) -> None:
    migrate(blank_engine)
    assert "note" not in columns(blank_engine, "form")
    with_next = (*MIGRATIONS, Migration(NEXT, "form note", add_note_column))
    assert migrate(blank_engine, with_next) == [NEXT]
    assert migrate(blank_engine, with_next) == []
    assert "note" in columns(blank_engine, "form")
    assert current_version(blank_engine) == NEXT


def test_a_fresh_database_gets_every_migration_in_order(blank_engine: Engine) -> None:
    with_next = (*MIGRATIONS, Migration(NEXT, "form note", add_note_column))
    assert migrate(blank_engine, with_next) == list(range(1, NEXT + 1))
    assert "note" in columns(blank_engine, "form")


def test_a_failing_migration_leaves_no_trace(blank_engine: Engine) -> None:
    migrate(blank_engine)
    with pytest.raises(RuntimeError, match="half way"):
        migrate(blank_engine, (*MIGRATIONS, Migration(NEXT, "broken", broken_migration)))
    assert current_version(blank_engine) == LATEST
    assert not inspect(blank_engine).has_table("half_done")


def test_a_database_newer_than_the_code_is_refused(blank_engine: Engine) -> None:
    migrate(blank_engine, (*MIGRATIONS, Migration(NEXT, "form note", add_note_column)))
    with pytest.raises(NswpError, match="newer"):
        migrate(blank_engine)
    with pytest.raises(NswpError, match="newer"):
        check_schema(blank_engine)


def test_an_unmigrated_database_fails_the_schema_check(blank_engine: Engine) -> None:
    with pytest.raises(NswpError, match="version 0"):
        check_schema(blank_engine)


def test_migrations_must_be_numbered_in_order(blank_engine: Engine) -> None:
    with pytest.raises(ValueError, match="numbered"):
        migrate(blank_engine, (*MIGRATIONS, Migration(NEXT + 1, "gap", add_note_column)))


def test_migrated_schema_matches_the_models(blank_engine: Engine) -> None:
    """A model change without its migration (or the reverse) fails here."""
    migrate(blank_engine)
    db = inspect(blank_engine)
    models = SQLModel.metadata.tables
    assert set(db.get_table_names()) == set(models)
    for name, table in models.items():
        db_columns = {c["name"]: c for c in db.get_columns(name)}
        assert set(db_columns) == set(table.c.keys()), name
        for column in table.c:
            assert db_columns[column.name]["nullable"] == column.nullable, (name, column.name)
            db_type = db_columns[column.name]["type"]
            assert db_type._type_affinity == column.type._type_affinity, (name, column.name)
        assert set(db.get_pk_constraint(name)["constrained_columns"]) == {
            c.name for c in table.primary_key
        }
        db_indexes = {
            i["name"]: tuple(i["column_names"])
            for i in db.get_indexes(name)
            if not i.get("duplicates_constraint")  # PostgreSQL lists a UNIQUE's index too
        }
        model_indexes = {i.name: tuple(c.name for c in i.columns) for i in table.indexes}
        assert db_indexes == model_indexes, name
        db_uniques = {u["name"]: tuple(u["column_names"]) for u in db.get_unique_constraints(name)}
        model_uniques = {
            c.name: tuple(col.name for col in c.columns)
            for c in table.constraints
            if c.__class__.__name__ == "UniqueConstraint"
        }
        assert db_uniques == model_uniques, name
        db_fks = {
            (tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
            for fk in db.get_foreign_keys(name)
        }
        model_fks = {
            ((fk.parent.name,), fk.column.table.name, fk.ondelete) for fk in table.foreign_keys
        }
        assert db_fks == model_fks, name


def test_migration_3_moves_workbook_hashes_out_of_kobos_column(blank_engine: Engine) -> None:
    migrate(blank_engine, MIGRATIONS[:2])
    kobo_sha1, workbook_sha256 = "e4ea47cfddbf34a264bb083b8e46710b21254fe8", "ab" * 32
    with blank_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO form (asset_uid, name, server_url, first_seen_at, last_seen_at) "
                "VALUES ('a1', 'survey', 'http://127.0.0.1', :t, :t)"
            ),
            {"t": "2025-01-01 00:00:00"},
        )
        for version, digest in (("v1", kobo_sha1), ("v2", workbook_sha256), ("v3", None)):
            conn.execute(
                text(
                    "INSERT INTO form_version (asset_uid, version_uid, content_hash, recorded_at)"
                    " VALUES ('a1', :v, :h, '2025-01-01 00:00:00')"
                ),
                {"v": version, "h": digest},
            )
    migrate(blank_engine)
    with blank_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT version_uid, content_hash, workbook_hash FROM form_version ORDER BY 1")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("v1", kobo_sha1, None),
        ("v2", None, workbook_sha256),
        ("v3", None, None),
    ]
