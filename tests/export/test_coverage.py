"""The service_coverage heat map: service × country (region in the global pack), % offering.

2025, worked by hand from tests/indicators/conftest.py (services of each counted response):
  africa  KEN  S1 hiv_testing sti legal_aid_paralegal;  S6 hiv_testing
          ZAF  S11 hiv_testing legal_aid_paralegal
  asia_pacific THA S3 hiv_prevention;  nac USA S7 legal_aid_paralegal
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import pytest

from nswp_survey.export import Disclosure, build_pack
from nswp_survey.export.coverage import group_codes, service_coverage
from nswp_survey.export.html import render_html
from nswp_survey.export.i18n import column_label, phrase, section_title


@pytest.fixture(scope="module")
def build(export_engine, export_catalogue, export_form, all_years):
    def build(region: str = "africa", **options):
        return build_pack(
            export_engine, export_catalogue, all_years, export_form, 2025, region, **options
        )

    return build


def cells(table, *services: str) -> dict[str, list]:
    rows = table.set_index("code")
    return {s: rows.loc[s, group_codes(table)].tolist() for s in services}


def responses_2025(frames, region: str | None = None):
    responses = frames.responses[frames.responses["year"].eq(2025)]
    return responses if region is None else responses[responses["region"].eq(region)]


def test_internal_tier_shows_every_share_by_country(build, export_form) -> None:
    pack = build(tier="internal")
    table = pack.tables["service_coverage"]
    assert list(table.columns) == ["code", "service", "KEN", "ZAF"]
    assert list(table["code"]) == export_form.schema.choice_names("services")
    assert cells(table, "hiv_testing", "sti", "legal_aid_paralegal", "hiv_prevention") == {
        "hiv_testing": [100.0, 100.0],
        "sti": [50.0, 0.0],
        "legal_aid_paralegal": [50.0, 100.0],
        "hiv_prevention": [0.0, 0.0],
    }
    assert table.set_index("code").loc["hiv_testing", "service"] == "HIV testing"
    assert pack.labels["service_coverage"] == {"KEN": "Kenya", "ZAF": "South Africa"}


def test_labels_are_in_the_pack_language(build) -> None:
    pack = build(lang="fr", tier="internal")
    table = pack.tables["service_coverage"]
    assert table.set_index("code").loc["hiv_testing", "service"] == "Dépistage du VIH"
    assert pack.labels["service_coverage"]["ZAF"] == "Afrique du Sud"
    assert list(table.columns[2:]) == ["ZAF", "KEN"]  # ordered by the French name


def test_small_countries_and_small_counts_are_suppressed(build) -> None:
    # Kenya: 2 respondents, shown at min_cell 2 except a service only 1 offers;
    # South Africa: 1 respondent, never shown (domain.md §6), not even its zeros
    table = build(min_cell=2).tables["service_coverage"]
    assert cells(table, "hiv_testing", "sti", "hiv_prevention") == {
        "hiv_testing": [100.0, "<2"],
        "sti": ["<2", "<2"],
        "hiv_prevention": [0.0, "<2"],
    }
    default = build().tables["service_coverage"]
    assert {v for c in group_codes(default) for v in default[c]} == {"<3"}


def test_global_pack_has_one_column_per_region(build) -> None:
    pack = build("global")
    table = pack.tables["service_coverage"]
    assert sorted(group_codes(table)) == ["africa", "asia_pacific", "nac"]
    shown = cells(table, "hiv_testing", "sti", "legal_aid_paralegal", "hiv_prevention")
    africa = {s: v[group_codes(table).index("africa")] for s, v in shown.items()}
    assert africa == {
        "hiv_testing": 100.0,  # 3 of 3
        "sti": "<3",  # 1 of 3
        "legal_aid_paralegal": "<3",  # 2 of 3
        "hiv_prevention": 0.0,
    }
    assert set(table["asia_pacific"]) == {"<3"} and set(table["nac"]) == {"<3"}
    assert pack.labels["service_coverage"]["africa"] == "Africa"


def test_suppressed_heat_cells_are_counted(export_form, all_years) -> None:
    responses = responses_2025(all_years, "africa")
    rules = Disclosure(public=True, min_cell=2)
    heat = service_coverage(responses, export_form, "en", by="country", rules=rules)
    # Kenya's sti and legal aid (1 of 2 each), and all 19 services of South Africa
    assert heat.hidden == 2 + 19
    assert heat.hidden == sum(v == "<2" for c in group_codes(heat.table) for v in heat.table[c])
    internal = service_coverage(responses, export_form, "en", by="country", rules=Disclosure(False))
    assert internal.hidden == 0


def test_a_high_sensitivity_services_field_takes_the_higher_floor(export_form, all_years) -> None:
    responses = responses_2025(all_years)
    rules = Disclosure(public=True, min_cell=2, min_cell_high=3)
    low = service_coverage(responses, export_form, "en", by="region", rules=rules)
    assert low.table.set_index("code").loc["legal_aid_paralegal", "africa"] == pytest.approx(66.7)
    high_form = dataclasses.replace(
        export_form, sensitivity={**export_form.sensitivity, "services": "high"}
    )
    high = service_coverage(responses, high_form, "en", by="region", rules=rules)
    assert high.table.set_index("code").loc["legal_aid_paralegal", "africa"] == "<3"
    assert high.table.set_index("code").loc["hiv_testing", "africa"] == 100.0
    assert high.hidden > low.hidden


def test_a_region_without_responses_has_an_empty_table(build) -> None:
    pack = build("lac")  # its only 2025 submission is "not approved"
    assert pack.tables["service_coverage"].empty
    assert list(pack.tables["service_coverage"].columns) == ["code", "service"]
    assert "No data." in render_html(pack).split('id="service_coverage"')[1].split("</section>")[0]


class Heat(HTMLParser):
    """The heat-map section: headers, row headers, (class, text) of each cell, legend texts."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.heading = ""
        self.headers: list[str] = []
        self.cells: list[tuple[str, str]] = []
        self.legend: list[str] = []
        self.notes: list[str] = []
        self._tag: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "section":
            self.inside = attr.get("id") == "service_coverage"
        if self.inside and tag in ("h2", "th", "td", "li", "p"):
            self._tag, self._text = (tag, attr.get("class") or ""), []

    def handle_data(self, data: str) -> None:
        if self._tag:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self._tag or tag != self._tag[0]:
            return
        text = "".join(self._text).strip()
        kind, cls = self._tag
        if kind == "h2":
            self.heading = text
        elif kind == "th":
            self.headers.append(text)
        elif kind == "td":
            self.cells.append((cls, text))
        elif kind == "li":
            self.legend.append(text)
        else:
            self.notes.append(text)
        self._tag = None


