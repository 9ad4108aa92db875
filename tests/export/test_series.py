"""The time_series table: headline indicators per survey year (2024 and 2025 in the fixture).

Africa, worked by hand (conftest.py for 2024, tests/indicators/conftest.py for 2025):
  responses  2024: 4   2025: 3 (S1, S6, S11)
  ORG-01     3/4       2/3          MEM-03  3/4   3/3
  POL-02     1/4       2/3          VIO-02  3/4   2/3
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.export import build_pack
from nswp_survey.export.figures import series_figures
from nswp_survey.export.html import render_html
from nswp_survey.export.i18n import column_label, section_title
from nswp_survey.export.series import HEADLINE_IDS, headline_ids, time_series
from nswp_survey.export.tables import Disclosure
from nswp_survey.indicators import compute_indicators, load_frames


def by_id(table) -> dict[str, dict]:
    return {row["id"]: row for row in table.to_dict("records")}


@pytest.fixture(scope="module")
def build(export_engine, export_catalogue, export_form, all_years):
    def build(year: int = 2025, region: str = "africa", frames=all_years, **options):
        return build_pack(
            export_engine, export_catalogue, frames, export_form, year, region, **options
        )

    return build


def test_headline_list_is_in_the_catalogue(export_catalogue) -> None:
    assert headline_ids(export_catalogue) == list(HEADLINE_IDS)
    assert 8 <= len(HEADLINE_IDS) <= 12


def test_one_column_per_year_up_to_the_pack_year(build, export_catalogue) -> None:
    table = build(tier="internal").tables["time_series"]
    assert list(table.columns) == ["id", "indicator", "2024", "2025"]
    assert list(table["id"]) == ["responses", *headline_ids(export_catalogue)]
    rows = by_id(table)
    assert (rows["responses"]["2024"], rows["responses"]["2025"]) == (4, 3)
    assert rows["responses"]["indicator"] == "Responses"
    assert rows["ORG-01"]["indicator"] == "Sex worker-led organisations"
    assert (rows["ORG-01"]["2024"], rows["ORG-01"]["2025"]) == pytest.approx((0.75, 2 / 3))
    assert (rows["MEM-03"]["2024"], rows["MEM-03"]["2025"]) == pytest.approx((0.75, 1.0))
    assert (rows["POL-02"]["2024"], rows["POL-02"]["2025"]) == pytest.approx((0.25, 2 / 3))
    assert (rows["VIO-02"]["2024"], rows["VIO-02"]["2025"]) == pytest.approx((0.75, 2 / 3))


def test_a_2024_pack_stops_at_2024(build) -> None:
    pack = build(2024, tier="internal")
    table = pack.tables["time_series"]
    assert list(table.columns) == ["id", "indicator", "2024"]
    assert by_id(table)["responses"]["2024"] == 4
    cover = dict(zip(pack.tables["cover"]["item"], pack.tables["cover"]["value"], strict=True))
    assert cover["responses"] == 4  # the year's own tables read 2024 only
    assert len(pack.tables["responses"]) == 4


def test_global_series_counts_every_region(build) -> None:
    rows = by_id(build(region="global").tables["time_series"])
    # 2024: four in Africa and HH-0008 in Europe; 2025: the five of tests/indicators
    assert (rows["responses"]["2024"], rows["responses"]["2025"]) == (5, 5)
    assert (rows["ORG-01"]["2024"], rows["ORG-01"]["2025"]) == pytest.approx((0.8, 0.6))


def test_small_cells_are_suppressed_as_on_the_indicator_sheet(build) -> None:
    pack = build()
    rows = by_id(pack.tables["time_series"])
    assert (rows["ORG-01"]["2024"], rows["ORG-01"]["2025"]) == (0.75, "<3")
    assert (rows["POL-02"]["2024"], rows["POL-02"]["2025"]) == ("<3", "<3")
    assert rows["MEM-03"]["2025"] == 1
    indicators = pack.tables["indicators"]
    headline = indicators[indicators["breakdown"].eq("")].set_index("id")["value"]
    for indicator_id, row in rows.items():
        if indicator_id != "responses":
            assert row["2025"] == headline[indicator_id] or (
                row["2025"] is None and headline[indicator_id] is None
            ), indicator_id


def test_other_years_do_not_leak_into_the_year_tables(
    build, export_engine, export_catalogue, export_form
) -> None:
    only = load_frames(export_engine, export_catalogue, years=[2025], schema=export_form.schema)
    for tier in ("public", "internal"):
        mixed, alone = build(tier=tier), build(frames=only, tier=tier)
        assert list(mixed.tables) == list(alone.tables)
        for name in mixed.tables:
            if name in ("cover", "time_series"):
                continue
            assert mixed.tables[name].equals(alone.tables[name]), (tier, name)
        skip = {"generated at", "suppressed cells"}  # 2024's hidden cells add to the count
        cover = [r for r in mixed.tables["cover"].to_numpy().tolist() if r[0] not in skip]
        assert cover == [r for r in alone.tables["cover"].to_numpy().tolist() if r[0] not in skip]
        assert list(alone.tables["time_series"].columns) == ["id", "indicator", "2025"]


def test_the_cli_writes_the_series_sheet(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["--config", str(config), "export", "--year", "2025", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--region", "africa", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "2025" / "africa" / "nswp-africa-2025-fr.xlsx")
    rows = list(book["time_series"].iter_rows(values_only=True))
    assert rows[0] == ("id", "indicator", "2024", "2025")
    assert rows[1] == ("responses", "Réponses", 4, 3)
    org = next(r for r in rows if r[0] == "ORG-01")
    assert org == ("ORG-01", "Organisations dirigées par des travailleur·ses du sexe", 0.75, "<3")


class SectionOutline(HTMLParser):
    """Per <section id>: its heading, table headers, charts and chart texts."""

    def __init__(self) -> None:
        super().__init__()
        self.section = ""
        self.headings: dict[str, str] = {}
        self.headers: dict[str, list[str]] = {}
        self.charts: dict[str, int] = {}
        self.texts: dict[str, list[str]] = {}
        self._tag: str | None = None
        self._buffer: list[str] = []
        self._in_title = False  # a chart label's <title> repeats the label in full

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.section = dict(attrs).get("id") or ""
        if tag == "svg":
            self.charts[self.section] = self.charts.get(self.section, 0) + 1
        if tag in ("h2", "th", "text"):
            self._tag, self._buffer = tag, []
        self._in_title = self._in_title or tag == "title"

    def handle_data(self, data: str) -> None:
        if self._tag and not self._in_title:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag != self._tag:
            return
        text = "".join(self._buffer).strip()
        if tag == "h2":
            self.headings[self.section] = text
        elif tag == "th":
            self.headers.setdefault(self.section, []).append(text)
        else:
            self.texts.setdefault(self.section, []).append(text)
        self._tag = None


def outline(document: str) -> SectionOutline:
    parser = SectionOutline()
    parser.feed(document)
    return parser


def test_report_shows_the_series_with_a_chart_per_share(build) -> None:
    pack = build(lang="fr", tier="internal")
    seen = outline(render_html(pack))
    assert seen.headings["time_series"] == section_title("time_series", "fr")
    assert seen.headers["time_series"] == [
        column_label("id", "fr"), column_label("indicator", "fr"), "2024", "2025",
    ]  # fmt: skip
    # responses, then every share (LAW-02 and LAW-02b count countries: no chart)
    assert seen.charts["time_series"] == 1 + len(HEADLINE_IDS) - 2
    captions = [caption for caption, _svg in series_figures(pack)]
    assert captions[:2] == ["Réponses", "Organisations dirigées par des travailleur·ses du sexe"]
    # the values are text in the charts too: ORG-01 75% then 67%
    texts = seen.texts["time_series"]
    at = texts.index("2024", texts.index("4"))
    assert texts[at : at + 4] == ["2024", "75%", "2025", "67%"]


def test_one_year_only_shows_a_single_column_and_no_chart(
    build, export_engine, export_catalogue, export_form
) -> None:
    only = load_frames(export_engine, export_catalogue, years=[2025], schema=export_form.schema)
    pack = build(frames=only)
    assert series_figures(pack) == []
    seen = outline(render_html(pack))
    assert seen.headings["time_series"] == "Headline indicators over the years"
    assert seen.headers["time_series"] == ["ID", "Indicator", "2025"]
    assert "time_series" not in seen.charts


@pytest.mark.parametrize(("region", "by"), [("africa", ("country",)), ("global", ("region",))])
@pytest.mark.parametrize("public", [True, False])
def test_the_pack_years_results_are_reused_not_recomputed(
    export_catalogue, all_years, region, by, public
) -> None:
    # build_pack hands its by-country results over; their headline figures must give the
    # same table as computing the year region-wide afresh
    rules = Disclosure(public)
    scope = None if region == "global" else region
    current = compute_indicators(all_years, export_catalogue, 2025, scope, by)
    reused = time_series(all_years, export_catalogue, 2025, scope, rules, "en", current)
    afresh = time_series(all_years, export_catalogue, 2025, scope, rules, "en")
    assert reused[1] == afresh[1]
    assert reused[0].equals(afresh[0])
    assert reused[0]["2025"].notna().sum() >= 6  # real figures, not two empty tables
