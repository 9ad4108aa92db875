"""`sync --attachments DIR` against a server that sends hostile names: every file lands
inside DIR under a safe name, or the record is refused; nothing is ever created outside.

The hostile server is the sandbox behind the rewriting proxy: it rewrites the attachment
uid, the file name or the submission `_id` of the one submission that has a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import make_engine, transaction
from nswp_survey.store.models import Attachment

from .conftest import Cli, Exchange, Proxy, Survey, client_for, one_error_line

PHOTO = b"\xff\xd8\xff" + b"p" * 5_000
SAFE_CHARACTERS = set("._-")

HOSTILE: dict[str, str] = {
    "absolute path": "{tmp}/escaped",
    "parent folders": "../../../escaped",
    "parent folders, Windows": "..\\..\\..\\escaped",
    "drive letter": "C:\\escaped",
    "NUL": "esc\x00aped",
    "1,000 characters": "x" * 1000,
    "RTL override": "photo\u202egpj.exe",
    "combining characters": "e" + "\u0301" * 50,
    "empty": "",
    "dot": ".",
    "dot-dot": "..",
    "hidden file": ".bashrc",
    "Windows device": "CON",
}
REFUSED = {"NUL"}  # a name the Kobo boundary refuses outright (the sync fails, exit 5)


def reliability(scenario: str, injected: str, expected: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(
        suite="secrets", scenario=scenario, injected=injected, expected=expected
    )


def tree(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def saved_paths(run: Cli) -> list[str]:
    engine = make_engine(f"sqlite:///{run.database}")
    try:
        with transaction(engine) as conn:
            query = select(Attachment.__table__.c.local_path)
            return [row[0] for row in conn.execute(query) if row[0]]
    finally:
        engine.dispose()


def hostile_attachments(proxy: Proxy, sandbox: SandboxServer, field: str, value: str) -> None:
    """Rewrite each data page: `field` of the submission with a file becomes `value`."""

    def rewrite(ex: Exchange) -> None:
        if not (ex.method == "GET" and "/data/?" in ex.path and ex.status == 200):
            return
        body = ex.json()
        records: list[dict[str, Any]] = body.get("results", [])
        for record in records:
            for att in record.get("_attachments", []):
                att["download_url"] = att["download_url"].replace(sandbox.url, proxy.url)
                if field == "uid":
                    att["uid"] = value
                elif field == "filename":
                    att["filename"] = att["media_file_basename"] = value
            if field == "_id" and record.get("_attachments"):
                record["_id"] = value
        ex.set_json(body)

    proxy.rewrite = rewrite


@reliability(
    "hostile attachment {field}: {case}",
    "proxy: the {field} of the submission with a file is {case}",
    "saved inside DIR under a safe name (or the record refused, exit 5); nothing created "
    "outside DIR, no .part file left",
)
@pytest.mark.parametrize("field", ["uid", "filename", "_id"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_name_never_writes_outside_the_folder(
    tmp_path: Path, sandbox: SandboxServer, survey: Survey, field: str, case: str
) -> None:
    value = HOSTILE[case].format(tmp=tmp_path)
    folder = tmp_path / "deep" / "er" / "files"  # so that "../../.." still lands in tmp_path
    folder.parent.mkdir(parents=True)
    with client_for(sandbox.url, sandbox.token) as client:
        assert client.openrosa.submit(survey.instance(7), {"photo.jpg": PHOTO}).created
    with Proxy(sandbox.url) as proxy:
        run = Cli(tmp_path, proxy.url, sandbox.token, survey.asset_uid)
        hostile_attachments(proxy, sandbox, field, value)
        before = tree(tmp_path)
        result = run("sync", "--attachments", str(folder), "--no-reconcile")
    created = tree(tmp_path) - before
    allowed = (folder, run.database.parent, tmp_path / "nswp.toml")
    outside = [p for p in created if not any(p == a or p.is_relative_to(a) for a in allowed)]
    assert outside == [], f"created outside {folder}: {outside}"
    assert not [p for p in tree(tmp_path) if p.name.endswith(".part")]
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    if field == "_id" or case in REFUSED:
        assert result.exit_code == 5, result.output
        assert "unusable" in one_error_line(result)
        assert files == []
        return
    assert result.exit_code == 0, result.output
    assert "1 file(s) downloaded" in result.output
    (saved,) = files
    assert saved.read_bytes() == PHOTO
    assert saved.resolve().relative_to(folder.resolve()).parts[0] == survey.asset_uid
    assert len(saved.relative_to(folder).parts) == 3  # <asset>/<_id>/<uid>-<name>
    assert len(saved.name.encode()) <= 128
    assert all(ch.isalnum() or ch in SAFE_CHARACTERS for ch in saved.name), saved.name
    assert not saved.name.startswith(".")
    assert saved_paths(run) == [str(saved.resolve())]


@reliability(
    "a symbolic link inside the attachments folder that leads out",
    "DIR/<asset uid> is a symbolic link to a folder outside DIR",
    "exit 5 with one line refusing the path; nothing written through the link",
)
def test_a_symbolic_link_out_of_the_folder_is_refused_before_anything_is_written(
    tmp_path: Path, sandbox: SandboxServer, survey: Survey
) -> None:
    folder = tmp_path / "files"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder.mkdir()
    (folder / survey.asset_uid).symlink_to(elsewhere)
    with client_for(sandbox.url, sandbox.token) as client:
        assert client.openrosa.submit(survey.instance(7), {"photo.jpg": PHOTO}).created
    run = Cli(tmp_path, sandbox.url, sandbox.token, survey.asset_uid)
    result = run("sync", "--attachments", str(folder), "--no-reconcile")
    assert result.exit_code == 5, result.output
    assert "refusing to save attachment" in one_error_line(result)
    assert list(elsewhere.iterdir()) == []
    assert saved_paths(run) == []
