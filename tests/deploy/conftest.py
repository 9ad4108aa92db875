"""A sandbox Kobo server on 127.0.0.1, a client for it, and a real SQLite store per test."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
from sqlalchemy import Engine

from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import make_engine, migrate

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_FORM = REPO_ROOT / "forms" / "demo_pulse.xlsx"
BROKEN_FORM = REPO_ROOT / "tests" / "forms" / "broken" / "bad_reference.xlsx"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    db = make_engine(f"sqlite:///{tmp_path / 'nswp.db'}")
    migrate(db)
    return db


def sandbox_stats(server: SandboxServer) -> dict[str, Any]:
    """The sandbox's request counters (GET /__sandbox__/stats, token auth)."""
    response = requests.get(
        f"{server.url}/__sandbox__/stats",
        headers={"Authorization": f"Token {server.token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def writes(server: SandboxServer) -> int:
    """Requests that could change the server: anything but GET and HEAD."""
    by_method = sandbox_stats(server)["by_method"]
    return sum(n for method, n in by_method.items() if method not in ("GET", "HEAD"))


def edited_copy(source: Path, target: Path, sheet: str, row: int, column: str, value: str) -> Path:
    """A copy of `source` with one cell (found by its header) set to `value`."""
    shutil.copy(source, target)
    book = openpyxl.load_workbook(target)
    ws = book[sheet]
    headers = [cell.value for cell in ws[1]]
    ws.cell(row=row, column=headers.index(column) + 1, value=value)
    book.save(target)
    return target
