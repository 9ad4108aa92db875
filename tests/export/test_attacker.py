"""The public packs of a year, attacked as a reader who has all of them would (issue #14):
`export --audit` (the joint plan over every public table) against what leaked before.

The attacker here shares no code with the tool's own planner or audit: it reads the
published CSVs, writes down what it sees (a region's headline is the sum of its countries,
the global headline the sum of the regions, the global pack's region row is that region's
headline, "<3" is 1 or 2, "x" is anything, a numerator never exceeds its n) and asks an LP
for the smallest and largest value of every hidden count.
"""

from __future__ import annotations

import csv
import math
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy.optimize import linprog

from nswp_survey.cli import cli
from nswp_survey.export import build_pack, content_from_xlsx, load_export_form
from nswp_survey.export.withhold import withhold_countries
from nswp_survey.indicators import load_catalogue, load_frames
from nswp_survey.register.codes import REGIONS
from nswp_survey.store import (
    commit_page,
    make_engine,
    migrate,
    record_form_version,
    transaction,
    upsert_form,
)

data = sys.modules["nswp_tests_indicators_data"]  # loaded by tests/export/conftest.py
FORM = data.FORM
SHARES = ("ORG-01", "MEM-03", "POL-02", "VIO-02", "ORG-04")  # one row per country
# (region, country, answers) of the crafted year: the old tables gave North America's two
# SW-led members away (27 - 9 - 7 - 6 - 3) and pinned Africa's two "<3" cells (sum 4)
YES = {"sw_led": "1", "regional_net": "aswa", "ccm_seat": "yes", "doc_violations": "yes"}
NO = {"sw_led": "0", "regional_net": "none", "ccm_seat": "no", "doc_violations": "no"}


def _members() -> list[tuple[str, str, dict[str, str]]]:
    rows = []
    rows += [("africa", "KEN", YES)] * 2 + [("africa", "KEN", NO)] * 3
    rows += [("africa", "NGA", YES)] * 2 + [("africa", "NGA", NO)] * 3
    rows += [("africa", "ZAF", YES)] * 5
    rows += [("asia_pacific", "THA", YES)] * 7
    rows += [("europe", "DEU", YES)] * 6
    rows += [("lac", "MEX", YES)] * 3
    rows += [("nac", "USA", YES)] * 2
    return rows


def crafted_database(
    folder: Path,
    members: list[tuple[str, str, dict[str, str]]],
    changes: dict[int, tuple[dict[str, str], ...]] | None = None,
) -> Path:
    """The members' answers in a SQLite file; `changes`: law changes by member number."""
    changes = changes or {}
    path = folder / "crafted.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with transaction(engine) as conn:
        upsert_form(conn, data.ASSET, name="annual member survey")
        record_form_version(conn, data.ASSET, "vCurrent", content=content_from_xlsx(FORM),
                            date_deployed=datetime(2025, 12, 1, tzinfo=UTC))  # fmt: skip
    rows = [
        data.submission(
            i, data.profile(f"ZZ-{i:04d}", region, country, **answers), changes=changes.get(i, ())
        )
        for i, (region, country, answers) in enumerate(members, start=1)
    ]
    commit_page(engine, data.ASSET, rows, None)
    engine.dispose()
    return path


def export_public(folder: Path, database: Path, *options: str) -> Path:
    config = folder / "nswp.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    out = folder / "out"
    args = ["--config", str(config), "export", "--region", "all", "--year", "2025",
            "--lang", "en", "--format", "csv", "--out", str(out), "--audit", *options]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out / "2025"


def read(folder: Path, region: str, table: str) -> list[dict[str, str]]:
    path = folder / region / f"nswp-{region}-2025-en-csv" / f"{table}.csv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Attacker:
    """Unknowns (hidden counts) and the linear equalities over them that the CSVs give."""

    def __init__(self) -> None:
        self.bounds: dict[str, tuple[float, float]] = {}
        self.equalities: list[tuple[dict[str, float], float]] = []
        self.at_most: list[tuple[str, float]] = []

    def term(self, name: str, shown: str) -> tuple[dict[str, float], float]:
        """A published cell as (unknowns, constant)."""
        if shown in ("<3", "x", ""):
            self.bounds.setdefault(name, (1, 2) if shown == "<3" else (0, math.inf))
            return {name: 1.0}, 0.0
        return {}, float(shown)

    def equal(self, total: tuple[dict[str, float], float], parts: list) -> None:
        coefficients: dict[str, float] = dict(total[0])
        constant = -total[1]
        for unknowns, value in parts:
            for name, c in unknowns.items():
                coefficients[name] = coefficients.get(name, 0.0) - c
            constant += value
        if coefficients:
            self.equalities.append((coefficients, constant))  # sum(coef * x) = constant

    def range_of(self, name: str) -> tuple[float, float]:
        names = sorted(self.bounds)
        index = {n: i for i, n in enumerate(names)}
        a_eq = [[c.get(n, 0.0) for n in names] for c, _ in self.equalities]
        b_eq = [b for _, b in self.equalities]
        a_ub = [[1.0 if n == small else 0.0 for n in names] for small, _ in self.at_most]
        b_ub = [bound for _, bound in self.at_most]
        bounds = [self.bounds[n] for n in names]
        found = []
        for sign in (1, -1):
            goal = [0.0] * len(names)
            goal[index[name]] = sign
            result = linprog(goal, A_ub=a_ub or None, b_ub=b_ub or None, A_eq=a_eq or None,
                             b_eq=b_eq or None, bounds=bounds, method="highs")  # fmt: skip
            assert result.status == 0, result.message
            found.append(sign * result.fun)
        return found[0], found[1]


