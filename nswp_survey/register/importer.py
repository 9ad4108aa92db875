"""Import the member register from a CSV or XLSX file: all rows valid, or nothing written.

`register.file` reads and checks the file; this module applies it to the register.

Rules:
- The whole import is one transaction; `dry_run` checks and counts but writes nothing.
- A member in the register and missing from the file has left: active = no, left_date = the
  import date (`as_of`), event "left". Unless the file was refused first: with
  `max_left_share` set, a file that would mark more than that share of the active members
  as left this way writes nothing (RegisterError, exit 2). `partial`: the file updates and
  adds only its rows, and nobody is marked as left for missing from it.
- `active = no` in the file: left_date = the file's left_date, else the one already recorded,
  else the import date.
- A member who had left and is active in the file again has rejoined: join_date = the file's
  join_date when it is after the date they left or when they left in the same calendar year
  (no 31 December passed without them: MEM-01 counted them every year, so MEM-02 must not
  count them as new, as after an import of a partial file put right), else the import date
  (a new period: absent from MEM-01 at a year end, so new in MEM-02 when back); left_date
  is cleared; event "joined". Earlier periods stay only in the history (`member_event`).
- Other column changes are one event "changed" naming the columns, never the values.
- An optional column absent from the file keeps what is stored (a file without org_name
  does not erase names); present but empty clears it.
- An import that writes is logged with its counts, and what it replaced is kept so that
  `nswp_survey.register.history.undo_last_import` can put it back (see there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from nswp_survey.register.file import RegisterEntry, RegisterFile, parse_register, rejected
from nswp_survey.store import (
    add_member_event,
    delete_member_snapshots,
    finish_register_import,
    insert_member,
    load_members,
    save_member_snapshot,
    start_register_import,
    transaction,
    update_member,
    utcnow,
)
from nswp_survey.store.models import Member, RegisterImport

_KEPT_WHEN_ABSENT = ("regional_network", "org_name", "contact")
CHANGE_KINDS = ("added", "rejoined", "left", "changed")
SAMPLE_REGISTER = Path(__file__).resolve().parents[2] / "config" / "sample_register.csv"


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with dry_run, would do), counted by member.

    `codes` names the members of each kind of change; `refused` (dry run only) is why the
    import itself would be refused.
    """

    rows: int
    added: int = 0
    rejoined: int = 0
    left: int = 0
    changed: int = 0
    unchanged: int = 0
    dry_run: bool = False
    partial: bool = False
    codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    refused: str | None = None

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        partial = " (partial: members not in it untouched)" if self.partial else ""
        rows = f"{self.rows} member rows{partial}"
        return (
            f"{verb} {rows}: {self.added} added, {self.rejoined} rejoined, "
            f"{self.left} left, {self.changed} changed, {self.unchanged} unchanged"
        )

    def changes(self) -> list[str]:
        """One line per kind of change, naming the member codes."""
        return [
            f"  {kind} ({len(codes)}): {', '.join(codes)}"
            for kind in CHANGE_KINDS
            if (codes := self.codes.get(kind))
        ]


def changed_register(counts: ImportResult | RegisterImport) -> bool:
    """Whether an import (an ImportResult, or its logged row) added, rejoined, marked as
    left or changed any member."""
    return any(getattr(counts, kind) for kind in CHANGE_KINDS)


def import_register(
    engine: Engine,
    path: str | Path,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    partial: bool = False,
    max_left_share: float | None = None,
) -> ImportResult:
    """Check the file, then update the register from it in one transaction.

    `as_of` is the date the file describes (default: today, UTC): members missing from it
    left on that day (unless `partial`). Raises RegisterError (exit code 2, `problems` by
    row) for a bad file, and for one that would mark more than `max_left_share` of the
    active members as left.
    """
    path = Path(path)
    return apply_register(
        engine,
        parse_register(path),
        as_of=as_of or utcnow().date(),
        dry_run=dry_run,
        partial=partial,
        max_left_share=max_left_share,
        source=path.name,
    )


def load_sample_register(engine: Engine, *, as_of: date | None = None) -> ImportResult:
    """Import the fictitious register shipped for the demo (`config/sample_register.csv`)."""
    return import_register(engine, SAMPLE_REGISTER, as_of=as_of)


