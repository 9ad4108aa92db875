"""An export run's packs appear in the export folder whole, or not at all.

A run writes into a temporary folder inside the export folder (same file system, so moving
a file into place is a rename), `<out>/.nswp-export-<random>.partial/` (0700): its packs in
`packs/<year>/<region>/` (`<stem>.xlsx`, `<stem>-csv/`, `<stem>.html`), and in `tmp/` the
temporary files of the libraries that write them. Once the run is in the export log (the
caller commits it), `Staging.publish` writes the marker `recorded` (listing the entries),
renames each entry over the one in place, then removes the temporary folder. A folder
cannot be renamed over a non-empty one, so an old `<stem>-csv/` is first renamed into the
temporary folder's `replaced/`: for that instant the entry is absent, never a mix.

What a run that dies leaves, and what the next run does with it (`finish_leftovers`):
- died while writing: an error, a disk full, Ctrl-C or SIGTERM remove the folder on the
  way out; after SIGKILL or a power cut it is left. Nothing in place changed and the log
  has no entry, so the next run removes it.
- died after `recorded`: the log has the run; some entries may be in place and the rest
  are still in the folder, so the next run finishes the moves (the export folder then
  holds what the log says), then removes the folder.
A run dying between its log commit and the marker leaves a log entry whose packs never
appeared: the log may claim too much, never too little.

An exclusive `flock` on the export folder, held for the whole run, keeps two runs from
writing into the same folder at once, and tells a leftover from a run still going.

Example:
    with staged(Path("exports")) as stage:
        write_pack(pack, stage.packs)
        ...  # record the run in the export log
        stage.publish()
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nswp_survey.errors import ExportError
from nswp_survey.private import new_private_dirs, private_dir, write_private_text

log = logging.getLogger(__name__)

PREFIX, SUFFIX = ".nswp-export-", ".partial"
RECORDED = "recorded"


@dataclass
class Staging:
    """The temporary folder of one run inside `out_dir`."""

    out_dir: Path
    folder: Path
    recorded: bool = False

    @property
    def packs(self) -> Path:
        """Where the run writes its packs (`<year>/<region>/...` below it)."""
        return self.folder / "packs"

    def final(self, staged: Path) -> Path:
        """Where a file written under `packs` ends up in the export folder."""
        return self.out_dir / staged.relative_to(self.packs)

    def publish(self) -> None:
        """Move every pack into place; call once the run is in the export log."""
        entries = _entries(self.folder)
        lines = "".join(f"{entry.relative_to(self.packs)}\n" for entry in entries)
        write_private_text(self.folder / RECORDED, lines)
        self.recorded = True
        try:
            _move_into_place(self.folder, self.out_dir)
        except OSError as err:
            raise ExportError(
                f"the export is in the export log, but its packs could not all be moved into "
                f"{self.out_dir}: {err.filename or self.out_dir}: {err.strerror}; fix that and "
                "run the export again (it finishes the move first)"
            ) from err


@contextmanager
def staged(out_dir: Path) -> Iterator[Staging]:
    """Lock `out_dir`, finish or remove what killed runs left, and yield a new temporary
    folder. If the block fails before `publish`, the folder is removed (nothing in place
    changed); if `publish` itself fails, it is kept for the next run to finish."""
    out = private_dir(Path(out_dir))
    with _locked(out):
        finish_leftovers(out)
        folder = Path(tempfile.mkdtemp(prefix=PREFIX, suffix=SUFFIX, dir=out))
        folder.chmod(0o700)
        stage = Staging(out, folder)
        # openpyxl streams each sheet into a temporary file: in here, a killed run's copies
        # of the data go with its folder instead of staying in /tmp
        saved, tempfile.tempdir = tempfile.tempdir, str(new_private_dirs(folder / "tmp"))
        try:
            yield stage
        except BaseException:
            if not stage.recorded:
                shutil.rmtree(folder, ignore_errors=True)
                if folder.exists():
                    log.warning("could not remove %s: the next export removes it", folder)
            raise
        finally:
            tempfile.tempdir = saved


def finish_leftovers(out_dir: Path) -> None:
    """Finish publishing the recorded leftovers of killed runs; remove the others."""
    for folder in _leftover_folders(out_dir):
        if (folder / RECORDED).exists():
            try:
                _move_into_place(folder, out_dir)
            except OSError as err:
                raise ExportError(
                    f"cannot finish moving the packs of an interrupted export from {folder} "
                    f"into {out_dir}: {err.filename or folder}: {err.strerror}; fix that, then "
                    "run the export again"
                ) from err
            log.warning(
                "finished moving the packs of an interrupted export (in the export log) into %s",
                out_dir,
            )
            continue
        try:
            shutil.rmtree(folder)
        except OSError as err:
            raise ExportError(
                f"cannot remove {folder}, left by an interrupted export: {err.strerror}; "
                "remove it, then run the export again"
            ) from err
        log.warning("removed %s, left by an interrupted export (nothing of it published)", folder)


def leftovers(out_dir: Path) -> list[Path] | None:
    """The temporary folders killed runs left in `out_dir` (for `doctor`, which changes
    nothing); None while an export is writing there."""
    if not Path(out_dir).is_dir():
        return []
    try:
        with _locked(Path(out_dir)):
            return _leftover_folders(Path(out_dir))
    except ExportError:  # another export holds the lock: its folder is not a leftover
        return None


def _leftover_folders(out_dir: Path) -> list[Path]:
    found = Path(out_dir).glob(f"{PREFIX}*{SUFFIX}")
    return sorted(p for p in found if p.is_dir() and not p.is_symlink())


def _entries(folder: Path) -> list[Path]:
    """The files and CSV folders of a temporary folder, as `packs/<year>/<region>/<entry>`."""
    return sorted((folder / "packs").glob("*/*/*"))


def _move_into_place(folder: Path, out_dir: Path) -> None:
    """Rename every entry of `folder` over its place in `out_dir`, then remove `folder`.

    Safe to run again after it was cut short: moved entries are no longer in `folder`.
    """
    packs = folder / "packs"
    for entry in _entries(folder):
        relative = entry.relative_to(packs)
        target = private_dir(out_dir, *relative.parent.parts) / relative.name
        real_dir = target.is_dir() and not target.is_symlink()
        if os.path.lexists(target) and (entry.is_dir() or real_dir):
            # rename(2) cannot put a folder over a non-empty one, nor a file over a folder
            aside = new_private_dirs(folder / "replaced" / relative.parent)
            os.replace(target, aside / relative.name)
        os.replace(entry, target)
    shutil.rmtree(folder)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive flock on `folder`; ExportError if another process holds it."""
    try:
        import fcntl  # POSIX only
    except ImportError:  # no flock: runs into one folder are not kept apart
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))  # never a pipe's wait
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportError(
                f"another export is writing into {folder}: wait for it to finish, then run again"
            ) from None
        except OSError:  # a file system without flock (some network mounts): no lock
            log.debug("cannot lock %s; going on without", folder)
        yield
    finally:
        os.close(fd)  # releases the lock
