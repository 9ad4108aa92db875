"""A register file that is not the whole register: refused, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from nswp_survey.register import SAMPLE_REGISTER
from nswp_survey.store import make_engine
from nswp_survey.store.models import Member, MemberEvent, RegisterImport


def nswp(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "nswp_survey", "--config", str(config), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.reliability(
    suite="input",
    scenario="a partial member register",
    injected="`members import` of a file with 6 of the register's 28 rows, after the whole "
    "register",
    expected="refused, exit 2, one line: 21 of 26 active members would be marked as left, "
    "and --replace / --partial; the register, its history and import log unchanged",
)
def test_a_register_file_of_six_rows_marks_nobody_as_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nswp.db'}"
    config = tmp_path / "nswp.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    six = tmp_path / "six.csv"
    six.write_text("\n".join(SAMPLE_REGISTER.read_text().splitlines()[:7]) + "\n")
    whole = nswp(config, "members", "import", str(SAMPLE_REGISTER), "--as-of", "2026-01-15")
    assert whole.returncode == 0, whole.stderr
    engine = make_engine(url)
    tables = (Member.__table__, MemberEvent.__table__, RegisterImport.__table__)

    def register() -> list[list[tuple[object, ...]]]:
        with engine.connect() as conn:
            return [
                [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))] for t in tables
            ]

    before = register()
    result = nswp(config, "members", "import", str(six), "--as-of", "2026-03-01")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: six.csv would mark 21 of 26 active members as left (not in the file; "
        "register.max_left_share is 10%); nothing imported: add --replace if it is the whole "
        "register, or --partial to update only its 6 rows\n"
    )
    assert register() == before
    engine.dispose()
