"""Sync benchmark: a full sync of N simulated submissions from the sandbox into SQLite.

Run: .venv/bin/python bench/sync.py [--n 100000] [--small 20000]

Prints, for one run on this machine:
- floor: the time to GET and JSON-decode the same pages (1000 a page) with nothing stored;
- full sync into a fresh SQLite file: seconds, submissions/s, ratio to the floor, peak RSS
  of the syncing process for N and for a smaller N (flat memory = streaming);
- a sync with nothing new: data requests made and seconds;
- a reconciliation sweep over all N: seconds;
- the small full sync again with `--latency` seconds added to each server answer (as a real
  server's pages take time): its ratio to the floor at that latency;
- where a full sync's time goes, each part measured alone: the client's pages (GET, decode,
  Submission objects), the Python preparation of the rows (to_row, flattening into answers,
  hashing, raw JSON text), and the database engine alone (the full sync's own rows, already
  built, inserted into the real schema one page a transaction);
- with `--postgres`: the full sync and a sync with nothing new into PostgreSQL, on the server
  named by $NSWP_TEST_PG_URL or else a throwaway one started as the tests start it
  (tests/pg.py: Debian's postgresql package, fsync off, so a real server is slower).
The sandbox runs in this process; each sync runs in a child process so its memory is its own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from nswp_survey.config import KoboSettings
from nswp_survey.forms.xform import build_instance, load_xform
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import Faults, SandboxServer
from nswp_survey.store import content_hash, flatten_submission, make_engine, migrate
from nswp_survey.store.rows import dump_json
from nswp_survey.sync import to_row
from nswp_survey.synthetic import PULSE_FORM, pulse_answers

TESTS = Path(__file__).resolve().parents[1] / "tests"
CHILD = """
import json, sys, time
from nswp_survey.config import KoboSettings
from nswp_survey.kobo import KoboClient
from nswp_survey.store import make_engine, migrate
from nswp_survey.sync import SyncOptions, sync_forms
url, token, asset, db_url, reconcile = sys.argv[1:6]
engine = make_engine(db_url)
migrate(engine)
start = time.perf_counter()
with KoboClient(KoboSettings(url=url, token=token, page_size=1000)) as client:
    r = sync_forms(client, engine, [asset], SyncOptions(reconcile=reconcile == "1"))[0]
def peak_mib():
    # VmHWM: this program's own peak (ru_maxrss would count the parent's pages from fork).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
print(json.dumps({"seconds": time.perf_counter() - start, "new": r.new,
                  "unchanged": r.unchanged, "updated": r.updated, "deleted": r.deleted,
                  "peak_mib": peak_mib()}))
"""


def deploy_and_seed(server: SandboxServer, count: int) -> str:
    settings = KoboSettings(url=server.url, token=server.token, openrosa_url=server.url)
    with KoboClient(settings) as client:
        uid = client.assets.import_xlsform(PULSE_FORM, name="bench")
        client.assets.deploy(uid)
        entry = next(e for e in client.openrosa.form_list() if e.form_id == uid)
        form = load_xform(client.openrosa.download_xform(entry.download_url))
    rng = random.Random(1)
    for index in range(count):
        xml = build_instance(form, pulse_answers(rng, index), instance_id=f"bench-{uid}-{index}")
        server.ingest_xml(xml)
    return uid


def floor_seconds(server: SandboxServer, asset_uid: str) -> tuple[float, int]:
    """GET + json decode of every 1000-page by `_id`, nothing else."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {server.token}"
    url = f"{server.url}/api/v2/assets/{asset_uid}/data/"
    last, pages, start = 0, 0, time.perf_counter()
    while True:
        params = {"query": json.dumps({"_id": {"$gt": last}}), "sort": '{"_id":1}', "limit": 1000}
        body = session.get(url, params=params, timeout=60).json()
        pages += 1
        if not body["results"]:
            break
        last = body["results"][-1]["_id"]
        if body["next"] is None:
            break
    return time.perf_counter() - start, pages


def client_and_prep_seconds(server: SandboxServer, asset_uid: str) -> tuple[float, float]:
    """(seconds to page through the client alone, seconds of row preparation on those pages)."""
    settings = KoboSettings(url=server.url, token=server.token, page_size=1000)
    prep = 0.0
    start = time.perf_counter()
    with KoboClient(settings) as client:
        for page in client.submissions.iter_keyset_pages(asset_uid):
            t = time.perf_counter()
            for sub in page.results:
                row = to_row(sub)
                flatten_submission(row.raw)
                content_hash(row.raw)
                dump_json(row.raw)
            prep += time.perf_counter() - t
    return time.perf_counter() - start - prep, prep


# What the sync writes, in the order it writes it (parents first).
STORED_TABLES = ("submission", "repeat_row", "answer")


def database_seconds(synced: Path, target: Path) -> float:
    """Insert the rows of a synced database into a fresh one with the real schema, one page
    (1000 submissions) a transaction, with the store's pragmas; only the inserts are timed."""
    migrate(make_engine(f"sqlite:///{target}"))
    source = sqlite3.connect(synced)
    dest = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        dest.execute(f"PRAGMA {pragma}")
    tables = ("form", *STORED_TABLES)
    columns = {t: [r[1] for r in source.execute(f"PRAGMA table_info({t})")] for t in tables}
    forms = source.execute(f"SELECT {', '.join(columns['form'])} FROM form").fetchall()
    marks = ", ".join("?" * len(columns["form"]))
    dest.executemany(f"INSERT INTO form VALUES ({marks})", forms)  # (untimed)
    top = source.execute("SELECT max(id) FROM submission").fetchone()[0]
    owner = {"submission": "id", "repeat_row": "submission_id", "answer": "submission_id"}
    seconds = 0.0
    for low in range(0, top, 1000):
        page = {
            t: source.execute(
                f"SELECT {', '.join(columns[t])} FROM {t} WHERE {owner[t]} > ? AND {owner[t]} <= ?"
                " ORDER BY id",
                (low, low + 1000),
            ).fetchall()
            for t in STORED_TABLES
        }
        t = time.perf_counter()
        dest.execute("BEGIN IMMEDIATE")
        for table in STORED_TABLES:
            marks = ", ".join("?" * len(columns[table]))
            names = ", ".join(columns[table])
            dest.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", page[table])
        dest.execute("COMMIT")
        seconds += time.perf_counter() - t
    return seconds


