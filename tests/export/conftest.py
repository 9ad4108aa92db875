"""The hand-worked survey year of tests/indicators, plus the deployed form's KPI content."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine

from nswp_survey.export import content_from_xlsx
from nswp_survey.indicators import Catalogue, load_catalogue
from nswp_survey.store import make_engine, record_form_version, transaction


def _indicators_fixture() -> ModuleType:
    """tests/indicators/conftest.py (tests are not a package: --import-mode=importlib)."""
    name = "nswp_tests_indicators_data"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "indicators" / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


data = _indicators_fixture()
FORM = data.FORM
CATALOGUE = data.CATALOGUE


@pytest.fixture(scope="session")
def export_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The survey year in SQLite, with the form version's content (nswp_sensitive) stored."""
    path = tmp_path_factory.mktemp("export") / "nswp.db"
    engine = data.store_fixture(path)
    with transaction(engine) as conn:
        record_form_version(
            conn,
            data.ASSET,
            "vCurrent",
            content=content_from_xlsx(FORM),
            date_deployed=datetime(2025, 12, 1, tzinfo=UTC),
        )
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def export_engine(export_db: Path) -> Engine:
    engine = make_engine(f"sqlite:///{export_db}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def export_catalogue() -> Catalogue:
    real = load_catalogue(CATALOGUE)
    return dataclasses.replace(real, aliases={**real.aliases, "gov_items": "governance"})


@pytest.fixture
def config(tmp_path: Path, export_db: Path) -> Path:
    path = tmp_path / "nswp.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{export_db}"\n', encoding="utf-8")
    return path
