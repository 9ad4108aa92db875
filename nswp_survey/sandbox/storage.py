"""SQLite persistence for the sandbox: assets, versions, import tasks, submissions.

One connection behind a lock (the HTTP server is threaded). Each submission row keeps
the record's JSON text exactly as served, so pages are spliced from stored text.
`_id`s come from a counter that only grows, like the Postgres serial KPI exposes
(`logger_instance.id`): never reused, and a rejected submission still burns one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS assets (
    pk INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT UNIQUE NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    pk INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT UNIQUE NOT NULL, asset_uid TEXT NOT NULL,
    name TEXT, content TEXT NOT NULL, content_hash TEXT NOT NULL, deployed INTEGER NOT NULL,
    date_modified TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS versions_asset ON versions (asset_uid, date_modified);
CREATE TABLE IF NOT EXISTS imports (uid TEXT PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, asset_uid TEXT NOT NULL, uuid TEXT NOT NULL,
    root_uuid TEXT NOT NULL, xml_hash TEXT NOT NULL, xml TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS submissions_asset ON submissions (asset_uid, id);
CREATE UNIQUE INDEX IF NOT EXISTS submissions_root ON submissions (asset_uid, root_uuid);
CREATE INDEX IF NOT EXISTS submissions_uuid ON submissions (asset_uid, uuid);
CREATE INDEX IF NOT EXISTS submissions_hash ON submissions (xml_hash);
CREATE TABLE IF NOT EXISTS instance_history (
    asset_uid TEXT NOT NULL, uuid TEXT NOT NULL, submission_id INTEGER NOT NULL, xml TEXT);
CREATE INDEX IF NOT EXISTS history_uuid ON instance_history (asset_uid, uuid);
CREATE TABLE IF NOT EXISTS attachments (
    uid TEXT PRIMARY KEY, submission_id INTEGER NOT NULL, basename TEXT NOT NULL,
    mimetype TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS last_submission (asset_uid TEXT PRIMARY KEY, time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, asset_uid TEXT NOT NULL, action TEXT NOT NULL,
    metadata TEXT NOT NULL, date_created TEXT NOT NULL);
"""


