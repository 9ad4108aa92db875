"""Fixtures shared by every test folder."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from nswp_survey.config import CONFIG_ENV, TOKEN_ENV, KoboSettings
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer

REPO_ROOT = Path(__file__).resolve().parents[1]


def _load_helper(stem: str) -> ModuleType:
    """tests/<stem>.py as the module `nswp_tests_<stem>` (tests/ is not an importable
    package: pytest runs with --import-mode=importlib); folder conftests import it by name."""
    name = f"nswp_tests_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / f"{stem}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


pg = _load_helper("pg")
_load_helper("pulse")
# One throwaway PostgreSQL server for the whole session; a fresh database per test.
postgres_server_url = pg.postgres_server_url
postgres_url = pg.postgres_url


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own token, config file or working directory."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh Kobo-compatible sandbox on 127.0.0.1 (in-memory), stopped after the test."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[KoboClient]:
    """A client of `sandbox` that never really sleeps between retries."""
    settings = KoboSettings(url=sandbox.url, token=sandbox.token, openrosa_url=sandbox.url)
    with KoboClient(settings, sleep=lambda seconds: None) as kobo:
        yield kobo
