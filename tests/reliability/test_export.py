"""`nswp-survey export` cut short: a file too large for the disk, SIGTERM, SIGKILL.

Each run is the real command (`python -m nswp_survey export`) on the hand-worked survey
years of tests/export. A full disk is a real `File too large` (EFBIG): the export runs
under RLIMIT_FSIZE, set below the size of a file it is about to write. A kill lands when
the run's temporary folder shows a given file, found by polling the file system.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from nswp_survey.store import last_exports, make_engine, transaction

from .conftest import REPO_ROOT, signal_when

STAGED = ".nswp-export-*.partial"
ALL_FORMATS = ("--format", "xlsx,csv,html")
# a pack's CSVs are written before its report, and are each smaller: see midway_limit
MIDWAY_FORMATS = ("--format", "csv,html")


def _export_fixtures() -> ModuleType:
    """tests/export/conftest.py, whose database holds the hand-worked survey years."""
    name = "nswp_tests_export_data"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tests/export/conftest.py")
        assert spec and spec.loader
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def survey_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "nswp.db"
    _export_fixtures().store_export_fixture(path).dispose()
    return path


@pytest.fixture
def config(tmp_path: Path, survey_db: Path) -> Path:
    """A configuration over a copy of the survey database (its export log empty), beside it."""
    return _export_fixtures().config_over_copy(survey_db, tmp_path)


@pytest.fixture(scope="module")
def africa_pack(survey_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Africa packs (en, fr; xlsx, csv, html) of a whole export: the reference."""
    where = tmp_path_factory.mktemp("reference")
    config = _export_fixtures().config_over_copy(survey_db, where)
    done = export(config, where / "out", "--region", "africa", *ALL_FORMATS)
    assert done.returncode == 0, done.stderr
    return where / "out"


def argv(config: Path, out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nswp_survey", "--config", str(config), "export",
            "--year", "2025", "--out", str(out), *args]  # fmt: skip


def export(
    config: Path, out: Path, *args: str, max_file_size: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The export, where no file may grow past `max_file_size` bytes (RLIMIT_FSIZE)."""

    def limit() -> None:  # in the child, before the export starts
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_size, max_file_size))

    return subprocess.run(
        argv(config, out, *args),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit if max_file_size else None,
        check=False,
    )


def midway_limit(africa_pack: Path) -> int:
    """A file size that the first pack's CSVs fit in and its report does not: an export of
    MIDWAY_FORMATS fails midway, with the first pack's CSV folder already written."""
    folder = africa_pack / "2025" / "africa"
    limit = max(p.stat().st_size for p in (folder / "nswp-africa-2025-en-csv").iterdir()) + 1
    assert (folder / "nswp-africa-2025-en.html").stat().st_size > limit
    return limit


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and folder under `folder`: relative path -> (mode, bytes)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
        for p in sorted(folder.rglob("*"))
    }


def exports_logged(config: Path) -> list[tuple[str, int]]:
    """(regions, files) of each export in the log of `config`'s database, newest first."""
    engine = make_engine(f"sqlite:///{config.parent / 'nswp.db'}")
    try:
        with transaction(engine) as conn:
            return [(row.regions, row.files) for row in last_exports(conn)]
    finally:
        engine.dispose()


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def staged_file(out: Path, name: str) -> Callable[[], bool]:
    """True once a run's temporary folder in `out` holds a file `name` (a glob)."""
    return lambda: any(out.glob(f"{STAGED}/**/{name}"))


