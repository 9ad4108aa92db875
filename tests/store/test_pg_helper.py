"""tests/pg.py: without PostgreSQL a developer's run skips, CI fails (it must test both)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("ci", ["", "0", "false"])
def test_missing_postgres_skips_outside_ci(
    pg_helpers: Any, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="install-test-deps"):
        pg_helpers.unavailable("no initdb")


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_postgres_fails_in_ci(
    pg_helpers: Any, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        pg_helpers.unavailable("no initdb")


def test_urls_are_turned_into_libpq_connection_strings(pg_helpers: Any) -> None:
    url = "postgresql+psycopg://postgres:secret@127.0.0.1:5433/nswp"
    assert pg_helpers.libpq_url(url) == "postgresql://postgres:secret@127.0.0.1:5433/nswp"