def attack(folder: Path, ids: tuple[str, ...] = SHARES) -> dict[str, tuple[float, float]]:
    """Every hidden numerator and n of the shares `ids`, as narrowly as the packs allow."""
    me = Attacker()
    packs = {region: read(folder, region, "indicators") for region in (*REGIONS, "global")}
    labels = {row["breakdown"] for row in packs["global"] if row["breakdown"]}
    cover = {r: {row["item"]: row["value"] for row in read(folder, r, "cover")} for r in packs}
    for indicator in ids:
        for quantity in ("numerator", "n"):

            def cell(
                region: str, row: dict[str, str], q: str = quantity, i: str = indicator
            ) -> tuple:
                place = row["breakdown"] or "all"
                shown = row[q]
                if q == "numerator" and shown == "":
                    # "<3" in the value column is about the numerator only when n is shown
                    shown = row["value"] if row["n"] not in ("<3", "x") else "x"
                return me.term(f"{i}/{q}/{region}/{place}", shown)

            top = [r for r in packs["global"] if r["id"] == indicator]
            head = {r["breakdown"]: r for r in top}
            regional = {}
            for region in REGIONS:
                rows = [r for r in packs[region] if r["id"] == indicator]
                if not rows:
                    continue
                total = next(r for r in rows if not r["breakdown"])
                regional[region] = cell(region, total)
                parts = [cell(region, r) for r in rows if r["breakdown"]]
                # a country the low item MEM-03 lists and this one leaves out is a part too
                listed = {r["breakdown"] for r in rows}
                parts += [
                    me.term(f"{indicator}/{quantity}/{region}/{r['breakdown']}", "x")
                    for r in packs[region]
                    if r["id"] == "MEM-03" and r["breakdown"] and r["breakdown"] not in listed
                ]
                me.equal(regional[region], parts)
            region_rows = [r for r in top if r["breakdown"] in labels and r["breakdown"]]
            me.equal(cell("global", head[""]), [cell("global", r) for r in region_rows])
            for row in region_rows:  # the global pack's region row is the region's headline
                code = next(c for c in regional if _label_matches(row["breakdown"], c))
                me.equal(cell("global", row), [regional[code]])
    for region, items in cover.items():  # the covers' responses are each region's R
        me.term(f"R/{region}", items["responses"])
    return {name: me.range_of(name) for name in me.bounds if me.bounds[name] == (1, 2)}


def _label_matches(label: str, code: str) -> bool:
    names = {"africa": "Africa", "asia_pacific": "Asia", "europe": "Europe",
             "lac": "Latin America", "nac": "North America"}  # fmt: skip
    return label.startswith(names[code])


def test_no_small_cell_comes_back_from_all_packs_together(tmp_path: Path) -> None:
    out = export_public(tmp_path, crafted_database(tmp_path, _members()))
    ranges = attack(out)
    assert ranges, "the crafted year has small cells"
    pinned = {name: r for name, r in ranges.items() if r[1] - r[0] < 1 - 1e-6}
    assert not pinned, pinned  # e.g. nac's 2 of 2 was 27 - 9 - 7 - 6 - 3


def test_small_groups_of_sensitive_items_have_no_row(tmp_path: Path) -> None:
    members = [*_members(), ("africa", "GHA", {**NO, "budget_band": "lt_5k"})]
    out = export_public(tmp_path, crafted_database(tmp_path, members))
    rows = read(out, "africa", "indicators")
    # ORG-03 (budget band, medium): Ghana's one member would be "Ghana · Under 5,000 <3"
    assert not [r for r in rows if r["id"] == "ORG-03" and r["breakdown"].startswith("Ghana")]
    assert not [r for r in rows if r["id"] == "ORG-01" and r["breakdown"].startswith("Ghana")]
    # a low item keeps the row, hidden
    ghana = [r for r in rows if r["id"] == "MEM-03" and r["breakdown"].startswith("Ghana")]
    assert [r["value"] for r in ghana] in (["<3"], ["x"])


def test_everyone_or_no_one_of_a_small_group_is_not_published(tmp_path: Path) -> None:
    out = export_public(tmp_path, crafted_database(tmp_path, _members()))
    rows = read(out, "africa", "indicators")
    # ORG-01 reads sw_led (medium): South Africa's 5 of 5 would tell every member's answer
    zaf = next(r for r in rows if r["id"] == "ORG-01" and r["breakdown"] == "South Africa")
    assert zaf["value"] in ("<3", "x") and zaf["numerator"] == ""