@pytest.mark.reliability(
    suite="export",
    scenario="the disk fills up {when}",
    injected="RLIMIT_FSIZE {limit}: a real `File too large` (EFBIG)",
    expected="exit 1 and one line naming the folder and the cause (no traceback of a "
    "half-written workbook); no pack, no temporary folder and no export-log entry",
)
@pytest.mark.parametrize(
    ("when", "limit", "size", "args"),
    [
        ("midway through an export of every region", "below the first HTML report, "
         "once the first pack's CSVs are written", None, ("--region", "all", *MIDWAY_FORMATS)),
        # room for SQLite's 32 KiB shared-memory file, not for the dictionary sheet's XML
        ("while an export writes a workbook", "of 48 KiB, less than a sheet of the workbook",
         48 * 1024, ("--region", "africa", "--format", "xlsx")),
    ],
)  # fmt: skip
def test_an_export_the_disk_cannot_hold_publishes_nothing(
    config: Path,
    tmp_path: Path,
    africa_pack: Path,
    when: str,
    limit: str,
    size: int | None,
    args: tuple[str, ...],
) -> None:
    out = tmp_path / "out"
    failed = export(config, out, *args, max_file_size=size or midway_limit(africa_pack))
    assert failed.returncode == 1, failed.stderr
    assert list(out.iterdir()) == []  # no pack, no temporary folder
    assert exports_logged(config) == []
    assert one_error_line(failed.stderr) == (
        f"error: cannot write the africa pack under {out}: File too large; no pack there was "
        "changed: free some space or choose another --out (or export.dir)"
    )


@pytest.mark.reliability(
    suite="export",
    scenario="a re-export fails midway over packs already written",
    injected="RLIMIT_FSIZE (EFBIG) during a second export of the same region",
    expected="the packs already there unchanged, byte for byte and mode for mode; only the "
    "first export in the log",
)
def test_a_pack_survives_a_failed_re_export_byte_for_byte(
    config: Path, tmp_path: Path, africa_pack: Path
) -> None:
    out = tmp_path / "out"
    first = export(config, out, "--region", "africa", *ALL_FORMATS)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    assert len(before) == 4 + 2 * 15  # 2025/, africa/, two CSV folders; 2 x 15 files
    again = export(
        config, out, "--region", "africa", *MIDWAY_FORMATS, max_file_size=midway_limit(africa_pack)
    )
    assert again.returncode == 1, again.stderr
    assert "File too large" in one_error_line(again.stderr)
    assert snapshot(out) == before
    assert exports_logged(config) == [("africa", 30)]


@pytest.mark.reliability(
    suite="export",
    scenario="export killed {when}",
    injected="SIGKILL of `nswp-survey export --region all` once its temporary folder holds {name}",
    expected="no pack in place and no export-log entry; the next export removes the "
    "leftover, says so, and writes its packs",
)
@pytest.mark.parametrize(
    ("when", "name"),
    [
        ("between two packs", "nswp-africa-2025-en.html"),
        ("while writing a workbook", "openpyxl.*"),  # openpyxl's sheet, in the run's tmp/
    ],
)
def test_an_export_killed_midway_leaves_no_pack_and_the_next_one_cleans_up(
    config: Path, tmp_path: Path, when: str, name: str
) -> None:
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}  # what the run puts in the system's temp folder
    code, stderr = signal_when(
        argv(config, out, "--region", "all", *ALL_FORMATS), env, staged_file(out, name)
    )
    assert code == -signal.SIGKILL, stderr
    [leftover] = out.iterdir()
    assert leftover.match(STAGED) and not (out / "2025").exists()
    assert list(tmp.iterdir()) == []  # no copy of the data outside the leftover
    assert exports_logged(config) == []
    rerun = export(config, out, "--region", "nac")
    assert rerun.returncode == 0, rerun.stderr
    assert f"removed {leftover}, left by an interrupted export" in rerun.stderr
    assert sorted(p.name for p in out.iterdir()) == ["2025"]
    assert sorted(p.name for p in (out / "2025").iterdir()) == ["nac"]
    assert exports_logged(config) == [("nac", 14)]  # xlsx + 13 CSVs


@pytest.mark.reliability(
    suite="export",
    scenario="export stopped with SIGTERM midway",
    injected="SIGTERM once the first pack is in the temporary folder",
    expected="exit 130 with one line; the temporary folder removed, no pack, no log entry",
)
def test_an_export_stopped_by_sigterm_removes_its_temporary_folder(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stderr = signal_when(
        argv(config, out, "--region", "all", *ALL_FORMATS),
        dict(os.environ),
        staged_file(out, "nswp-africa-2025-en.html"),
        sig=signal.SIGTERM,
    )
    assert code == 130, stderr
    assert one_error_line(stderr) == "interrupted"
    assert list(out.iterdir()) == []
    assert exports_logged(config) == []
