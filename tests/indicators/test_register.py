"""MEM-01, MEM-02, MEM-04 from the member register, on the hand-worked year plus a register.

Register (31 Dec 2025):      joined       active?  responded (register's coverage rules)
  AA-0001 africa KEN         2010-03-01   yes      yes (kobo 2: the latest)
  BB-0002 asia_pacific THA   2025-06-01   yes      yes
  EE-0005 africa KEN         2015-01-01   yes      yes (on hold counts)
  FF-0006 nac USA            2018-01-01   yes      yes
  II-0009 africa ZAF         2020-01-01   yes      yes
  JJ-0010 europe DEU         2019-01-01   yes      no (HH-0008 answered 2024, unknown code)
  KK-0011 africa NGA         2025-02-01   yes      no
  LL-0012 lac BRA            2012-01-01   left 2024-06-30
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nswp_survey.indicators import compute_indicators, load_frames
from nswp_survey.register import import_register

from .conftest import store_fixture

HEADER = "member_code,region,country,membership_type,join_date,left_date,preferred_language,active"
REGISTER = f"""{HEADER}
AA-0001,africa,KEN,full,2010-03-01,,en,yes
BB-0002,asia_pacific,THA,full,2025-06-01,,en,yes
EE-0005,africa,KEN,full,2015-01-01,,fr,yes
FF-0006,nac,USA,full,2018-01-01,,en,yes
II-0009,africa,ZAF,full,2020-01-01,,en,yes
JJ-0010,europe,DEU,full,2019-01-01,,en,yes
KK-0011,africa,NGA,full,2025-02-01,,en,yes
LL-0012,lac,BRA,full,2012-01-01,2024-06-30,es,no
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("register")
    engine = store_fixture(folder / "nswp.db")
    (folder / "register.csv").write_text(REGISTER, encoding="utf-8")
    import_register(engine, folder / "register.csv", as_of=date(2026, 1, 15))
    yield engine
    engine.dispose()


def _rows(result):
    return {
        "|".join(c for _d, c, _l in row.keys): (row.numerator, row.denominator)
        for row in result.rows
    }


def test_members_new_members_and_coverage(engine, catalogue) -> None:
    frames = load_frames(engine, catalogue, years=[2025])
    ids = ["MEM-01", "MEM-02", "MEM-04"]
    got = {r.id: r for r in compute_indicators(frames, catalogue, 2025, by=("region",), ids=ids)}
    # active on 31 Dec 2025: all but LL-0012 -> 7; africa AA EE II KK = 4
    assert got["MEM-01"].value == 7
    assert _rows(got["MEM-01"])["africa"] == (4, None)
    # joined in 2025: BB-0002, KK-0011
    assert got["MEM-02"].value == 2
    # responded: AA BB EE FF II = 5 of 7; africa AA EE II of AA EE II KK = 3/4
    assert (got["MEM-04"].numerator, got["MEM-04"].denominator) == (5, 7)
    assert got["MEM-04"].value == pytest.approx(5 / 7)
    assert _rows(got["MEM-04"])["africa"] == (3, 4)
    assert all(r.error is None for r in got.values())


def test_region_filter_and_country_breakdown(engine, catalogue) -> None:
    frames = load_frames(engine, catalogue, years=[2025])
    (result,) = compute_indicators(frames, catalogue, 2025, "africa", ("country",), ids=["MEM-01"])
    assert result.value == 4
    assert _rows(result) == {"KEN": (2, None), "NGA": (1, None), "ZAF": (1, None)}


def test_without_members_the_register_indicators_say_so(tmp_path: Path, catalogue) -> None:
    bare = store_fixture(tmp_path / "bare.db")
    frames = load_frames(bare, catalogue, years=[2025])
    (result,) = compute_indicators(frames, catalogue, 2025, ids=["MEM-04"])
    assert result.value is None
    assert result.error.startswith("indicator MEM-04 needs the register")
    bare.dispose()
