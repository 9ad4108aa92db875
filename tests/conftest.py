"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from nswp_survey.config import CONFIG_ENV, TOKEN_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own token, config file or working directory."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
