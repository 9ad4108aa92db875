"""`nswp-survey sandbox` with bad input: one `error:` line and exit 2, never a traceback.

Failing starts run in-process (CliRunner: they end before the server serves). Starts that
succeed run as a real process, read up to the start-up hint, then get Ctrl-C, as in
tests/integration/test_sandbox_command.py.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nswp_survey.cli import cli


def run_sandbox(*args: str) -> Result:
    return CliRunner().invoke(cli, ["sandbox", *args])


def assert_one_line_error(result: Result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    for part in parts:
        assert part in errors[0], result.output


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another program is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_port_is_free(port: int) -> None:
    """The failed start closed its listening socket (binding again would fail otherwise)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", port))
        probe.listen()


def test_port_in_use_is_one_error_line(busy_port: int, tmp_path: Path) -> None:
    result = run_sandbox("--port", str(busy_port), "--token-file", str(tmp_path / "token"))
    assert_one_line_error(
        result,
        f"port {busy_port} on 127.0.0.1 is already in use (another sandbox?)",
        "choose another --port, or 0 for a free one",
    )
    assert not (tmp_path / "token").exists()


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--port", "99999", "99999 is not in the range 0<=x<=65535"),
        ("--port", "-1", "-1 is not in the range 0<=x<=65535"),
        ("--latency", "-1", "-1.0 is not in the range x>=0"),
        ("--error-rate", "2", "2.0 is not in the range 0<=x<=1"),
        ("--throttle-rate", "-0.5", "-0.5 is not in the range 0<=x<=1"),
        ("--drop-rate", "1.5", "1.5 is not in the range 0<=x<=1"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(
    busy_port: int, option: str, value: str, expected: str
) -> None:
    # A busy port, so that a value let through ends the command instead of serving.
    port = [] if option == "--port" else ["--port", str(busy_port)]
    result = run_sandbox(option, value, *port)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"Invalid value for '{option}': {expected}" in result.output


def test_fault_shares_must_add_up_to_at_most_one(busy_port: int) -> None:
    result = run_sandbox("--error-rate", "0.6", "--drop-rate", "0.6", "--port", str(busy_port))
    assert_one_line_error(
        result,
        "--error-rate, --throttle-rate and --drop-rate add up to 1.2",
        "together they must be at most 1",
    )


def test_fault_shares_that_add_up_to_one_are_accepted(busy_port: int) -> None:
    # 0.1 + 0.2 + 0.7 is a hair above 1 in floats; the start then fails only on the port.
    shares = ["--error-rate", "0.1", "--throttle-rate", "0.2", "--drop-rate", "0.7"]
    result = run_sandbox(*shares, "--port", str(busy_port))
    assert_one_line_error(result, f"port {busy_port} on 127.0.0.1 is already in use")


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        # Neither needs a name server: one is an IPv6 literal, the other an over-long label.
        ("::1", "address family for hostname not supported"),
        ("a" * 64 + ".example", "not a valid host name"),
    ],
)
def test_a_host_it_cannot_listen_on_is_named(host: str, reason: str) -> None:
    result = run_sandbox("--host", host, "--port", "0")
    assert_one_line_error(
        result, f"cannot listen on --host {host}: {reason}", "give an IPv4 address"
    )


