"""The register's history: the log of imports, and undoing the last one.

Every import that writes is logged (`register_import`: when, the file's name, whole register
or partial, the as-of date, the counts); the member events it records carry its id; and
what it replaced is kept (`member_snapshot`: per member, the previous values of the columns
it changed, or "added"). Only the last import that changed the register can be undone: each
such import drops the snapshots of the ones before, so that a name or contact an import
removed does not live on in an old snapshot, and so that an undo never restores a state that
a later import built on. An import that changed nothing leaves the one before undoable.

`undo_last_import` puts back every member that import changed, removes the members it
added, deletes the events it recorded and marks it undone, all in one transaction; the log
keeps its row, so the history still shows that it happened and was undone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from nswp_survey.errors import RegisterError
from nswp_survey.register.importer import changed_register
from nswp_survey.store import (
    delete_member,
    delete_member_events,
    delete_member_snapshots,
    iso,
    load_member_snapshots,
    load_members,
    load_register_imports,
    mark_register_import_undone,
    transaction,
    update_member,
)
from nswp_survey.store.models import RegisterImport

UNDO_COMMAND = "nswp-survey members undo"


@dataclass(frozen=True)
class UndoResult:
    """What `undo_last_import` did: the import undone, members put back and removed."""

    undone: RegisterImport
    restored: int
    removed: int

    def summary(self) -> str:
        return (
            f"undid {describe_import(self.undone)}: {self.restored} members put back as they "
            f"were, {self.removed} members it had added removed"
        )


def describe_import(entry: RegisterImport) -> str:
    """'import #3 of register.csv (2026-03-01T10:00:00+00:00)'."""
    return f"import #{entry.id} of {entry.file} ({iso(entry.imported_at)})"


def undoable_import(imports: list[RegisterImport]) -> RegisterImport | None:
    """The import `undo_last_import` would undo (of `imports`, newest first), if any."""
    last = next((entry for entry in imports if changed_register(entry)), None)
    return last if last is not None and last.undone_at is None else None


def load_import_history(engine: Engine) -> list[RegisterImport]:
    """The register imports, newest first."""
    with engine.connect() as conn:
        return load_register_imports(conn)


def undo_last_import(engine: Engine) -> UndoResult:
    """Put the register back as it was before its last import (see the module docstring).

    Raises RegisterError (exit code 2) when there is nothing to undo.
    """
    with transaction(engine) as conn:
        imports = load_register_imports(conn)
        target = undoable_import(imports)
        # The conditional update also settles two undos at once: the second changes nothing.
        if target is None or target.id is None or not mark_register_import_undone(conn, target.id):
            raise RegisterError(_nothing_to_undo(imports))
        members = {member.code: member for member in load_members(conn)}
        snapshots = load_member_snapshots(conn, target.id, members)
        delete_member_events(conn, target.id)
        restored = removed = 0
        for code, before in snapshots.items():
            if before is None:
                delete_member(conn, code)
                removed += 1
            else:
                update_member(conn, code, before)
                restored += 1
        delete_member_snapshots(conn)
    return UndoResult(target, restored, removed)


def _nothing_to_undo(imports: list[RegisterImport]) -> str:
    last = next((entry for entry in imports if changed_register(entry)), None)
    if last is None:
        return "no register import to undo (none that changed the register is recorded)"
    return (
        f"nothing to undo: the last import that changed the register, {describe_import(last)}, "
        "was undone already, and only the last one can be; to go further back, import an "
        "earlier whole register file with --replace"
    )
