"""bench/disclosure.py stays runnable (as tests/test_bench.py checks the other benchmarks):
every figure line is printed, and the audit of its plan passes. Speed is not checked here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "disclosure.py"


def test_disclosure_bench_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--members", "80", "--indicators", "3", "--countries", "15"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(
        r"problem: [\d,]+ cells, [\d,]+ totals, [\d,]+ inequalities, 3 components", out
    )
    assert re.search(r"protect: [\d,]+ primary \+ [\d,]+ secondary hidden .* in [\d.]+ s", out)
    assert re.search(r"audit: [\d,]+ published, .* 0 recovered, ok in [\d.]+ s", out)
    assert re.search(r"total protect \+ audit: [\d.]+ s \([\d.]+ s of CPU", out)