def test_unwritable_token_file_is_named_and_the_port_is_freed(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a folder\n")
    token_file = tmp_path / "plain-file" / "token"
    port = free_port()
    result = run_sandbox("--port", str(port), "--token-file", str(token_file))
    assert_one_line_error(
        result,
        f"cannot write the sandbox's token file {token_file}",
        "give a writable path with --token-file",
    )
    assert_port_is_free(port)


@pytest.mark.parametrize("kind", ["unwritable", "not-sqlite"])
def test_bad_database_file_is_named(tmp_path: Path, kind: str) -> None:
    if kind == "unwritable":
        (tmp_path / "plain-file").write_text("not a folder\n")
        db = tmp_path / "plain-file" / "x.db"
    else:
        db = tmp_path / "notes.txt"
        db.write_text("not a database, just a long enough line of text " * 20)
    port = free_port()
    result = run_sandbox(
        "--db", str(db), "--port", str(port), "--token-file", str(tmp_path / "token")
    )
    assert_one_line_error(
        result,
        f"cannot open the sandbox database {db}",
        "give a writable SQLite file with --db",
    )
    assert_port_is_free(port)


def test_listening_beyond_loopback_warns_first(busy_port: int) -> None:
    # All interfaces, but on a port in use, so nothing is ever reachable from outside.
    result = run_sandbox("--host", "0.0.0.0", "--port", str(busy_port))  # noqa: S104
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: --host 0.0.0.0 makes the sandbox reachable from other machines, and it "
        "holds an API token and test data; use --host 127.0.0.1 to keep it on this machine"
    ]
    assert_one_line_error(result, f"port {busy_port} on 0.0.0.0 is already in use")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_hosts_do_not_warn(busy_port: int, host: str) -> None:
    result = run_sandbox("--host", host, "--port", str(busy_port))
    assert "warning" not in result.output
    assert_one_line_error(result, f"port {busy_port} on {host} is already in use")


@contextmanager
def sandbox_process(cwd: Path, *args: str) -> Iterator[list[str]]:
    """A real `nswp-survey sandbox --port 0` in `cwd`; yields its three start-up lines."""
    env = {**os.environ, "COLUMNS": "80"}  # the width at which the hint used to break
    proc = subprocess.Popen(
        [sys.executable, "-m", "nswp_survey", "sandbox", "--port", "0", *args],
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        yield [proc.stderr.readline().rstrip("\n") for _ in range(3)]
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
        assert proc.returncode == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("existing_mode", [None, 0o755, 0o777])
def test_sandbox_folder_is_owner_only(tmp_path: Path, existing_mode: int | None) -> None:
    folder = tmp_path / ".nswp-sandbox"
    if existing_mode is not None:
        folder.mkdir()
        folder.chmod(existing_mode)
    with sandbox_process(tmp_path) as lines:
        assert "listening on http://127.0.0.1:" in lines[0], lines
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "token").stat().st_mode) == 0o600


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "file left 0644"])
def test_the_sandbox_database_and_its_side_files_are_owner_only(
    tmp_path: Path, existing: bool
) -> None:
    db = tmp_path / "data" / "sandbox.db"
    old_umask = os.umask(0o022)  # the sandbox process inherits it
    try:
        left = None
        if existing:  # another process has it open: its -wal and -shm are there, 0644
            db.parent.mkdir()
            left = sqlite3.connect(db)
            left.execute("PRAGMA journal_mode=WAL")
            left.execute("CREATE TABLE t (x)")
            assert {mode(p) for p in db.parent.iterdir()} == {0o644}
        try:
            with sandbox_process(tmp_path, "--db", str(db)) as lines:
                assert "listening on http://127.0.0.1:" in lines[0], lines
                files = {p.name: mode(p) for p in db.parent.iterdir()}
        finally:
            if left is not None:
                left.close()
    finally:
        os.umask(old_umask)
    assert set(files) == {"sandbox.db", "sandbox.db-wal", "sandbox.db-shm"}
    assert files == dict.fromkeys(files, 0o600)
    if not existing:
        assert mode(db.parent) == 0o700


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_token_folder_is_owner_only(tmp_path: Path) -> None:
    token_file = tmp_path / "secret" / "token"
    with sandbox_process(tmp_path, "--token-file", str(token_file)) as lines:
        assert "listening on http://127.0.0.1:" in lines[0], lines
        assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700


def test_start_up_hint_is_one_unbroken_line(tmp_path: Path) -> None:
    token_file = tmp_path / "a folder with spaces" / "token"
    with sandbox_process(tmp_path, "--token-file", str(token_file)) as lines:
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)$", lines[0])
        assert url, lines
        assert lines[1] == f"API token written to {token_file} (mode 0600). To use it:"
        quoted = f"'{token_file}'"  # shell-quoted, so the hint can be pasted as it is
        assert lines[2] == (
            f'  NSWP_KOBO_TOKEN=$(cat {quoted}) nswp-survey ... with kobo.url = "{url.group(1)}"'
        )
