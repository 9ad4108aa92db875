"""`members import` of a file that is not the whole register: refused, --partial, --replace,
the limit from the configuration, --dry-run, and `members history` / `members undo`. (The
refusal itself: tests/reliability/test_register_input.py.)

The scenario is the one reported: the sample register (28 members, 26 active on the
import date), then a file with only its first 6 rows, which would mark 21 members as left.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from nswp_survey.errors import RegisterError
from nswp_survey.register import (
    SAMPLE_REGISTER,
    import_register,
    load_import_history,
    undo_last_import,
)
from nswp_survey.store import make_engine
from nswp_survey.store.models import Member, MemberEvent, RegisterImport

SAMPLE_LINES = SAMPLE_REGISTER.read_text(encoding="utf-8").splitlines()
FIRST_SIX = SAMPLE_LINES[1:7]  # KE NG ZA SN CM (active) and UG (left in 2025)
LEFT_BY_SIX = 21  # the 26 active members less KE NG ZA SN CM
REFUSED = (
    "error: six.csv would mark 21 of 26 active members as left (not in the file; "
    "register.max_left_share is 10%); nothing imported: add --replace if it is the whole "
    "register, or --partial to update only its 6 rows\n"
)


def write_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([SAMPLE_LINES[0], *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def six(tmp_path: Path) -> Path:
    return write_file(tmp_path / "six.csv", FIRST_SIX)


@pytest.fixture
def imported(run: Any) -> Any:
    """`run`, after the whole sample register was imported on 15 Jan 2026."""
    result = run("members", "import", str(SAMPLE_REGISTER), "--as-of", "2026-01-15")
    assert result.exit_code == 0, result.output
    return run


def register_tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the register's tables, to compare before and after."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key))
                ]
                for table in (Member.__table__, MemberEvent.__table__, RegisterImport.__table__)
            }
    finally:
        engine.dispose()


def stored_members(url: str) -> dict[str, Member]:
    columns = Member.__table__.c.keys()
    return {
        row[0]: Member(**dict(zip(columns, row, strict=True)))
        for row in register_tables(url)["member"]
    }


def test_partial_updates_only_its_rows_and_marks_nobody_left(imported: Any, tmp_path: Path) -> None:
    before = stored_members(imported.url)
    ke_spanish = FIRST_SIX[0].replace(",en,yes", ",es,yes")
    new = "BO-0306,lac,BOL,full,plaperts,2026-02-20,,es,yes,,"
    path = write_file(tmp_path / "some.csv", [ke_spanish, *FIRST_SIX[1:], new])

    result = imported("members", "import", str(path), "--partial", "--as-of", "2026-03-01")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "imported 7 member rows (partial: members not in it untouched): 1 added, 0 rejoined, "
        "0 left, 1 changed, 5 unchanged"
    )
    after = stored_members(imported.url)
    assert after["KE-0001"].preferred_language == "es"
    assert after["BO-0306"].active and after["BO-0306"].join_date == date(2026, 2, 20)
    untouched = set(before) - {"KE-0001"}
    assert {code: after[code] for code in untouched} == {code: before[code] for code in untouched}
    assert sum(m.active for m in after.values()) == 27


def test_replace_takes_the_file_as_the_whole_register(imported: Any, six: Path) -> None:
    result = imported("members", "import", str(six), "--replace", "--as-of", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "imported 6 member rows: 0 added, 0 rejoined, 21 left, 0 changed, 6 unchanged"
    )
    after = stored_members(imported.url)
    gone = [m for m in after.values() if m.left_date == date(2026, 3, 1)]
    assert len(gone) == LEFT_BY_SIX and not any(m.active for m in gone)
    assert {m.code for m in after.values() if m.active} == {
        "KE-0001",
        "NG-0002",
        "ZA-0003",
        "SN-0004",
        "CM-0005",
    }
    assert "--replace and --partial" not in result.output
    both = imported("members", "import", str(six), "--replace", "--partial")
    assert both.exit_code == 2
    assert "give --replace (the whole register) or --partial, not both" in both.stderr


@pytest.mark.parametrize(
    ("share", "exit_code", "expected"),
    [
        ("0.9", 0, "imported 6 member rows: 0 added, 0 rejoined, 21 left"),  # 21/26 = 81 %
        ("0.8", 2, "would mark 21 of 26 active members as left (not in the file; "
         "register.max_left_share is 80%)"),
    ],
)  # fmt: skip
def test_the_limit_comes_from_the_configuration(
    imported: Any, six: Path, share: str, exit_code: int, expected: str
) -> None:
    with imported.config.open("a", encoding="utf-8") as config:
        config.write(f"[register]\nmax_left_share = {share}\n")
    result = imported("members", "import", str(six), "--as-of", "2026-03-01")
    assert result.exit_code == exit_code
    assert expected in result.output


def test_a_limit_of_zero_refuses_even_one_member_left(imported: Any, tmp_path: Path) -> None:
    with imported.config.open("a", encoding="utf-8") as config:
        config.write("[register]\nmax_left_share = 0\n")
    all_but_one = write_file(tmp_path / "all_but_one.csv", SAMPLE_LINES[2:])
    result = imported("members", "import", str(all_but_one), "--as-of", "2026-03-01")
    assert result.exit_code == 2
    assert "would mark 1 of 26 active members as left" in result.stderr
    assert "register.max_left_share is 0%" in result.stderr


@pytest.mark.parametrize("share", ["1.5", "-0.1", "nan", '"10%"'])
def test_a_limit_that_is_not_a_share_is_a_configuration_error(
    imported: Any, six: Path, share: str
) -> None:
    with imported.config.open("a", encoding="utf-8") as config:
        config.write(f"[register]\nmax_left_share = {share}\n")
    result = imported("members", "import", str(six))
    assert result.exit_code == 2
    assert "register.max_left_share must be" in result.stderr
    assert "Traceback" not in result.output


def test_dry_run_lists_what_would_change_and_writes_nothing(imported: Any, tmp_path: Path) -> None:
    six = write_file(tmp_path / "six.csv", FIRST_SIX)
    imported("members", "import", str(six), "--replace", "--as-of", "2026-03-01")
    before = register_tables(imported.url)
    new = "BO-0306,lac,BOL,full,plaperts,2026-02-20,,es,yes,,"
    za_french = FIRST_SIX[2].replace(",en,yes", ",fr,yes")
    lines = [*FIRST_SIX[:2], za_french, *FIRST_SIX[3:], SAMPLE_LINES[7], new]  # IN-0101 back
    path = write_file(tmp_path / "next.csv", lines)

    result = imported("members", "import", str(path), "--dry-run", "--as-of", "2026-03-05")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "would import 8 member rows: 1 added, 1 rejoined, 0 left, 1 changed, 5 unchanged",
        "  added (1): BO-0306",
        "  rejoined (1): IN-0101",
        "  changed (1): ZA-0003",
    ]
    assert register_tables(imported.url) == before


def test_dry_run_of_a_partial_file_shows_the_refusal_and_the_partial_plan(
    imported: Any, six: Path
) -> None:
    before = register_tables(imported.url)
    refused = imported("members", "import", str(six), "--dry-run", "--as-of", "2026-03-01")
    assert refused.exit_code == 2
    lines = refused.stdout.splitlines()
    assert lines[0] == (
        "would import 6 member rows: 0 added, 0 rejoined, 21 left, 0 changed, 6 unchanged"
    )
    assert lines[1].startswith("  left (21): AR-0301, BR-0303, CA-0402, ")
    assert refused.stderr == REFUSED
    partial = imported("members", "import", str(six), "--dry-run", "--partial")
    assert (partial.exit_code, partial.stdout) == (
        0,
        "would import 6 member rows (partial: members not in it untouched): 0 added, "
        "0 rejoined, 0 left, 0 changed, 6 unchanged\n",
    )
    assert register_tables(imported.url) == before


def test_undo_puts_the_register_back_as_before_the_last_import(
    imported: Any, six: Path, tmp_path: Path
) -> None:
    before = register_tables(imported.url)
    new = "BO-0306,lac,BOL,full,plaperts,2026-02-20,,es,yes,Fictitious Collective B,b@example.org"
    ke_contact = FIRST_SIX[0].rsplit(",", 2)[0] + ",Renamed Collective,new@example.org"
    path = write_file(tmp_path / "six.csv", [ke_contact, *FIRST_SIX[1:], new])
    done = imported("members", "import", str(path), "--replace", "--as-of", "2026-03-01")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[1] == "to undo this import: nswp-survey members undo"
    assert register_tables(imported.url) != before

    undo = imported("members", "undo")

    assert undo.exit_code == 0, undo.output
    assert undo.stdout.startswith("undid import #2 of six.csv (")
    assert undo.stdout.endswith(
        "): 22 members put back as they were, 1 members it had added removed\n"
    )
    after = register_tables(imported.url)
    assert after["member"] == before["member"]  # names, contacts, dates, updated_at
    assert after["member_event"] == before["member_event"]
    (second, first) = load_history(imported.url)
    assert (second.file, second.left, second.added, second.undone_at is not None) == (
        "six.csv",
        21,
        1,
        True,
    )
    assert first.undone_at is None
    again = imported("members", "undo")
    assert again.exit_code == 2
    assert "was undone already, and only the last one can be" in again.stderr


def load_history(url: str) -> list[RegisterImport]:
    engine = make_engine(url)
    try:
        return load_import_history(engine)
    finally:
        engine.dispose()


def test_history_lists_the_imports_and_how_to_undo_the_last(imported: Any, six: Path) -> None:
    imported("members", "import", str(six), "--as-of", "2026-03-01")  # refused: not logged
    imported("members", "import", str(six), "--partial", "--as-of", "2026-03-01")  # no change
    imported("members", "import", str(six), "--replace", "--as-of", "2026-03-01")
    result = imported("members", "history")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "│" in line]
    cells = [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows]
    assert [row[:2] + row[3:10] for row in cells] == [
        ["3", row_time(cells[0]), "whole", "2026-03-01", "6", "0", "0", "21", "0"],
        ["2", row_time(cells[1]), "partial", "2026-03-01", "6", "0", "0", "0", "0"],
        ["1", row_time(cells[2]), "whole", "2026-01-15", "28", "28", "0", "0", "0"],
    ]
    assert [row[2] for row in cells] == ["six.csv", "six.csv", "sample_register.csv"]
    assert result.stdout.splitlines()[-1].startswith("to undo the last one, import #3 of six.csv")
    assert result.stdout.splitlines()[-1].endswith("): nswp-survey members undo")
    # An import that changed nothing leaves the one before it undoable.
    imported("members", "import", str(six), "--replace", "--as-of", "2026-03-02")
    assert imported("members", "undo").stdout.startswith("undid import #3 of six.csv")
    assert sum(m.active for m in stored_members(imported.url).values()) == 26
    history = imported("members", "history", "--member", "in-0101")
    assert history.exit_code == 0
    assert "history of member IN-0101" in history.stdout
    assert "not in the register file" not in history.stdout  # its "left" event is undone


def row_time(row: list[str]) -> str:
    assert row[1].endswith("+00:00")
    return row[1]


def test_members_put_right_within_the_year_are_not_new_members(imported: Any, six: Path) -> None:
    """MEM-02 counts the members whose join date is in the year: putting a partial file
    right with the whole register must not make the 21 members it had marked as left new."""
    imported("members", "import", str(six), "--replace", "--as-of", "2026-03-01")
    back = imported("members", "import", str(SAMPLE_REGISTER), "--as-of", "2026-03-02")
    assert back.stdout.startswith("imported 28 member rows: 0 added, 21 rejoined, 0 left")
    result = imported("indicators", "--year", "2026", "--id", "MEM-02", "--format", "json")
    assert result.exit_code == 0, result.output
    (mem02,) = json.loads(result.stdout)["indicators"]
    assert mem02["value"] == 1  # FJ-0106, who joined on 1 Feb 2026; as before the mistake
    members = stored_members(imported.url)
    assert members["KE-0001"].join_date == date(2009, 5, 12)


def test_undo_restores_exactly_on_both_databases(engine: Engine, register_csv: Any) -> None:
    """The service under the CLI, on SQLite and PostgreSQL alike."""
    ke = "KE-0001,africa,KEN,full,aswa,2010-05-12,,en,yes,Fictitious Collective A,a@example.org"
    ng = "NG-0002,africa,NGA,associate,,2025-06-01,,fr,yes,,"
    import_register(engine, register_csv(ke, ng), as_of=date(2026, 1, 15))
    with engine.connect() as conn:
        members_before = conn.execute(select(Member.__table__).order_by("code")).all()
    with pytest.raises(RegisterError, match="would mark 1 of 2 active members as left"):
        import_register(
            engine, register_csv(ke.replace("a@", "b@")), as_of=date(2026, 2, 1), max_left_share=0.2
        )
    import_register(engine, register_csv(ke.replace("a@", "b@")), as_of=date(2026, 2, 1))
    result = undo_last_import(engine)
    assert (result.restored, result.removed) == (2, 0)
    with engine.connect() as conn:
        assert conn.execute(select(Member.__table__).order_by("code")).all() == members_before
    with pytest.raises(RegisterError, match="undone already"):
        undo_last_import(engine)
