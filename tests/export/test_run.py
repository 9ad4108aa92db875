"""export/run.py and staging.py: packs are staged, logged, then renamed into place.

What survives a full disk, SIGTERM and SIGKILL is in tests/reliability/test_export.py.
"""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.export import build_pack, write_pack
from nswp_survey.export.staging import RECORDED, staged
from nswp_survey.private import write_private_text
from nswp_survey.store import last_exports, make_engine, transaction

from .conftest import config_over_copy

CSV_TABLES = 13  # a public pack's tables, one CSV each


@pytest.fixture
def own_config(tmp_path: Path, export_db: Path) -> Path:
    return config_over_copy(export_db, tmp_path)


def export(config: Path, out: Path, *args: str):
    args = ("--config", str(config), "export", "--year", "2025", "--out", str(out), *args)
    return CliRunner().invoke(cli, args)


def newest_export(config: Path):
    engine = make_engine(f"sqlite:///{config.parent / 'nswp.db'}")
    with transaction(engine) as conn:
        newest = last_exports(conn, 1)[0]
    engine.dispose()
    return newest


def test_an_export_replaces_whole_packs_private_and_logged(own_config: Path, tmp_path: Path):
    out = tmp_path / "out"
    old_csv = out / "2025" / "africa" / "nswp-africa-2025-en-csv"
    old_csv.mkdir(parents=True)
    (old_csv / "a_table_no_longer_written.csv").write_text("x\n", encoding="utf-8")
    (out / "2025" / "africa" / "nswp-africa-2025-en.xlsx").write_text("old", encoding="utf-8")
    (out / "2025" / "africa" / "notes.txt").write_text("mine", encoding="utf-8")
    tempdir = tempfile.tempdir
    result = export(own_config, out, "--region", "africa", "--format", "xlsx,csv,html")
    assert result.exit_code == 0, result.output
    assert tempfile.tempdir == tempdir  # the run's folder was the temporary one only inside
    assert sorted(p.name for p in out.iterdir()) == ["2025"]  # no temporary folder left
    folder = out / "2025" / "africa"
    assert sorted(p.name for p in folder.iterdir()) == [
        "notes.txt",  # not the export's: left alone
        "nswp-africa-2025-en-csv", "nswp-africa-2025-en.html", "nswp-africa-2025-en.xlsx",
        "nswp-africa-2025-fr-csv", "nswp-africa-2025-fr.html", "nswp-africa-2025-fr.xlsx",
    ]  # fmt: skip
    assert len(list(old_csv.iterdir())) == CSV_TABLES  # the whole folder replaced
    assert "cover" in openpyxl.load_workbook(folder / "nswp-africa-2025-en.xlsx").sheetnames
    ours = [p for p in out.rglob("*") if p.name != "notes.txt"]
    files = [p for p in ours if p.is_file()]
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    folders = [out, *(p for p in ours if p.is_dir())]
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o700}
    logged = newest_export(own_config)
    assert (logged.files, logged.folder) == (len(files), str(out.resolve()))
    assert len(files) == 2 * (2 + CSV_TABLES)
    assert f"{len(files) // 2} files in {folder}" in result.output


def test_the_next_export_finishes_moving_a_recorded_leftover(
    own_config: Path, tmp_path: Path, export_engine, export_catalogue, export_form, all_years
) -> None:
    out = tmp_path / "out"
    first = export(own_config, out, "--region", "africa", "--lang", "en")
    assert first.exit_code == 0, first.output
    internal = build_pack(export_engine, export_catalogue, all_years, export_form, 2025,
                          "africa", tier="internal")  # fmt: skip
    # a run that was recorded in the log and stopped before its first rename keeps its folder
    with pytest.raises(KeyboardInterrupt), staged(out) as stage:
        write_pack(internal, stage.packs)
        write_private_text(stage.folder / RECORDED, "")
        stage.recorded = True
        raise KeyboardInterrupt
    [leftover] = out.glob(".nswp-export-*.partial")
    assert not (out / "2025" / "africa" / "nswp-africa-2025-en-csv" / "responses.csv").exists()
    result = export(own_config, out, "--region", "nac")
    assert result.exit_code == 0, result.output
    assert "finished moving the packs of an interrupted export" in result.output
    assert not leftover.exists()
    csv_folder = out / "2025" / "africa" / "nswp-africa-2025-en-csv"
    assert (csv_folder / "responses.csv").is_file()  # the recorded run's packs, in place
    book = openpyxl.load_workbook(out / "2025" / "africa" / "nswp-africa-2025-en.xlsx")
    assert "responses" in book.sheetnames
    assert sorted(p.name for p in (out / "2025").iterdir()) == ["africa", "nac"]


def test_a_second_export_into_the_same_folder_at_once_is_refused(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running export holds it
        result = export(config, out, "--region", "africa")
    finally:
        os.close(fd)
    assert result.exit_code == 1
    assert result.output == (
        f"error: another export is writing into {out}: wait for it to finish, then run again\n"
    )
    assert list(out.iterdir()) == []


def test_an_export_folder_that_is_no_folder_is_refused_and_left_as_it_was(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "a-pipe"  # as /dev/null: neither a file (which click refuses) nor a folder
    os.mkfifo(out, 0o644)
    out.chmod(0o644)
    keep_open = os.open(out, os.O_RDWR)  # a reader opening the pipe then never waits
    try:
        result = export(config, out, "--region", "africa")
    finally:
        os.close(keep_open)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"error: cannot write the africa pack under {out}: {out}: Not a directory;"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # never made 0700
