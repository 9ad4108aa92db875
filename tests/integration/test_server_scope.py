"""One database, forms synced from two Kobo servers: the reading commands count one server.

Two sandboxes on 127.0.0.1 stand for the real server (A) and a practice one (B). The annual
survey is deployed to each and synced into ONE SQLite file through the CLI; members of the
sample register answer, different ones on each server. `indicators`, `export` and
`coverage` must count A's answers only when the configuration points at A, and refuse
(exit 2) a configuration that cannot tell the two apart.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nswp_survey.cli import cli
from nswp_survey.config import KoboSettings
from nswp_survey.kobo import KoboClient
from nswp_survey.register import SAMPLE_REGISTER, is_active_on
from nswp_survey.register.codes import CODE_PATH, CONSENT_PATH
from nswp_survey.sandbox import SandboxServer
from nswp_survey.simulate import simulate
from nswp_survey.store import load_members, make_engine, transaction
from nswp_survey.synthetic import Member

REPO_ROOT = Path(__file__).resolve().parents[2]
SURVEY_FORM = REPO_ROOT / "forms" / "annual_member_survey.xlsx"
TODAY = date(2026, 1, 15)  # survey year 2025
YEAR = "2025"


@dataclass
class Server:
    """One sandbox, the config that points at it, and the member codes that answered."""

    sandbox: SandboxServer
    config: Path
    asset_uid: str = ""
    answered: frozenset[str] = frozenset()  # codes with consent = yes, as the server has them


@dataclass
class TwoServers:
    a: Server
    b: Server
    database: Path
    neutral: Path  # a config with the database only: it names no server


def run(config: Path, *args: str, token: str = "") -> Result:
    runner = CliRunner(env={"NSWP_KOBO_TOKEN": token})
    return runner.invoke(cli, ["--config", str(config), *args])


def write_config(path: Path, database: Path, url: str | None) -> Path:
    kobo = f'[kobo]\nurl = "{url}"\n' if url else ""
    path.write_text(f'{kobo}[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    return path


def answered_on(server: Server) -> frozenset[str]:
    """The member codes that consented, read back from the server itself."""
    settings = KoboSettings(url=server.sandbox.url, token=server.sandbox.token)
    with KoboClient(settings) as client:
        raws = [s.raw for s in client.submissions.iter_submissions(server.asset_uid)]
    return frozenset(r[CODE_PATH] for r in raws if r.get(CONSENT_PATH) == "yes")


def deploy_answer_sync(server: Server, members: list[Member]) -> None:
    token = server.sandbox.token
    deployed = run(server.config, "deploy", str(SURVEY_FORM), "--no-odk", token=token)
    assert deployed.exit_code == 0, deployed.output
    server.asset_uid = deployed.output.split(" -> ")[1].split()[0]
    settings = KoboSettings(url=server.sandbox.url, token=token, openrosa_url=server.sandbox.url)
    with KoboClient(settings) as client:
        posted = simulate(
            client, server.asset_uid, len(members), seed=3, today=TODAY, members=members
        )
    assert posted.posted == len(members)
    synced = run(server.config, "sync", token=token)
    assert synced.exit_code == 0, synced.output
    server.answered = answered_on(server)


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoServers]:
    folder = tmp_path_factory.mktemp("two-servers")
    database = folder / "nswp-survey.db"
    with SandboxServer() as real, SandboxServer() as practice, pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        a = Server(real, write_config(folder / "a.toml", database, real.url))
        b = Server(practice, write_config(folder / "b.toml", database, practice.url))
        imported = run(a.config, "members", "import", str(SAMPLE_REGISTER), "--as-of", "2026-01-15")
        assert imported.exit_code == 0, imported.output
        engine = make_engine(f"sqlite:///{database}")
        with transaction(engine) as conn:
            active = [m for m in load_members(conn) if is_active_on(m, date(2025, 12, 31))]
        engine.dispose()
        # not Russia: the public tier withholds it, and the export counts would differ
        members = [
            Member(m.region, m.country, m.preferred_language, m.code[:2], code=m.code)
            for m in sorted(active, key=lambda m: m.code)
            if m.country != "RUS"
        ]
        random.Random(1).shuffle(members)
        deploy_answer_sync(a, members[:6])
        deploy_answer_sync(b, members[6:15])
        yield TwoServers(a, b, database, write_config(folder / "none.toml", database, None))


def test_the_servers_hold_different_answers(two_servers: TwoServers) -> None:
    a, b = two_servers.a, two_servers.b
    assert len(a.answered) >= 5 and len(b.answered) >= 8  # (3% say no to consent)
    assert not a.answered & b.answered


def test_indicators_count_only_the_configured_server(two_servers: TwoServers) -> None:
    for server in (two_servers.a, two_servers.b):
        result = run(server.config, "indicators", "--year", YEAR, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["responses"] == len(server.answered)


def test_coverage_counts_only_the_configured_server(two_servers: TwoServers) -> None:
    for server in (two_servers.a, two_servers.b):
        result = run(server.config, "coverage", "--year", YEAR, "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["total"]["responded"] == len(server.answered)
        assert data["total"]["active_members"] == 25
        pending = {p["code"] for p in data["pending"]}
        assert not pending & server.answered
        other = two_servers.b if server is two_servers.a else two_servers.a
        assert other.answered <= pending  # the other server's answers do not count here


def test_export_packs_only_the_configured_server(two_servers: TwoServers, tmp_path: Path) -> None:
    a = two_servers.a
    out = tmp_path / "packs"
    args = ["export", "--region", "global", "--year", YEAR, "--format", "csv", "--lang", "en"]
    result = run(a.config, *args, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"(public, {len(a.answered)} responses," in " ".join(result.stdout.split())
    path = out / YEAR / "global" / "nswp-global-2025-en-csv" / "cover.csv"
    cover = dict(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert int(cover["responses"]) == len(a.answered)
    # coverage on the cover: A's answers of the 25 active members, not A's and B's
    assert float(cover["coverage (%)"]) == round(len(a.answered) / 25 * 100, 1)


def test_a_config_that_cannot_tell_is_refused_and_says_how_to_choose(
    two_servers: TwoServers, tmp_path: Path
) -> None:
    a, b = two_servers.a, two_servers.b
    export = ["export", "--region", "africa", "--year", YEAR, "--out", str(tmp_path / "x")]
    for args in (["indicators", "--year", YEAR], ["coverage", "--year", YEAR], export):
        result = run(two_servers.neutral, *args)
        assert result.exit_code == 2, result.output
        message = " ".join(result.output.split())  # the console may wrap the line
        assert message.startswith("error: the database holds forms of 2 Kobo servers, ")
        assert f"{a.sandbox.url} (1 form)" in message and f"{b.sandbox.url} (1 form)" in message
        assert "pass --server URL (or --asset UID), or set kobo.url" in message
    assert not (tmp_path / "x").exists()


def test_server_option_chooses_with_the_url_spelled_another_way(two_servers: TwoServers) -> None:
    a = two_servers.a
    spelled = re.sub(r"^http://", "HTTP://", a.sandbox.url) + "/"
    result = run(two_servers.neutral, "indicators", "--year", YEAR, "--format", "json",
                 "--server", spelled)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["responses"] == len(a.answered)
    by_asset = run(two_servers.neutral, "coverage", "--year", YEAR, "--format", "json",
                   "--asset", two_servers.b.asset_uid)  # fmt: skip
    assert by_asset.exit_code == 0, by_asset.output
    assert json.loads(by_asset.stdout)["total"]["responded"] == len(two_servers.b.answered)


def test_a_configured_server_with_no_form_stored_is_refused(
    two_servers: TwoServers, tmp_path: Path
) -> None:
    elsewhere = write_config(
        tmp_path / "c.toml", two_servers.database, "https://kf.kobotoolbox.org"
    )
    result = run(elsewhere, "coverage", "--year", YEAR)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert message.startswith(
        "error: the database holds no form of kobo.url https://kf.kobotoolbox.org, only of "
    )
    assert "run nswp-survey sync first, or pass --server URL" in message