def child_sync(server: SandboxServer, asset_uid: str, db: Path | str, reconcile: bool) -> dict:
    """Run one sync in a child process into `db` (a SQLite file, or a database URL); returns
    its figures and its own peak RSS (MiB)."""
    db_url = db if isinstance(db, str) else f"sqlite:///{db}"
    args = [server.url, server.token, asset_uid, db_url, "1" if reconcile else "0"]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on $NSWP_TEST_PG_URL's server, or on a throwaway one (tests/pg.py)."""
    spec = importlib.util.spec_from_file_location("nswp_bench_pg", TESTS / "pg.py")
    assert spec and spec.loader
    pg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pg)
    given = os.environ.get(pg.PG_URL_ENV, "").strip()
    with ExitStack() as stack:
        server = given or stack.enter_context(pg.throwaway_postgres())
        yield stack.enter_context(pg.fresh_database(server))


def postgres_figures(server: SandboxServer, asset_uid: str, count: int, floor: float) -> None:
    with postgres_database() as url:
        full = child_sync(server, asset_uid, url, reconcile=False)
        server.stats.reset()
        none = child_sync(server, asset_uid, url, reconcile=False)
    data_requests = server.stats.to_json()["by_kind"].get("data", 0)
    print(
        f"PostgreSQL: full sync {count:,}: {full['seconds']:.2f} s = "
        f"{count / full['seconds']:,.0f} submissions/s, {full['seconds'] / floor:.2f}x the floor; "
        f"nothing new: {data_requests} data request(s), {none['seconds']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument(
        "--latency", type=float, default=0.2, help="server latency (s) for the last figure"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="also time the full sync into PostgreSQL"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="nswp-bench-"))
    with SandboxServer() as server:
        t = time.perf_counter()
        small = deploy_and_seed(server, args.small)
        big = deploy_and_seed(server, args.n)
        print(f"seeded {args.small:,} + {args.n:,} submissions in {time.perf_counter() - t:.1f} s")

        floor, pages = floor_seconds(server, big)
        print(f"floor: GET + JSON-decode {pages} pages of {args.n:,}: {floor:.2f} s")

        s = child_sync(server, small, workdir / "small.db", reconcile=False)
        print(f"full sync {args.small:,}: {s['seconds']:.2f} s, peak RSS {s['peak_mib']:.0f} MiB")
        full = child_sync(server, big, workdir / "big.db", reconcile=False)
        rate = args.n / full["seconds"]
        print(
            f"full sync {args.n:,}: {full['seconds']:.2f} s = {rate:,.0f} submissions/s, "
            f"{full['seconds'] / floor:.2f}x the floor, peak RSS {full['peak_mib']:.0f} MiB "
            f"(vs {s['peak_mib']:.0f} MiB at {args.small:,}: "
            f"{full['peak_mib'] / s['peak_mib']:.2f}x for {args.n / args.small:.0f}x the data)"
        )
        server.stats.reset()
        none = child_sync(server, big, workdir / "big.db", reconcile=False)
        data_requests = server.stats.to_json()["by_kind"].get("data", 0)
        print(
            f"sync with nothing new: {data_requests} data request(s), {none['seconds']:.2f} s "
            f"({none['unchanged']} re-read in the overlap window)"
        )
        sweep = child_sync(server, big, workdir / "big.db", reconcile=True)
        print(f"sync + reconciliation sweep over {args.n:,}: {sweep['seconds']:.2f} s")

        # A real server takes a while to answer each page; storing overlaps that wait.
        server.injector.configure(Faults(latency=args.latency))
        slow_floor, _pages = floor_seconds(server, small)
        slow = child_sync(server, small, workdir / "slow.db", reconcile=False)
        print(
            f"with {args.latency:.2f} s server latency per request, {args.small:,}: floor "
            f"{slow_floor:.2f} s, full sync {slow['seconds']:.2f} s = "
            f"{slow['seconds'] / slow_floor:.2f}x the floor"
        )
        server.injector.configure(Faults())

        client, prep = client_and_prep_seconds(server, big)
        database = database_seconds(workdir / "big.db", workdir / "copy.db")
        print(f"where the full sync's time goes, each part alone ({args.n:,}):")
        for name, seconds in (
            ("client pages (GET, decode, Submission objects)", client),
            ("row preparation (to_row, answers, hash, JSON text)", prep),
            ("database engine alone (built rows into the schema)", database),
        ):
            print(f"  {name}: {seconds:.2f} s = {seconds / floor:.2f}x the floor")
        print(f"  sum {client + prep + database:.2f} s; the sync overlaps the next page's download")
        if args.postgres:
            postgres_figures(server, big, args.n, floor)
    db_size = (workdir / "big.db").stat().st_size / 2**20
    print(f"database size for {args.n:,}: {db_size:.0f} MiB ({workdir})")
    if os.environ.get("NSWP_BENCH_KEEP") != "1":
        for path in workdir.iterdir():  # (the databases and their -wal / -shm files)
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
