"""`sync` with an attachments folder: files downloaded whole, owner-only, once, and retried."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

import pytest
from nswp_tests_pulse import Survey, client_for
from sqlalchemy import Engine, select

from nswp_survey.attachments import MAX_NAME_BYTES, attachment_path, safe_name
from nswp_survey.errors import SyncError
from nswp_survey.sandbox import Faults, SandboxServer
from nswp_survey.store import last_runs, transaction
from nswp_survey.store.models import Attachment
from nswp_survey.sync import SyncOptions, download_attachments, sync_forms

PHOTO = b"\xff\xd8\xff" + b"p" * 20_000
DOC = b"%PDF-1.4 " + b"d" * 5_000


def sync(server: SandboxServer, engine: Engine, survey: Survey, folder: Path):
    options = SyncOptions(reconcile=False, attachments_dir=str(folder))
    with client_for(server.url, server.token) as client:
        return sync_forms(client, engine, [survey.asset_uid], options)[0]


def local_paths(engine: Engine) -> list[str | None]:
    with transaction(engine) as conn:
        rows = conn.execute(select(Attachment.__table__.c.local_path).order_by("id")).all()
    return [row[0] for row in rows]


def test_files_are_downloaded_owner_only_once_and_recorded(
    sandbox: SandboxServer, survey: Survey, engine: Engine, tmp_path: Path
) -> None:
    survey.add(3)
    with client_for(sandbox.url, sandbox.token) as client:
        files = {"../../evil name.jpg": PHOTO, "report.pdf": DOC}
        assert client.openrosa.submit(survey.instance(50), files).created
    folder = tmp_path / "files"
    old_umask = os.umask(0o022)
    try:
        first = sync(sandbox, engine, survey, folder)
    finally:
        os.umask(old_umask)
    assert (first.new, first.files, first.files_failed) == (4, 2, 0)
    assert "2 file(s) downloaded" in first.summary()
    saved = sorted(Path(p) for p in local_paths(engine) if p)
    assert len(saved) == 2
    assert sorted(p.read_bytes() for p in saved) == sorted([PHOTO, DOC])
    for path in saved:
        assert path.is_relative_to(folder / survey.asset_uid)  # no way out of the folder
        assert ".." not in path.name and " " not in path.name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = sync(sandbox, engine, survey, folder)
    assert (again.files, again.files_failed) == (0, 0)  # nothing downloaded twice


def test_a_file_that_fails_is_retried_by_the_next_sync(
    sandbox: SandboxServer, survey: Survey, engine: Engine, tmp_path: Path
) -> None:
    with client_for(sandbox.url, sandbox.token) as client:
        assert client.openrosa.submit(survey.instance(60), {"photo.jpg": PHOTO}).created
        sync_forms(client, engine, [survey.asset_uid], SyncOptions(reconcile=False))
        folder = tmp_path / "files"
        sandbox.set_faults(Faults(script=["html"]))  # the file comes back as a login page
        assert download_attachments(client, engine, survey.asset_uid, folder) == (0, 1)
        sandbox.set_faults(Faults())
    assert local_paths(engine) == [None]
    second = sync(sandbox, engine, survey, folder)
    assert (second.files, second.files_failed) == (1, 0)
    (path,) = local_paths(engine)
    assert Path(path).read_bytes() == PHOTO


HOSTILE_PARTS = [
    "/etc/cron.d/x",
    "../../x",
    "..\\..\\x",
    "C:\\x",
    "a\x00b",
    "x" * 1000,
    "é" * 300,
    "photo\u202egpj.exe",
    "e\u0301\u0301",
    "\ud800",
    "",
    ".",
    "..",
    "-rf",
    "NUL.txt",
    "IMG_1.jpg",
]


@pytest.mark.parametrize("part", ["asset_uid", "kobo_id", "uid", "filename"])
def test_every_hostile_path_part_becomes_one_safe_distinct_name(tmp_path: Path, part: str) -> None:
    folder = tmp_path / "files"
    good = {"asset_uid": "aForm", "kobo_id": "12", "uid": "attX", "filename": "IMG_1.jpg"}
    names = set()
    for value in HOSTILE_PARTS:
        dest = attachment_path(folder, **{**good, part: value})
        assert dest.parent.parent.parent == folder.resolve()
        for name in dest.relative_to(folder.resolve()).parts:
            assert name not in ("", ".", "..") and not name.startswith((".", "-"))
            assert len(name.encode()) <= MAX_NAME_BYTES
            assert all(ch.isalnum() or ch in "._-" for ch in name), name
        names.add(dest)
    if part == "filename":  # only the last path component of a file name is kept
        assert len(names) == len({PurePosixPath(v.replace("\\", "/")).name for v in HOSTILE_PARTS})
    else:
        assert len(names) == len(HOSTILE_PARTS)
    assert not folder.exists()  # nothing is created while a path is worked out


def test_a_name_that_stays_as_it_was_gets_no_hash() -> None:
    assert safe_name("attX-IMG_1.jpg") == "attX-IMG_1.jpg"
    assert safe_name("attX-IMG 1.jpg") != safe_name("attX-IMG_1.jpg")  # changed: hashed


def test_a_folder_that_cannot_be_written_fails_the_sync_in_one_line(
    sandbox: SandboxServer, survey: Survey, engine: Engine, tmp_path: Path
) -> None:
    with client_for(sandbox.url, sandbox.token) as client:
        assert client.openrosa.submit(survey.instance(61), {"photo.jpg": PHOTO}).created
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder\n")
    with pytest.raises(SyncError, match=r"cannot save attachment files in .*notes\.txt/files"):
        sync(sandbox, engine, survey, not_a_folder / "files")
    with transaction(engine) as conn:
        (run,) = last_runs(conn, 1)
    assert run.status == "failed" and run.pages == 1
    assert local_paths(engine) == [None]
