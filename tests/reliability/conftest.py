"""Reliability suite: a sandbox on 127.0.0.1, a rewriting proxy, real databases, a report.

Every test carries `@pytest.mark.reliability(suite, scenario, injected, expected)`. With
`NSWP_RELIABILITY_REPORT=docs/reliability.md`, the run writes the table of what was tried and
whether it held (see `pytest_sessionfinish`). `{name}` in the texts is filled from the
test's parameters.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from click.testing import CliRunner, Result
from nswp_tests_pulse import Survey, client_for  # noqa: F401  (tests/pulse.py; re-exported)
from sqlalchemy import Engine, select

from nswp_survey.cli import cli
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import get_cursor, last_runs, make_engine, migrate, transaction
from nswp_survey.store.models import Submission
from nswp_survey.sync import SyncOptions, SyncResult, sync_forms

REPO_ROOT = Path(__file__).resolve().parents[2]
SUB = Submission.__table__.c
REPORT_ENV = "NSWP_RELIABILITY_REPORT"
SUITES = {
    "faults": "1. Faults during a sync",
    "crash": "2. Crashes (SIGKILL) and reruns",
    "input": "3. Bad input",
    "secrets": "4. Secrets and access",
    "export": "5. Exports cut short (disk full, SIGTERM, SIGKILL)",
}


# -- the sandbox, the demo form and the database -----------------------------------------


@pytest.fixture
def survey(sandbox: SandboxServer) -> Survey:
    return Survey(sandbox)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'nswp.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def sync(client: KoboClient, engine: Engine, survey: Survey, **options: Any) -> SyncResult:
    options.setdefault("reconcile", False)
    return sync_forms(client, engine, [survey.asset_uid], SyncOptions(**options))[0]


def stored(engine: Engine, asset_uid: str, *, live: bool = True) -> dict[int, dict[str, Any]]:
    """kobo_id -> raw JSON of the stored submissions (live ones only by default)."""
    query = select(SUB.kobo_id, SUB.raw_json).where(SUB.asset_uid == asset_uid)
    if live:
        query = query.where(SUB.deleted_at.is_(None))
    with transaction(engine) as conn:
        rows = conn.execute(query.order_by(SUB.kobo_id)).all()
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids)), "a submission is stored twice"
    return {row[0]: _raw(row[1]) for row in rows}


def _raw(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str | bytes) else dict(value)


def cursor_of(engine: Engine, asset_uid: str) -> int | None:
    with transaction(engine) as conn:
        return get_cursor(conn, asset_uid)


def assert_equal_to_server(engine: Engine, survey: Survey) -> None:
    """The store holds exactly the server's records, each once, with the same JSON."""
    server = survey.server_records()
    mine = stored(engine, survey.asset_uid)
    assert sorted(mine) == sorted(server)
    for kobo_id, raw in server.items():
        assert mine[kobo_id] == raw, f"submission {kobo_id} differs from the server's"


def assert_whole_pages(engine: Engine, survey: Survey, page_size: int) -> list[int]:
    """After a failed sync: the first k full pages of the server, the cursor at the last."""
    ids = sorted(stored(engine, survey.asset_uid))
    server = survey.server_ids()
    assert len(ids) % page_size == 0, f"a half-written page: {len(ids)} rows"
    assert ids == server[: len(ids)]
    assert cursor_of(engine, survey.asset_uid) == (ids[-1] if ids else None)
    return ids


# -- a process killed midway -----------------------------------------------------------------
def signal_when(
    argv: list[str],
    env: dict[str, str],
    reached: Callable[[], bool],
    extra: Callable[[], None] = lambda: None,
    sig: signal.Signals = signal.SIGKILL,
) -> tuple[int, str]:
    """Start `argv`, send it `sig` once `reached()` (then `extra()`); (exit code, stderr).

    `reached` is polled about every millisecond, for 60 s at most.
    """
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not reached() and proc.poll() is None:
            assert time.monotonic() < deadline, "the process made no progress within 60 s"
            time.sleep(0.001)
        extra()
        if proc.poll() is None:
            os.kill(proc.pid, sig)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    return proc.returncode, stderr


def kill_when(
    argv: list[str], env: dict[str, str], reached: Callable[[], bool], extra: Callable[[], None]
) -> bool:
    """Start `argv`, SIGKILL it once `reached()` (then `extra()`); True if it was killed."""
    code, stderr = signal_when(argv, env, reached, extra)
    assert code in (0, -signal.SIGKILL), stderr
    return code == -signal.SIGKILL


# -- a rewriting proxy on 127.0.0.1 --------------------------------------------------------
@dataclass
class Exchange:
    """One request through the proxy and the answer that will go back."""

    method: str
    path: str  # with the query string
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()
        self.headers["Content-Type"] = "application/json"

    def is_data_list(self, asset_uid: str) -> bool:
        return self.method == "GET" and self.path.startswith(f"/api/v2/assets/{asset_uid}/data/?")

    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query))


Rewrite = Callable[[Exchange], None]
_KEPT_HEADERS = ("content-type", "retry-after", "www-authenticate", "location")


