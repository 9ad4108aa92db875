"""Owner-only folders and files: what the tool writes from the data never opens to others.

Exports and downloaded attachments concern a criminalised population, so every folder the
tool makes for them is 0700 and every file 0600, whatever the umask; a file appears whole
or not at all (written to a private temporary file, then renamed).

Example:
    folder = private_dir(Path("exports"), "2025", "africa")
    write_private(folder / "table.csv", lambda tmp: tmp.write_text("a,b\\n"))
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def private_dir(root: Path, *parts: str) -> Path:
    """`root/parts...`, each level created if missing and made owner-only (0700); missing
    parents of `root` are created owner-only too (new_private_dirs). NotADirectoryError
    where a level is not a folder."""
    levels = [Path(root)]
    for part in parts:
        levels.append(levels[-1] / part)
    new_private_dirs(levels[-1])
    for level in levels:
        if not level.is_dir():  # a file or a device (`--out /dev/null`) is never chmod-ed
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(level))
        level.chmod(0o700)  # an existing folder open to others is made private again
    return levels[-1]


def new_private_dirs(folder: Path) -> Path:
    """Create `folder` and each missing parent owner-only (0700), whatever the umask.

    Folders that already exist are left as they are: they are the user's (a home, a project).
    """
    missing = []
    level = Path(folder)
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for level in reversed(missing):
        level.mkdir(mode=0o700, exist_ok=True)
        level.chmod(0o700)
    return Path(folder)


def private_database_file(path: Path) -> Path:
    """`path` as an owner-only (0600) SQLite file before SQLite opens it: created empty when
    missing, in folders created owner-only, its contents untouched.

    SQLite gives the -wal, -shm and -journal files it makes the database file's mode; those
    a killed process left behind keep the mode they were made with, so they are put back to
    0600 too, as is a database file of ours that is open to others. Raises OSError.
    """
    new_private_dirs(path.parent)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if file.exists():
            _make_private(file)
    return path


def _make_private(path: Path) -> None:
    info = path.stat()
    owner = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
    if stat.S_IMODE(info.st_mode) != 0o600 and info.st_uid == owner:
        path.chmod(0o600)  # another user's file is theirs to fix (doctor says so)


def write_private_text(path: Path, text: str) -> Path:
    """Write `text` to `path` as a 0600 file (whole or not at all), in folders created
    owner-only when missing."""
    new_private_dirs(path.parent)
    return write_private(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_private(target: Path, write: Callable[[Path], Any]) -> Path:
    """Write through `write(tmp_path)` to a 0600 temporary file, then rename it to `target`."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
