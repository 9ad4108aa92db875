"""The SQLite file removed or replaced while `nswp-survey sync` writes to it: SQLite goes on
writing to the vanished file, so the sync must fail (exit 6), not report a success for
data that no longer exists anywhere."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Cli, Exchange, Proxy, Survey, data_requests, one_error_line


def removed(database: Path) -> None:
    database.unlink()


def replaced(database: Path) -> None:
    other = database.with_name("restored.db")
    other.write_bytes(b"")
    os.replace(other, database)  # a new file (a new inode) under the same name


CHANGES: dict[str, Callable[[Path], None]] = {"removed": removed, "replaced": replaced}


@pytest.mark.reliability(
    suite="faults",
    scenario="the database file {how} during a sync",
    injected="proxy: the SQLite file is {how} when data page 2 is asked for",
    expected="exit 6 with one line saying the file was removed or replaced; no success",
)
@pytest.mark.parametrize("how", list(CHANGES))
def test_a_database_removed_during_the_sync_fails_the_sync(
    tmp_path: Path, proxy: Proxy, survey: Survey, how: str
) -> None:
    survey.add(25)
    run = Cli(tmp_path, proxy.url, survey.server.token, survey.asset_uid)

    def change_database(ex: Exchange) -> None:
        if ex.is_data_list(survey.asset_uid) and len(data_requests(proxy, survey.asset_uid)) == 2:
            CHANGES[how](run.database)

    proxy.rewrite = change_database
    result = run("sync")
    assert result.exit_code == 6, result.output
    line = one_error_line(result)
    assert f"the database file {run.database} was removed or replaced" in line
    assert "synced" not in result.output
    if how == "removed":
        assert not run.database.exists()  # nothing quietly made a new, empty one