def heat(document: str) -> Heat:
    parser = Heat()
    parser.feed(document)
    return parser


def test_heat_map_cells_are_shaded_and_show_the_share(build) -> None:
    seen = heat(render_html(build(lang="fr", tier="internal")))
    assert seen.heading == section_title("service_coverage", "fr")
    assert seen.headers[:3] == [column_label("service", "fr"), "Afrique du Sud", "Kenya"]
    assert "KEN" not in seen.headers
    assert "Dépistage du VIH" in seen.headers  # each service heads its row
    assert len(seen.cells) == 2 * 19
    # the rows in the form's order: hiv_prevention, hiv_testing, ..., sti is the 5th
    assert seen.cells[2:4] == [("heat h4", "100%"), ("heat h4", "100%")]
    assert seen.cells[8:10] == [("heat h0", "0%"), ("heat h3", "50%")]
    assert phrase("coverage_legend", "fr") in seen.notes
    assert seen.legend == ["0%", "1–24%", "25–49%", "50–74%", "75–100%"]


def test_suppressed_heat_cells_are_grey_and_explained(build) -> None:
    seen = heat(render_html(build()))
    assert set(seen.cells) == {("heat hx", "<3")}
    assert seen.legend[-1] == (
        "<3 hidden: fewer than 3 organisations answered there, or fewer than 3 offer the service"
    )
    assert "“x”" not in seen.legend[-1]  # no complementary cells in the heat map
