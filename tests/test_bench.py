"""The benchmarks stay runnable: each one runs end to end on a few hundred submissions.

Their figures are not checked here (speed is measured by running them, never in tests);
what is checked is that every figure line is printed and the counts in it are right.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def run_bench(name: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=None if env is None else {**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_sync_bench_prints_every_figure(postgres_server_url: str) -> None:
    # --postgres on the tests' own server (a fresh database of its own, dropped after)
    out = run_bench(
        "sync.py", "--n", "300", "--small", "100", "--latency", "0.01", "--postgres",
        env={"NSWP_TEST_PG_URL": postgres_server_url},
    )  # fmt: skip
    assert "floor: GET + JSON-decode 1 pages of 300" in out
    assert re.search(r"full sync 300: [\d.]+ s = [\d,]+ submissions/s, [\d.]+x the floor", out)
    assert "sync with nothing new: 1 data request(s)" in out
    assert "sync + reconciliation sweep over 300" in out
    for part in ("client pages", "row preparation", "database engine alone"):
        assert re.search(rf"  {part} .*: [\d.]+ s = [\d.]+x the floor", out), part
    assert re.search(r"PostgreSQL: full sync 300: [\d.]+ s = .*nothing new: 1 data request", out)


def test_indicators_bench_prints_every_figure() -> None:
    out = run_bench("indicators.py", "--n", "300", "--store", "60", "--repeat", "1")
    assert "(49 indicators)" in out
    assert re.search(r"store    n=60: written in [\d.]+s .* load_frames [\d.]+s", out)
    assert "9 packs" in out and "135 files" in out


def test_sandbox_bench_prints_every_figure() -> None:
    out = run_bench("sandbox.py", "--n", "2000")
    for label in ("first", "middle", "last"):
        assert re.search(rf"{label} 1000-record page: [\d.]+ s", out), label
    assert "fields sweep: 2000 records in 2 pages" in out


def test_sandbox_bench_refuses_too_few_submissions() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "sandbox.py"), "--n", "10"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "at least 2000" in done.stderr


@pytest.fixture(autouse=True)
def _no_bench_leftovers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NSWP_BENCH_KEEP", raising=False)  # the benchmarks remove their files