def dumps(value: Any) -> str:
    """DRF JSONRenderer style: compact separators, UTF-8 kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Storage:
    def __init__(self, db_path: str | Path | None = None) -> None:
        target = ":memory:" if db_path is None else str(db_path)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:
            if db_path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error:
            self._db.close()  # not a database, or not writable: the caller reports it
            raise

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self.lock:
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[Any]:
        with self.lock:
            return self._db.execute(sql, params).fetchall()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self.lock:
            return self._db.execute(sql, params)

    def next_value(self, name: str) -> int:
        with self.lock:
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1",
                (name,),
            )
            return int(self._one("SELECT value FROM counters WHERE name = ?", (name,))[0])

    # assets -------------------------------------------------------------------------------
    def get_asset(self, uid: str) -> dict[str, Any] | None:
        row = self._one("SELECT pk, state FROM assets WHERE uid = ?", (uid,))
        if row is None:
            return None
        state = json.loads(row[1])
        state["pk"] = row[0]
        return state

    def put_asset(self, state: dict[str, Any]) -> None:
        stored = {k: v for k, v in state.items() if k != "pk"}
        self._run(
            "INSERT INTO assets (uid, state) VALUES (?, ?) "
            "ON CONFLICT(uid) DO UPDATE SET state = excluded.state",
            (state["uid"], dumps(stored)),
        )

    def delete_asset(self, uid: str) -> None:
        """Asset.delete cascades to versions, the XForm and its instances."""
        with self.lock:
            ids = [
                r[0] for r in self._all("SELECT id FROM submissions WHERE asset_uid = ?", (uid,))
            ]
            self.delete_submissions(ids)
            for table in (
                "assets",
                "versions",
                "instance_history",
                "last_submission",
                "audit_logs",
            ):
                key = "uid" if table == "assets" else "asset_uid"
                self._db.execute(f"DELETE FROM {table} WHERE {key} = ?", (uid,))

    def list_assets(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT pk, state FROM assets ORDER BY pk DESC")
        return [{**json.loads(state), "pk": pk} for pk, state in rows]

    def set_last_submission_time(self, asset_uid: str, value: str) -> None:
        self._run(
            "INSERT INTO last_submission (asset_uid, time) VALUES (?, ?) "
            "ON CONFLICT(asset_uid) DO UPDATE SET time = excluded.time",
            (asset_uid, value),
        )

    def last_submission_time(self, asset_uid: str) -> str | None:
        row = self._one("SELECT time FROM last_submission WHERE asset_uid = ?", (asset_uid,))
        return None if row is None else row[0]

    # versions -----------------------------------------------------------------------------
    def add_version(self, version: dict[str, Any]) -> None:
        self._run(
            "INSERT INTO versions (uid, asset_uid, name, content, content_hash, deployed, "
            "date_modified) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (version["uid"], version["asset_uid"], version["name"], dumps(version["content"]),
             version["content_hash"], int(version["deployed"]), version["date_modified"]),
        )  # fmt: skip

    def versions(self, asset_uid: str, with_content: bool = False) -> list[dict[str, Any]]:
        """Newest first: KPI orders by -date_modified (kpi/views/v2/asset_version.py)."""
        rows = self._all(
            "SELECT pk, uid, name, content_hash, deployed, date_modified"
            + (", content" if with_content else "")
            + " FROM versions WHERE asset_uid = ? ORDER BY date_modified DESC, pk DESC",
            (asset_uid,),
        )
        out = []
        for row in rows:
            item = {"pk": row[0], "uid": row[1], "name": row[2], "content_hash": row[3],
                    "deployed": bool(row[4]), "date_modified": row[5]}  # fmt: skip
            if with_content:
                item["content"] = json.loads(row[6])
            out.append(item)
        return out

    def version_content(self, uid: str) -> dict[str, Any] | None:
        row = self._one("SELECT content FROM versions WHERE uid = ?", (uid,))
        return None if row is None else json.loads(row[0])

    def mark_version_deployed(self, uid: str, date_modified: str) -> None:
        self._run(
            "UPDATE versions SET deployed = 1, date_modified = ? WHERE uid = ?",
            (date_modified, uid),
        )

    # import tasks -------------------------------------------------------------------------
    def put_import(self, state: dict[str, Any]) -> None:
        self._run(
            "INSERT INTO imports (uid, state) VALUES (?, ?) "
            "ON CONFLICT(uid) DO UPDATE SET state = excluded.state",
            (state["uid"], dumps(state)),
        )

    def get_import(self, uid: str) -> dict[str, Any] | None:
        row = self._one("SELECT state FROM imports WHERE uid = ?", (uid,))
        return None if row is None else json.loads(row[0])

    # submissions --------------------------------------------------------------------------
    def find_by_hash(self, xml_hash: str) -> int | None:
        row = self._one("SELECT id FROM submissions WHERE xml_hash = ? LIMIT 1", (xml_hash,))
        return None if row is None else int(row[0])

    def find_by_uuid(self, asset_uid: str, uuid: str) -> list[int]:
        rows = self._all(
            "SELECT id FROM submissions WHERE asset_uid = ? AND uuid = ?", (asset_uid, uuid)
        )
        return [int(r[0]) for r in rows]

    def find_by_root_or_uuid(self, asset_uid: str, uuid: str) -> int | None:
        """`_get_submission_by_id_or_root_uuid`: rootUuid first, then the current _uuid."""
        row = self._one(
            "SELECT id FROM submissions WHERE asset_uid = ? AND root_uuid = ? "
            "UNION ALL SELECT id FROM submissions WHERE asset_uid = ? AND uuid = ? LIMIT 1",
            (asset_uid, uuid, asset_uid, uuid),
        )
        return None if row is None else int(row[0])

    def root_taken(self, asset_uid: str, root_uuid: str) -> bool:
        row = self._one(
            "SELECT 1 FROM submissions WHERE asset_uid = ? AND root_uuid = ?",
            (asset_uid, root_uuid),
        )
        return row is not None

    def in_history(self, asset_uid: str, uuid: str) -> bool:
        row = self._one(
            "SELECT 1 FROM instance_history WHERE asset_uid = ? AND uuid = ?", (asset_uid, uuid)
        )
        return row is not None

    def insert_submission(self, sub: dict[str, Any]) -> None:
        self._run(
            "INSERT INTO submissions (id, asset_uid, uuid, root_uuid, xml_hash, xml, doc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sub["id"], sub["asset_uid"], sub["uuid"], sub["root_uuid"], sub["xml_hash"],
             sub["xml"], sub["doc"]),
        )  # fmt: skip

    def replace_submission(self, sub_id: int, old_uuid: str, sub: dict[str, Any]) -> None:
        """An edit: the old XML goes to the history (InstanceHistory), the row is updated."""
        with self.lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO instance_history (asset_uid, uuid, submission_id, xml) "
                    "SELECT asset_uid, ?, id, xml FROM submissions WHERE id = ?",
                    (old_uuid, sub_id),
                )
                self._db.execute(
                    "UPDATE submissions SET uuid = ?, xml_hash = ?, xml = ?, doc = ? WHERE id = ?",
                    (sub["uuid"], sub["xml_hash"], sub["xml"], sub["doc"], sub_id),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def update_doc(self, sub_id: int, doc: str) -> None:
        self._run("UPDATE submissions SET doc = ? WHERE id = ?", (doc, sub_id))

    def get_doc(self, asset_uid: str, sub_id: int) -> str | None:
        row = self._one(
            "SELECT doc FROM submissions WHERE asset_uid = ? AND id = ?", (asset_uid, sub_id)
        )
        return None if row is None else row[0]

    def asset_of(self, sub_id: int) -> str | None:
        row = self._one("SELECT asset_uid FROM submissions WHERE id = ?", (sub_id,))
        return None if row is None else row[0]

    def get_xml(self, sub_id: int) -> str | None:
        row = self._one("SELECT xml FROM submissions WHERE id = ?", (sub_id,))
        return None if row is None else row[0]

    def existing_ids(self, asset_uid: str, ids: list[int]) -> set[int]:
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                f"SELECT id FROM submissions WHERE asset_uid = ? AND id IN ({marks})",
                [asset_uid, *chunk],
            )
            found.update(int(r[0]) for r in rows)
        return found

    def delete_submissions(self, ids: list[int]) -> int:
        deleted = 0
        with self.lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                cur = self._db.execute(f"DELETE FROM submissions WHERE id IN ({marks})", chunk)
                deleted += cur.rowcount
                self._db.execute(f"DELETE FROM attachments WHERE submission_id IN ({marks})", chunk)
        return deleted

    def count(self, asset_uid: str, clauses: list[str], params: list[Any]) -> int:
        where = " AND ".join(["asset_uid = ?", *clauses])
        return int(
            self._one(f"SELECT COUNT(*) FROM submissions WHERE {where}", (asset_uid, *params))[0]
        )

    def page(
        self, asset_uid: str, clauses: list[str], params: list[Any], descending: bool,
        limit: int | None, offset: int,
    ) -> list[tuple[int, str]]:  # fmt: skip
        where = " AND ".join(["asset_uid = ?", *clauses])
        order = "DESC" if descending else "ASC"
        sql = f"SELECT id, doc FROM submissions WHERE {where} ORDER BY id {order} LIMIT ? OFFSET ?"
        return self._all(sql, [asset_uid, *params, -1 if limit is None else limit, offset])

    def iter_docs(
        self, asset_uid: str, clauses: list[str], params: list[Any]
    ) -> Iterator[tuple[int, str]]:
        where = " AND ".join(["asset_uid = ?", *clauses])
        rows = self._all(
            f"SELECT id, doc FROM submissions WHERE {where} ORDER BY id", [asset_uid, *params]
        )
        yield from rows

    def sort_values(
        self, asset_uid: str, clauses: list[str], params: list[Any], paths: list[str]
    ) -> list[tuple[Any, ...]]:
        """(id, value, json type, value, json type, ...) per row, without parsing records."""
        columns = "".join(", json_extract(doc, ?), json_type(doc, ?)" for _ in paths)
        where = " AND ".join(["asset_uid = ?", *clauses])
        path_params = [p for path in paths for p in (path, path)]
        sql = f"SELECT id{columns} FROM submissions WHERE {where} ORDER BY id"
        return self._all(sql, [*path_params, asset_uid, *params])

    def docs_for_ids(self, asset_uid: str, ids: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                f"SELECT id, doc FROM submissions WHERE asset_uid = ? AND id IN ({marks})",
                [asset_uid, *chunk],
            )
            found.update((int(i), d) for i, d in rows)
        return found

    def xml_for_ids(self, ids: list[int]) -> list[str]:
        out = []
        for sub_id in ids:
            xml = self.get_xml(sub_id)
            if xml is not None:
                out.append(xml)
        return out

    # attachments and audit logs -----------------------------------------------------------
    def add_attachment(
        self, uid: str, sub_id: int, basename: str, mimetype: str, data: bytes
    ) -> None:
        self._run(
            "INSERT INTO attachments (uid, submission_id, basename, mimetype, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (uid, sub_id, basename, mimetype, data),
        )

    def get_attachment(self, sub_id: int, uid: str) -> tuple[str, str, bytes] | None:
        row = self._one(
            "SELECT basename, mimetype, data FROM attachments WHERE submission_id = ? AND uid = ?",
            (sub_id, uid),
        )
        return None if row is None else (row[0], row[1], bytes(row[2]))

    def add_audit_log(
        self, asset_uid: str, action: str, metadata: dict[str, Any], date: str
    ) -> None:
        self._run(
            "INSERT INTO audit_logs (asset_uid, action, metadata, date_created) "
            "VALUES (?, ?, ?, ?)",
            (asset_uid, action, dumps(metadata), date),
        )

    def audit_logs(self, asset_uid: str, action: str | None) -> list[dict[str, Any]]:
        sql = "SELECT action, metadata, date_created FROM audit_logs WHERE asset_uid = ?"
        params: list[Any] = [asset_uid]
        if action:
            sql += " AND action = ?"
            params.append(action)
        rows = self._all(sql + " ORDER BY id DESC", params)
        return [{"action": a, "metadata": json.loads(m), "date_created": d} for a, m, d in rows]
