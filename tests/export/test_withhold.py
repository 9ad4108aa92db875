"""Withheld countries (domain.md §6): absent from every public table, total and coverage."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from nswp_survey.export import build_pack, load_export_form
from nswp_survey.indicators import load_frames
from nswp_survey.register import import_register
from nswp_survey.store import make_engine

HEADER = "member_code,region,country,membership_type,regional_network,join_date,left_date,"
HEADER += "preferred_language,active,org_name,contact"
# the fixture's 2025 africa answers: AA-0001 and EE-0005 in Kenya, II-0009 in South Africa
REGISTER = [
    "AA-0001,africa,KEN,full,aswa,2010-01-01,,en,yes,,",
    "EE-0005,africa,KEN,full,aswa,2010-01-01,,en,yes,,",
    "II-0009,africa,ZAF,full,aswa,2010-01-01,,en,yes,,",
    "ZA-0100,africa,ZAF,full,aswa,2010-01-01,,en,yes,,",
]


@pytest.fixture
def engine(tmp_path: Path, export_db: Path):
    """The export fixture plus a register, in a copy of its own."""
    path = tmp_path / "withhold.db"
    shutil.copy(export_db, path)
    engine = make_engine(f"sqlite:///{path}")
    register = tmp_path / "register.csv"
    register.write_text("\n".join([HEADER, *REGISTER]) + "\n", encoding="utf-8")
    import_register(engine, register, as_of=date(2026, 1, 1))
    yield engine
    engine.dispose()


def pack_of(engine, catalogue, **options):
    form = load_export_form(engine)
    frames = load_frames(engine, catalogue, schema=form.schema)
    return build_pack(engine, catalogue, frames, form, 2025, "africa", min_cell=1, **options)


def cells(pack) -> set[str]:
    return {str(v) for table in pack.tables.values() for v in table.astype(str).to_numpy().ravel()}


def cover(pack) -> dict[str, object]:
    table: pd.DataFrame = pack.tables["cover"]
    return dict(zip(table["item"], table["value"], strict=True))


def test_a_withheld_country_is_in_no_public_table_total_or_coverage(
    engine, export_catalogue
) -> None:
    everyone = pack_of(engine, export_catalogue, withhold=())
    assert "Kenya" in cells(everyone)
    assert (cover(everyone)["responses"], cover(everyone)["active members"]) == (3, 4)
    assert cover(everyone)["coverage (%)"] == 75.0
    assert cover(everyone)["countries withheld for safety"] == "no"

    public = pack_of(engine, export_catalogue, withhold=("KEN",))
    assert "Kenya" not in cells(public)
    info = cover(public)
    # South Africa only: 1 of its 2 members answered. Kenya's answers count nowhere, and its
    # members not in the coverage either (or coverage x members - responses would show them).
    assert (info["responses"], info["active members"], info["coverage (%)"]) == (1, 2, 50.0)
    assert info["countries"] == 1
    assert info["countries withheld for safety"] == "yes"
    # nor in the time series: 2024's Kenyan answers are gone too
    series = public.tables["time_series"]
    first = series[series["id"] == "responses"].iloc[0]
    assert int(first["2025"]) == 1


def test_the_internal_tier_keeps_withheld_countries(engine, export_catalogue) -> None:
    internal = pack_of(engine, export_catalogue, tier="internal", withhold=("KEN",))
    assert "Kenya" in cells(internal)
    assert cover(internal)["responses"] == 3
    assert cover(internal)["countries withheld for safety"] == "no"


def test_russia_is_withheld_by_default() -> None:
    from nswp_survey.config import ExportSettings

    assert ExportSettings().withhold_countries == ("RUS",)