def apply_register(
    engine: Engine,
    register: RegisterFile,
    *,
    as_of: date,
    dry_run: bool = False,
    partial: bool = False,
    max_left_share: float | None = None,
    source: str = "register",
) -> ImportResult:
    """Write a checked register file: add, update, mark left and rejoined, record history
    and the import (file name `source`); see the module docstring for the rules."""
    codes: dict[str, list[str]] = {kind: [] for kind in (*CHANGE_KINDS, "unchanged")}
    with transaction(engine) as conn:
        current = {member.code: member for member in load_members(conn)}
        listed = {entry.code for entry in register.entries}
        missing = [] if partial else [c for c, m in current.items() if c not in listed and m.active]
        active = sum(member.active for member in current.values())
        refused = _refusal(source, len(register.entries), len(missing), active, max_left_share)
        if refused and not dry_run:
            raise rejected(refused, [])
        import_id = None
        if not dry_run:
            import_id = start_register_import(
                conn, source, "partial" if partial else "whole", as_of
            )
        for entry in register.entries:
            old = current.get(entry.code)
            kind = _apply_entry(conn, old, entry, register.columns, as_of, import_id)
            codes[kind].append(entry.code)
        for code in missing:
            codes["left"].append(code)
            if import_id is not None:
                values = {"active": False, "left_date": as_of}
                _save_snapshot(conn, import_id, current[code], values)
                update_member(conn, code, values)
                reason = "not in the register file"
                add_member_event(conn, code, "left", as_of, reason, import_id=import_id)
        result = ImportResult(
            rows=len(register.entries),
            dry_run=dry_run,
            partial=partial,
            codes={kind: tuple(found) for kind, found in codes.items()},
            refused=refused,
            **{kind: len(found) for kind, found in codes.items()},
        )
        if import_id is not None:
            counts = {kind: getattr(result, kind) for kind in ("rows", *codes)}
            finish_register_import(conn, import_id, counts)
            if changed_register(result):  # else the import before stays the one to undo
                delete_member_snapshots(conn, keep=import_id)
    return result


def _refusal(
    source: str, rows: int, leaving: int, active: int, max_left_share: float | None
) -> str | None:
    """Why a file that would mark too many members as left is refused; None if it is not."""
    if max_left_share is None or leaving <= max_left_share * active:
        return None
    return (
        f"{source} would mark {leaving} of {active} active members as left (not in the file; "
        f"register.max_left_share is {max_left_share * 100:g}%); nothing imported: add "
        f"--replace if it is the whole register, or --partial to update only its {rows} rows"
    )


def _save_snapshot(
    conn: Connection, import_id: int, old: Member, values: Mapping[str, Any]
) -> None:
    """Keep the values of `old` that `values` replace, for `members undo`."""
    replaced = {
        name: getattr(old, name) for name, new in values.items() if getattr(old, name) != new
    }
    save_member_snapshot(conn, import_id, old.code, {**replaced, "updated_at": old.updated_at})


def _apply_entry(
    conn: Connection,
    old: Member | None,
    entry: RegisterEntry,
    columns: frozenset[str],
    as_of: date,
    import_id: int | None,
) -> str:
    """Write one row in import `import_id` (None: a dry run, write nothing); return how it
    counts (added, rejoined, left, changed, unchanged)."""
    names = ["region", "country", "membership_type", "join_date", "preferred_language", "active"]
    names += [name for name in _KEPT_WHEN_ABSENT if name in columns or old is None]
    values: dict[str, Any] = {name: getattr(entry, name) for name in names}
    events: list[tuple[str, date, str | None]] = []
    explained: set[str] = set()
    if old is None:
        kind = "added"
        events.append(("joined", entry.join_date, None))
        values["left_date"] = None if entry.active else entry.left_date or as_of
        if not entry.active:
            events.append(("left", values["left_date"], "inactive in the register file"))
    elif entry.active and not old.active:
        kind, explained = "rejoined", {"active", "join_date", "left_date"}
        values["left_date"] = None
        if old.left_date is None or entry.join_date > old.left_date:
            values["join_date"] = entry.join_date
            events.append(("joined", entry.join_date, "active again in the register file"))
        elif old.left_date.year == as_of.year:
            values["join_date"] = entry.join_date
            back = "active again in the register file, in the year it left: join date kept"
            events.append(("joined", as_of, back))
        else:
            values["join_date"] = as_of
            events.append(("joined", as_of, "active again in the register file"))
    else:
        kind = "unchanged"
        values["left_date"] = None if entry.active else entry.left_date or old.left_date or as_of
        if old.active and not entry.active:
            kind, explained = "left", {"active", "left_date"}
            events.append(("left", values["left_date"], "inactive in the register file"))
    if old is not None:
        changed = [name for name, value in values.items() if getattr(old, name) != value]
        others = [name for name in changed if name not in explained]
        if others:
            events.append(("changed", as_of, "changed: " + ", ".join(others)))
            kind = "changed" if kind == "unchanged" else kind
    if import_id is None or kind == "unchanged":
        return kind
    if old is None:
        insert_member(conn, {"code": entry.code, **values})
        save_member_snapshot(conn, import_id, entry.code, None)
    else:
        _save_snapshot(conn, import_id, old, values)
        update_member(conn, entry.code, values)
    for event, event_date, details in events:
        add_member_event(conn, entry.code, event, event_date, details, import_id=import_id)
    return kind
