"""The hand-worked survey year of tests/indicators, plus the deployed form's KPI content,
plus four Africa submissions of survey year 2024 (for the time series; the 2025 figures
are those of tests/indicators):

  kobo  member   country  sw_led  regional_net  ccm_seat  doc_violations  services
  12    AA-0001  KEN      1       aswa          yes       yes             hiv_testing sti
  13    EE-0005  KEN      1       aswa          no        yes             hiv_testing
  14    JJ-0010  NGA      1       none          no        yes             hiv_testing legal_aid..
  15    II-0009  ZAF      0       aswa          no        no              sti

So Africa 2024: R = 4, ORG-01 = MEM-03 = VIO-02 = 3/4, POL-02 = 1/4 (suppressed at 3).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine

from nswp_survey.export import ExportForm, content_from_xlsx, load_export_form
from nswp_survey.indicators import Catalogue, Frames, load_catalogue, load_frames
from nswp_survey.store import commit_page, make_engine, record_form_version, transaction


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


def _of_2024(code: str, country: str, **answers: str) -> dict[str, str]:
    return data.profile(code, "africa", country, survey_year="2024", **answers)


# fmt: off
YEAR_2024 = [
    data.submission(12, _of_2024("AA-0001", "KEN", sw_led="1", regional_net="aswa",
                                 ccm_seat="yes", doc_violations="yes",
                                 services="hiv_testing sti"), day="2025-01-15"),
    data.submission(13, _of_2024("EE-0005", "KEN", sw_led="1", regional_net="aswa",
                                 ccm_seat="no", doc_violations="yes", services="hiv_testing"),
                    day="2025-01-16"),
    data.submission(14, _of_2024("JJ-0010", "NGA", sw_led="1", regional_net="none",
                                 ccm_seat="no", doc_violations="yes",
                                 services="hiv_testing legal_aid_paralegal"), day="2025-01-17"),
    data.submission(15, _of_2024("II-0009", "ZAF", sw_led="0", regional_net="aswa",
                                 ccm_seat="no", doc_violations="no", services="sti"),
                    day="2025-01-18"),
]
# fmt: on


def store_export_fixture(where: Path | str) -> Engine:
    """The survey years in a database (SQLite file or PostgreSQL URL), with the form
    version's content (nswp_sensitive) stored."""
    engine = data.store_fixture(where)
    commit_page(engine, data.ASSET, YEAR_2024, None)
    with transaction(engine) as conn:
        record_form_version(
            conn,
            data.ASSET,
            "vCurrent",
            content=content_from_xlsx(FORM),
            date_deployed=datetime(2025, 12, 1, tzinfo=UTC),
        )
    return engine


@pytest.fixture(scope="session")
def export_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The survey years in SQLite."""
    path = tmp_path_factory.mktemp("export") / "nswp.db"
    store_export_fixture(path).dispose()
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


@pytest.fixture(scope="session")
def export_form(export_engine: Engine) -> ExportForm:
    return load_export_form(export_engine)


@pytest.fixture(scope="session")
def all_years(
    export_engine: Engine, export_catalogue: Catalogue, export_form: ExportForm
) -> Frames:
    """Every survey year of the store (2024 and 2025), as `export_packs` loads them."""
    return load_frames(export_engine, export_catalogue, schema=export_form.schema)


@pytest.fixture
def europe_db(tmp_path: Path, export_db: Path) -> Path:
    """A copy of the export fixture plus two counted 2025 answers from Europe: RU-0001 in
    Russia (RUS) and DE-0001 in Germany (the fixture's own Russian answer is deleted)."""
    path = tmp_path / "europe.db"
    shutil.copy(export_db, path)
    engine = make_engine(f"sqlite:///{path}")
    answers = {"sw_led": "1", "ccm_seat": "yes", "services": "hiv_testing"}
    rows = [
        data.submission(21, data.profile("RU-0001", "europe", "RUS", **answers), status="approved"),
        data.submission(22, data.profile("DE-0001", "europe", "DEU", **answers), status="approved"),
    ]
    commit_page(engine, data.ASSET, rows, None)
    engine.dispose()
    return path


def config_over_copy(database: Path, folder: Path) -> Path:
    """`folder/nswp.toml` over `folder/nswp.db`, a copy of `database`: a test's own export
    log."""
    db = folder / "nswp.db"
    shutil.copy(database, db)
    path = folder / "nswp.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    return path