class Proxy:
    """Forwards to `target` (None: answers `{}` itself) and lets `rewrite` change answers.

    `reroute` may change the path (with its query) before it is forwarded. `next` links
    come out pointing at the proxy (the Host header is the proxy's). `release` is set when
    the proxy stops, so a rewrite that holds an answer never outlives the test.
    """

    def __init__(self, target: str | None, rewrite: Rewrite | None = None) -> None:
        self.target = target
        self.rewrite = rewrite
        self.reroute: Callable[[str], str] | None = None
        self.seen: list[str] = []
        self.release = threading.Event()
        self._upstream = requests.Session()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ex = proxy.forward(self.command, self.path, dict(self.headers.items()), body)
                if ex.status == 0:  # drop the connection without an answer
                    self.close_connection = True
                    return
                self.send_response(ex.status)
                for name, value in ex.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(ex.body)))
                self.end_headers()
                self.wfile.write(ex.body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Exchange:
        self.seen.append(f"{method} {path}")
        ex = Exchange(method, path)
        if self.target is not None:
            sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            sent["Host"] = self.url.removeprefix("http://")
            upstream = path if self.reroute is None else self.reroute(path)
            answer = self._upstream.request(
                method, self.target + upstream, headers=sent, data=body, timeout=30,
                allow_redirects=False,
            )  # fmt: skip
            ex.status = answer.status_code
            ex.headers = {k: v for k, v in answer.headers.items() if k.lower() in _KEPT_HEADERS}
            ex.body = answer.content
        else:
            ex.set_json({})
        if self.rewrite is not None:
            self.rewrite(ex)
        return ex

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._thread.join()
        self._httpd.server_close()
        self._upstream.close()


@pytest.fixture
def proxy(sandbox: SandboxServer) -> Iterator[Proxy]:
    """A proxy to the sandbox; a test sets `proxy.rewrite`."""
    with Proxy(sandbox.url) as running:
        yield running


def data_requests(proxy: Proxy, asset_uid: str) -> list[str]:
    """The requests for the form's data list that reached the proxy."""
    return [s for s in proxy.seen if s.startswith(f"GET /api/v2/assets/{asset_uid}/data/?")]


# -- the command line, as a user runs it ---------------------------------------------------
@dataclass
class Cli:
    """`nswp-survey` against one Kobo URL and a SQLite file under `folder`."""

    folder: Path
    kobo_url: str
    token: str
    asset_uid: str

    @property
    def database(self) -> Path:
        return self.folder / "db" / "nswp.db"

    def __call__(self, *args: str) -> Result:
        config = self.folder / "nswp.toml"
        config.write_text(
            f'[kobo]\nurl = "{self.kobo_url}"\nasset_uids = ["{self.asset_uid}"]\n'
            "page_size = 10\nmax_retries = 1\nbackoff = 0.0\n"
            f'[database]\nurl = "sqlite:///{self.database}"\n',
            encoding="utf-8",
        )
        env = {"NSWP_KOBO_TOKEN": self.token}
        return CliRunner().invoke(cli, ["--config", str(config), *args], env=env)


def one_error_line(result: Result) -> str:
    """The one line a failed command printed (after "error: "); fails on anything more."""
    assert isinstance(result.exception, SystemExit), result.exc_info  # no traceback
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0].removeprefix("error: ")


def newest_run(run: Cli) -> tuple[str, str]:
    """(the newest run's status in the database, what `nswp-survey sync status` printed)."""
    status = run("sync", "status")
    assert status.exit_code == 0, status.output
    engine = make_engine(f"sqlite:///{run.database}")
    try:
        with transaction(engine) as conn:
            return last_runs(conn, 1)[0].status, status.output
    finally:
        engine.dispose()


# -- the report -----------------------------------------------------------------------------
@dataclass
class Row:
    suite: str
    scenario: str
    injected: str
    expected: str
    result: str = "not run"


_ROWS = pytest.StashKey[dict[str, Row]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reliability(suite, scenario, injected, expected): a row of docs/reliability.md",
    )
    config.stash[_ROWS] = {}


def _format(text: str, params: dict[str, Any]) -> str:
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    marker = item.get_closest_marker("reliability")
    if marker is None:
        return report
    rows = item.config.stash[_ROWS]
    params = getattr(getattr(item, "callspec", None), "params", {})
    if item.nodeid not in rows:
        texts = [
            _format(str(marker.kwargs[k]), params) for k in ("scenario", "injected", "expected")
        ]
        if params and texts[0] == marker.kwargs["scenario"]:  # tell parametrized rows apart
            texts[0] += f" ({item.callspec.id})"  # type: ignore[attr-defined]
        rows[item.nodeid] = Row(str(marker.kwargs["suite"]), *texts)
    row = rows[item.nodeid]
    if report.failed:
        row.result = "**failed**"
    elif report.skipped and row.result == "not run":
        row.result = "skipped"
    elif report.when == "call" and report.passed:
        row.result = "held"
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get(REPORT_ENV)
    rows = session.config.stash.get(_ROWS, {})
    if not target or not rows:
        return
    Path(target).write_text(render_report(list(rows.values())), encoding="utf-8")


def render_report(rows: list[Row]) -> str:
    held = sum(1 for row in rows if row.result == "held")
    lines = [
        "# Reliability and security: what was tried and what held",
        "",
        "<!-- Generated by tests/reliability/conftest.py; do not edit by hand. -->",
        "",
        "Produced from a run of `tests/reliability/` (issue #8). Regenerate with:",
        "",
        "```",
        "NSWP_RELIABILITY_REPORT=docs/reliability.md .venv/bin/pytest tests/reliability",
        "```",
        "",
        "Every fault goes over real HTTP on 127.0.0.1 (the sandbox, or a small rewriting proxy",
        "in front of it) into a real SQLite file or PostgreSQL database. Crashes are real",
        "SIGKILLs of `python -m nswp_survey` at seeded points; the CI run (`CI` set) uses fewer",
        "points than a local run. *Held* means every assertion of the scenario passed.",
        "",
        f"**{held} of {len(rows)} scenarios held.**",
    ]
    for key, title in SUITES.items():
        mine = [row for row in rows if row.suite == key]
        if not mine:
            continue
        lines += ["", f"## {title}", "", "| Scenario | Injected | Expected | Result |"]
        lines.append("|---|---|---|---|")
        for row in mine:
            cells = (row.scenario, row.injected, row.expected, row.result)
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
