"""The token stays secret, plain http leaves only loopback, files are owner-only, and the
doctor says what to fix."""

from __future__ import annotations

import csv
import logging
import os
import re
import stat
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from nswp_survey.cli import cli
from nswp_survey.config import KoboSettings
from nswp_survey.demo import run_demo
from nswp_survey.doctor import run_checks
from nswp_survey.errors import ConfigError, KoboAuthError, SyncError
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import Faults, SandboxServer
from nswp_survey.store import make_engine, migrate

from .conftest import REPO_ROOT, Survey, client_for, sync


def reliability(scenario: str, injected: str, expected: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(
        suite="secrets", scenario=scenario, injected=injected, expected=expected
    )


def exception_texts(err: BaseException | None) -> str:
    """str and repr of an exception and of every cause and context behind it."""
    texts: list[str] = []
    while err is not None:
        texts += [str(err), repr(err)]
        err = err.__cause__ or err.__context__
    return "\n".join(texts)


def config_file(tmp_path: Path, url: str, uids: list[str], db: Path, extra: str = "") -> Path:
    path = tmp_path / "nswp.toml"
    listed = ", ".join(f'"{uid}"' for uid in uids)
    path.write_text(
        f'[kobo]\nurl = "{url}"\nasset_uids = [{listed}]\npage_size = 10\n{extra}'
        f'[database]\nurl = "sqlite:///{db}"\n',
        encoding="utf-8",
    )
    return path


@reliability(
    "token in logs, exceptions and the database",
    "a sync at DEBUG through faults, a sync that fails, and a wrong token",
    "the token is in no log line, exception text (with causes), repr, or database byte",
)
def test_the_token_never_reaches_logs_exceptions_or_the_database(
    sandbox: SandboxServer,
    survey: Survey,
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = sandbox.token
    survey.add(25)
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    sandbox.set_faults(Faults(script=["ok"] * 3 + ["503", "429", "drop_midbody", "html"]))
    with client_for(sandbox.url, token, page_size=10) as client:
        texts += [repr(client.session), repr(client.settings)]
        with pytest.raises(SyncError) as failed:
            sync(client, engine, survey)
        texts.append(exception_texts(failed.value))
        sandbox.set_faults(Faults())
        sync(client, engine, survey, reconcile=True)
    wrong = "f" * 40
    with client_for(sandbox.url, wrong) as client, pytest.raises(KoboAuthError) as refused:
        client.check_token()
    texts.append(exception_texts(refused.value))
    assert "refused the token" in str(refused.value)
    texts.append(caplog.text)
    assert "GET" in caplog.text  # the HTTP debug lines were captured
    engine.dispose()
    files = list(tmp_path.glob("nswp.db*"))
    assert files
    for text in texts:
        assert token not in text
        assert wrong not in text
    for path in files:
        assert token.encode() not in path.read_bytes(), path.name


@reliability(
    "token in CLI output",
    "`nswp-survey -vv sync` (HTTP debug) that fails, then succeeds, token in the environment",
    "the token is in neither stdout nor stderr",
)
def test_the_token_never_reaches_cli_output(
    sandbox: SandboxServer, survey: Survey, tmp_path: Path
) -> None:
    survey.add(12)
    no_waits = "max_retries = 1\nbackoff = 0\n"
    config = config_file(tmp_path, sandbox.url, [survey.asset_uid], tmp_path / "nswp.db", no_waits)
    env = {**os.environ, "NSWP_KOBO_TOKEN": sandbox.token}
    argv = [sys.executable, "-m", "nswp_survey", "--config", str(config), "-vv", "sync"]
    sandbox.set_faults(Faults(script=["ok"] * 4 + ["503"] * 4))
    failed = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    sandbox.set_faults(Faults())
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert (failed.returncode, done.returncode) == (5, 0), failed.stderr + done.stderr
    assert "/data/" in failed.stderr  # the HTTP lines are there, without the token
    for output in (failed.stdout, failed.stderr, done.stdout, done.stderr):
        assert sandbox.token not in output


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@reliability(
    "token in `--help`",
    "`--help` of every command, with NSWP_KOBO_TOKEN set",
    "the token appears in no help text",
)
def test_the_token_never_reaches_help_texts() -> None:
    token = "0123456789abcdef0123456789abcdef0badc0de"
    runner = CliRunner(env={"NSWP_KOBO_TOKEN": token})
    commands = all_commands(cli)
    assert ("sync",) in commands and ("deploy",) in commands and ("doctor",) in commands
    for command in commands:
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert token not in result.output
        assert token[-4:] not in result.output


@reliability(
    "plain http to a remote host",
    "kobo.url or kobo.openrosa_url `http://` to a non-loopback host",
    "ConfigError before any request, unless kobo.allow_insecure_http; loopback allowed",
)
@pytest.mark.parametrize(
    ("url", "openrosa"),
    [
        ("http://kobo.example.org", None),
        ("http://10.0.0.5:8000", None),
        ("https://kf.example.org", "http://kc.example.org"),
    ],
    ids=["url http://kobo.example.org", "url http://10.0.0.5:8000", "openrosa_url http://kc..."],
)
def test_plain_http_to_a_remote_host_is_refused(url: str, openrosa: str | None) -> None:
    token = "0123456789abcdef0123456789abcdef0badc0de"
    with pytest.raises(ConfigError, match="plain http") as info:
        KoboClient(KoboSettings(url=url, openrosa_url=openrosa, token=token))
    assert token not in str(info.value)
    allowed = KoboSettings(url=url, openrosa_url=openrosa, token=token, allow_insecure_http=True)
    KoboClient(allowed).close()
    for local in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"):
        KoboClient(KoboSettings(url=local, openrosa_url=local, token=token)).close()


@reliability(
    "plain http in the configuration file",
    "`nswp-survey sync` with kobo.url = http://kobo.example.org",
    "exit 2 with the reason; no database created",
)
def test_the_cli_refuses_plain_http_to_a_remote_host(tmp_path: Path) -> None:
    db = tmp_path / "nswp.db"
    config = config_file(tmp_path, "http://kobo.example.org", ["aXyz"], db)
    result = CliRunner(env={"NSWP_KOBO_TOKEN": "t" * 40}).invoke(
        cli, ["--config", str(config), "sync"]
    )
    assert result.exit_code == 2, result.output
    assert "plain http" in result.output
    assert not db.exists()


SECRET = "0123456789abcdef0123456789abcdef5ec2e7ab"
# how the secret was written -> the [kobo] line that carries it
SERVER_URLS = {
    "https://TOKEN@host": f'url = "https://{SECRET}@kf.kobotoolbox.org"',
    "https://user:secret@host/": f'url = "https://nswp:{SECRET}@kobo.example.org/"',
    "https://host/?token=...": f'url = "https://kf.kobotoolbox.org/?token={SECRET}"',
    "https://host/api/?api_key=...": f'url = "https://kobo.example.org/api/?api_key={SECRET}"',
    "https://host/#token": f'url = "https://kobo.example.org/#{SECRET}"',
    "http://TOKEN@remote-host": f'url = "http://{SECRET}@kobo.example.org"',
    "TOKEN@host (no scheme)": f'url = "{SECRET}@kf.kobotoolbox.org"',
    "openrosa_url https://TOKEN@host": f'openrosa_url = "https://{SECRET}@kc.example.org"',
}


@reliability(
    "a token written into the server URL",
    "kobo.url or kobo.openrosa_url as {shape}",
    "exit 2 naming the key and where a token goes, for config show, doctor and sync; the "
    "secret in no output",
)
@pytest.mark.parametrize("shape", SERVER_URLS)
def test_a_token_in_the_server_url_is_refused_unquoted(tmp_path: Path, shape: str) -> None:
    table = SERVER_URLS[shape]
    key = "kobo.openrosa_url" if table.startswith("openrosa_url") else "kobo.url"
    config = tmp_path / "nswp.toml"
    config.write_text(
        f'[kobo]\n{table}\nasset_uids = ["aXyz"]\n[database]\nurl = "sqlite:///{tmp_path}/n.db"\n',
        encoding="utf-8",
    )
    runner = CliRunner(env={"NSWP_KOBO_TOKEN": "t" * 40})
    for command, code in ((["config", "show"], 2), (["config", "show", "--json"], 2),
                          (["doctor"], 1), (["sync"], 2)):  # fmt: skip
        result = runner.invoke(cli, ["--config", str(config), *command])
        assert result.exit_code == code, (command, result.output)
        output = result.stdout + result.stderr
        for part in (SECRET, SECRET[:12], SECRET[-12:]):
            assert part not in output, (command, output)
        if command != ["doctor"]:  # (its table wraps the line: its words are read below)
            assert f"{config}: {key} must " in output, output
            assert "the API token goes in $NSWP_KOBO_TOKEN or kobo.token_file" in output
    [check] = run_checks(str(config))
    assert check.status == "fail" and check.detail.startswith(f"{config}: {key} must ")
    assert SECRET[:12] not in check.detail and SECRET[-12:] not in check.detail
    assert not (tmp_path / "n.db").exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@reliability(
    "database files owner-only",
    "a sync into a new SQLite file in a new folder (umask 022), and a file left 0644",
    "folder 0700; database, -wal and -shm files 0600",
)
def test_database_files_are_owner_only(sandbox: SandboxServer, survey: Survey, tmp_path: Path):
    survey.add(5)
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "data" / "nswp.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        with client_for(sandbox.url, sandbox.token) as client:
            sync(client, engine, survey)
            files = sorted(path.parent.iterdir())
            assert {p.name for p in files} >= {"nswp.db", "nswp.db-wal", "nswp.db-shm"}
            assert mode(path.parent) == 0o700
            assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        engine.dispose()
        opened = tmp_path / "open.db"
        opened.write_bytes(b"")
        opened.chmod(0o644)
        make_engine(f"sqlite:///{opened}").dispose()
        assert mode(opened) == 0o600
    finally:
        os.umask(old_umask)


@reliability(
    "downloaded attachments owner-only",
    "a submission with a photo, synced, then its attachment downloaded (umask 022)",
    "the file is 0600 and whole",
)
def test_downloaded_attachments_are_owner_only(
    sandbox: SandboxServer, survey: Survey, engine: Engine, tmp_path: Path
) -> None:
    photo = b"\xff\xd8\xff" + b"p" * 50_000
    old_umask = os.umask(0o022)
    try:
        with client_for(sandbox.url, sandbox.token) as client:
            assert client.openrosa.submit(survey.instance(1), {"photo.jpg": photo}).created
            (sub,) = client.submissions.iter_submissions(survey.asset_uid)
            assert sub.attachments
            saved = client.submissions.download_attachment(sub.attachments[0], tmp_path)
        assert saved.read_bytes() == photo
        assert mode(saved) == 0o600
    finally:
        os.umask(old_umask)


@reliability(
    "`doctor` on a good and a broken set-up",
    "a working sandbox config; then a wrong token, a 0644 database and a plain-http remote url",
    "all pass on the first; the second names each failure and the fix, never the token",
)
def test_doctor_names_what_to_fix(
    sandbox: SandboxServer,
    survey: Survey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "nswp.db"
    store = make_engine(f"sqlite:///{db}")  # doctor checks a database, never creates one
    migrate(store)
    store.dispose()
    monkeypatch.setenv("NSWP_KOBO_TOKEN", sandbox.token)
    good = {c.name: c for c in run_checks(str(config_file(tmp_path, sandbox.url, [], db)))}
    assert {"configuration", "token", "server", "database", "java"} <= set(good)
    assert all(c.status in ("ok", "warn") for c in good.values()), good
    assert good["server"].status == good["database"].status == "ok"

    wrong = "f" * 40
    monkeypatch.setenv("NSWP_KOBO_TOKEN", wrong)
    db.chmod(0o644)
    bad = {c.name: c for c in run_checks(str(config_file(tmp_path, sandbox.url, [], db)))}
    assert bad["server"].status == "fail" and bad["server"].fix
    assert bad["database"].status == "fail" and "others" in bad["database"].detail
    remote = config_file(tmp_path, "http://kobo.example.org", [], db)
    (config,) = run_checks(str(remote))
    assert config.status == "fail" and "plain http" in config.detail
    for check in [*good.values(), *bad.values(), config]:
        assert sandbox.token not in f"{check.detail} {check.fix}"
        assert wrong not in f"{check.detail} {check.fix}"


def file_contents(path: Path) -> bytes:
    """A file's bytes; an xlsx (a zip) is read inside."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as book:
        return b"".join(book.read(name) for name in book.namelist())


@reliability(
    "secrets and identities in the demo's database and exports",
    "`nswp-survey demo`: register import, sync, public packs of every region (xlsx, csv, html)",
    "no API-key-shaped string in the database or any export; no member code, organisation "
    "name or contact in a public pack; exports 0600 in 0700 folders",
)
def test_exports_carry_no_secret_and_name_no_member(tmp_path: Path) -> None:
    database, exports = tmp_path / "demo.db", tmp_path / "exports"
    run_demo(seed=3, database=database, exports=exports, today=date(2026, 11, 24))
    key_shaped = re.compile(rb"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")
    with (REPO_ROOT / "config" / "sample_register.csv").open(encoding="utf-8") as handle:
        members = list(csv.DictReader(handle))
    identities = [m[k].encode() for m in members for k in ("member_code", "org_name", "contact")]
    files = [p for p in exports.rglob("*") if p.is_file()]
    assert len(files) > 50
    for path in [database, *files]:
        contents = file_contents(path)
        assert not key_shaped.search(contents), path
        if path != database:
            assert not [i for i in identities if i in contents], path
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    folders = [p for p in exports.rglob("*") if p.is_dir()]
    assert folders and all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders)
    assert b"KE-0001" in file_contents(database)  # the check can see a code where there is one