def test_cover_and_series_counts_are_protected(tmp_path: Path) -> None:
    out = export_public(tmp_path, crafted_database(tmp_path, _members()))
    nac = {row["item"]: row["value"] for row in read(out, "nac", "cover")}
    assert nac["responses"] in ("<3", "x") and nac["countries"] in ("<3", "x")
    series = {row["id"]: row for row in read(out, "nac", "time_series")}
    assert series["responses"]["2025"] in ("<3", "x")


def test_internal_tier_is_unchanged_by_the_plan(tmp_path: Path) -> None:
    database = crafted_database(tmp_path, _members())
    out = export_public(tmp_path, database, "--tier", "internal")
    for region in (*REGIONS, "global"):
        rows = read(out, region, "indicators")
        assert not [r for r in rows if r["value"] in ("<3", "x")], region
        zaf = [r for r in rows if r["id"] == "ORG-01" and r["breakdown"] == "South Africa"]
        assert [(r["numerator"], r["n"]) for r in zaf] == (
            [("5", "5")] if region == "africa" else []
        )


def test_audit_option_attacks_before_publishing(tmp_path: Path) -> None:
    database = crafted_database(tmp_path, _members())
    config = tmp_path / "nswp.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    args = ["--config", str(config), "export", "--region", "nac", "--year", "2025",
            "--format", "csv", "--out", str(tmp_path / "out"), "--audit"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("audit of the 2025"))
    published, small, protecting = (int(w) for w in re.findall(r"(\d+) (?:counts|hidden)", line))
    assert published > 0 and small > 0 and protecting > 0
    assert "none can be worked out" in line


# Seeded random years: members spread over regions and countries, random answers.
ANSWERS = {"sw_led": ("0", "1"), "regional_net": ("aswa", "none", "apnsw"),
           "ccm_seat": ("yes", "no"), "budget_band": ("lt_5k", "5k_25k"),
           "doc_violations": ("yes", "no")}  # fmt: skip
PLACES = {"africa": ("KEN", "NGA", "ZAF"), "asia_pacific": ("THA", "IND"),
          "europe": ("DEU",), "lac": ("MEX", "BRA"), "nac": ("USA", "CAN")}  # fmt: skip


def _random_year(rng: random.Random) -> list[tuple[str, str, dict[str, str]]]:
    members = []
    for _ in range(rng.randint(8, 30)):
        region = rng.choice(sorted(PLACES))
        answers = {field: rng.choice(choices) for field, choices in ANSWERS.items()}
        members.append((region, rng.choice(PLACES[region]), answers))
    return members


@pytest.mark.parametrize("seed", range(8))
def test_the_audit_finds_nothing_in_random_years(tmp_path: Path, seed: int) -> None:
    database = crafted_database(tmp_path, _random_year(random.Random(seed)))
    engine = make_engine(f"sqlite:///{database}")
    catalogue = load_catalogue(data.CATALOGUE)
    form = load_export_form(engine)
    frames = withhold_countries(load_frames(engine, catalogue, schema=form.schema), ["RUS"])
    pack = build_pack(engine, catalogue, frames, form, 2025, "global", joint=True)
    assert pack.plan is not None
    report = pack.plan.check()  # raises DisclosureError if any hidden count comes back
    assert report.ok and report.primary > 0
    engine.dispose()


@pytest.mark.parametrize(
    ("source", "published"),
    [
        ("https://www.kenyalaw.org/act/2025/5/?doc=101", True),
        ("http://parliament.example.ng/bills/12", True),
        ("call Grace on +254 700 000 000", False),  # a member's note: never public
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ('=HYPERLINK("http://x","y")', False),
        ("https://", False),
        ("https://example.org/a b", False),
    ],
)
def test_only_links_to_public_documents_are_published_as_sources(
    tmp_path: Path, source: str, published: bool
) -> None:
    change = data.law("criminalisation_sale", "national", "adopted", "positive", "2025-03-01",
                      source)  # fmt: skip
    database = crafted_database(tmp_path, _members(), {1: (change,)})
    config = tmp_path / "nswp.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    out = tmp_path / "out"
    for tier in ("public", "internal"):
        args = [
            "--config",
            str(config),
            "export",
            "--region",
            "africa",
            "--year",
            "2025",
            "--lang",
            "en",
            "--format",
            "csv",
            "--tier",
            tier,
            "--out",
            str(out / tier),
        ]
        result = CliRunner().invoke(cli, args)  # fmt: skip
        assert result.exit_code == 0, result.output
    public = read(out / "public" / "2025", "africa", "law_changes")
    internal = read(out / "internal" / "2025", "africa", "law_changes")
    assert [r["public_source"] for r in public] == [source if published else ""]
    assert public[0]["country"] == (
        "Kenya" if published else "(country not shown: no public source)"
    )
    assert internal[0]["country"] == "Kenya"  # the internal tier keeps what members wrote
    assert internal[0]["public_source"].lstrip("'") == source
