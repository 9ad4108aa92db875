"""The pack's section tables, law matrix, per-region languages and the higher floor for H items.

Africa in the hand-worked year is S1 (KEN), S6 (KEN) and S11 (ZAF): three organisations,
so with the default floor of 3 most category cells are suppressed in the public tier.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.config import ExportSettings
from nswp_survey.errors import ConfigError
from nswp_survey.export import PUBLICATION_LANGUAGES, build_pack, load_export_form
from nswp_survey.export.matrix import symbols
from nswp_survey.export.sections import SECTION_COLUMNS, SECTIONS
from nswp_survey.export.tables import ORG_COUNT_KINDS, ORG_DENOMINATOR_KINDS, high_indicators
from nswp_survey.indicators import IndicatorSpec, compute_indicators, load_frames
from nswp_survey.register.codes import REGIONS


def export(config: Path, out: Path, *args: str) -> CliRunner:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "export", "--year", "2025", "--out", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return result


def book(config: Path, tmp_path: Path, *args: str, lang: str = "en") -> dict[str, list[tuple]]:
    out = tmp_path / "out"
    export(config, out, "--region", "africa", "--lang", lang, *args)
    workbook = openpyxl.load_workbook(out / "2025" / "africa" / f"nswp-africa-2025-{lang}.xlsx")
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook}


def records(sheet: list[tuple]) -> list[dict[str, object]]:
    """Rows as dicts; an empty code (a headline row) reads back from the xlsx as None."""
    rows = [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]
    return [{**row, "code": row.get("code") or ""} if "code" in row else row for row in rows]


@pytest.fixture(scope="module")
def africa(export_engine, export_catalogue):
    """Africa's results region-wide, by each indicator's own categories only."""
    form = load_export_form(export_engine)
    frames = load_frames(export_engine, export_catalogue, years=[2025], schema=form.schema)
    results = compute_indicators(frames, export_catalogue, 2025, "africa", ())
    return {r.id: r for r in results}


def test_section_sheets_match_indicator_output(config: Path, tmp_path: Path, africa) -> None:
    sheets = book(config, tmp_path, "--min-cell", "1")
    for name in SECTIONS:
        assert sheets[name][0] == tuple(SECTION_COLUMNS), name
    shown = {
        (r["id"], r["code"]): r for name in SECTIONS for r in records(sheets[name])
    }  # fmt: skip
    for indicator_id, result in africa.items():
        for row in result.rows:
            code = row.keys[-1][1]
            if (indicator_id, code) not in shown:
                continue
            cell = shown[(indicator_id, code)]
            assert cell["value"] == pytest.approx(row.value), (indicator_id, code)
            assert cell["n"] == row.n
            assert cell["indicator"] == result.title
    # hand-worked: fundraising S1 S6 S11 (3 of 3), advocacy S1, governance S11
    needs = records(sheets["needs"])
    ta = [r for r in needs if r["id"] == "TA-01"]
    assert ta[0]["code"] == "fundraising"  # ranked: most organisations first
    assert (ta[0]["value"], ta[0]["numerator"], ta[0]["denominator"]) == (1, 3, 3)
    assert {r["code"]: r["numerator"] for r in needs if r["id"] == "TA-02"} == {"en": 2, "fr": 1}
    assert {r["category"] for r in needs if r["id"] == "TA-02"} == {"English", "French"}
    # PRG-02: hiv_testing started by S1 and S6, cut by S11
    balance = {r["code"]: r for r in records(sheets["programmes"]) if r["id"] == "PRG-02"}
    assert (balance["hiv_testing"]["numerator"], balance["hiv_testing"]["denominator"]) == (2, 1)
    assert balance["hiv_testing"]["value"] == 1
    # forums by level: national 3+2+1, regional 1+0+0, global 1+1+0; the question's
    # ${survey_year} is filled in
    forums = {r["code"]: r for r in records(sheets["participation"]) if r["id"] == "POL-01"}
    assert {c: forums[c]["value"] for c in ("forums_nat", "forums_reg", "forums_glob")} == {
        "forums_nat": 6, "forums_reg": 1, "forums_glob": 2,
    }  # fmt: skip
    assert forums[""]["value"] == 9
    assert "${" not in str(forums["forums_nat"]["category"])
    assert "2025" in str(forums["forums_nat"]["category"])
    days = {r["code"]: r["numerator"] for r in records(sheets["mobilisation"])}
    assert days["mar3_labour"] == 2 and days["public_event"] == 2
    rights = {r["code"]: r["numerator"] for r in records(sheets["violence_rights"])}
    assert rights["freedom_from_violence"] == 3


def test_small_section_cells_are_suppressed_and_ranked_last(config: Path, tmp_path: Path) -> None:
    sheets = book(config, tmp_path)
    needs = [r for r in records(sheets["needs"]) if r["id"] == "TA-01"]
    assert [r["code"] for r in needs] == ["fundraising", "advocacy", "governance"]
    assert needs[0]["value"] == 1 and needs[0]["numerator"] == 3
    for hidden in needs[1:]:  # 1 organisation each
        assert hidden["value"] == "<3" and hidden["numerator"] is None
        assert hidden["denominator"] is None
    # PRG-02: one member cut HIV testing, so the cell is hidden though 3 members moved it
    balance = {r["code"]: r for r in records(sheets["programmes"]) if r["id"] == "PRG-02"}
    assert balance["hiv_testing"]["value"] == "<3"
    assert balance["hiv_testing"]["numerator"] is None
    assert balance["hiv_testing"]["denominator"] is None
    # no section cell shows 1 or 2 organisations (sums and ratios count forums and people)
    kinds = {r[0]: r[2] for r in sheets["definitions"][1:]}
    for name in SECTIONS:
        for row in records(sheets[name]):
            if kinds[row["id"]] in ORG_COUNT_KINDS | ORG_DENOMINATOR_KINDS:
                assert row["numerator"] not in (1, 2), (name, row)
                assert row["n"] not in (1, 2), (name, row)


def test_sections_follow_the_pack_language(config: Path, tmp_path: Path) -> None:
    en = book(config, tmp_path / "en", "--min-cell", "1")
    fr = book(config, tmp_path / "fr", "--min-cell", "1", lang="fr")
    for name in SECTIONS:
        assert en[name][0] == fr[name][0]  # stable column codes
        assert [r[2] for r in en[name]] == [r[2] for r in fr[name]]  # same rows, same order
    en_needs = {r["code"]: r["category"] for r in records(en["needs"])}
    fr_needs = {r["code"]: r["category"] for r in records(fr["needs"])}
    assert fr_needs["fr"] == "Français" and en_needs["fr"] == "French"
    fr_titles = {r["id"]: r["indicator"] for r in records(fr["needs"])}
    assert fr_titles["TA-02"] == "Langue préférée pour le soutien"


def test_law_matrix_follows_the_public_source_rule(config: Path, tmp_path: Path) -> None:
    public = book(config, tmp_path / "public")
    matrix = public["law_matrix"]
    assert matrix[0] == (
        "country", "criminalisation_sale", "policing_practice", "hiv_criminalisation",
        "anti_discrimination",
    )  # fmt: skip
    rows = {r[0]: r[1:] for r in matrix[1:]}
    # L1/L3 (Kenya) and L5 (South Africa) have a public source; L2 and L6 do not. A cell
    # starting with "+" reads "'+" in a spreadsheet, as any text that could start a formula
    assert rows == {
        "Kenya": ("'+", None, None, None),
        "South Africa": (None, None, "'+", None),
        "(country not shown: no public source)": (None, "−", None, "'+"),
    }
    unsourced = [r for r in public["law_changes"][1:] if not r[5]]
    assert unsourced and {r[0] for r in unsourced} == {"(country not shown: no public source)"}
    internal = book(config, tmp_path / "internal", "--tier", "internal")
    rows = {r[0]: r[1:] for r in internal["law_matrix"][1:]}
    assert rows == {
        "Kenya": ("'+", "−", None, None),
        "South Africa": (None, None, "'+", "'+"),
    }


def test_direction_symbols() -> None:
    assert symbols(["positive"]) == "+"
    assert symbols(["negative", "positive", "positive"]) == "+ −"
    assert symbols(["mixed"]) == "±"
    assert symbols(["neutral", "unclear", "weird"]) == "0 ?"


def test_publication_languages_cover_every_region() -> None:
    assert set(PUBLICATION_LANGUAGES) == {*REGIONS, "global"}
    assert PUBLICATION_LANGUAGES["africa"] == ("en", "fr")
    assert PUBLICATION_LANGUAGES["asia_pacific"] == ("en", "zh")
    assert PUBLICATION_LANGUAGES["europe"] == ("en", "ru")
    assert PUBLICATION_LANGUAGES["lac"] == ("es",)


def test_export_writes_each_region_in_its_languages(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = export(config, out, "--region", "all", "--format", "xlsx")
    names = sorted(p.name for p in (out / "2025").rglob("*.xlsx"))
    assert names == [
        "nswp-africa-2025-en.xlsx", "nswp-africa-2025-fr.xlsx",
        "nswp-asia_pacific-2025-en.xlsx", "nswp-asia_pacific-2025-zh.xlsx",
        "nswp-europe-2025-en.xlsx", "nswp-europe-2025-ru.xlsx",
        "nswp-global-2025-en.xlsx", "nswp-lac-2025-es.xlsx", "nswp-nac-2025-en.xlsx",
    ]  # fmt: skip
    assert "africa (fr):" in result.output
    only = tmp_path / "only"
    export(config, only, "--region", "europe", "--lang", "zh", "--format", "xlsx")
    assert [p.name for p in (only / "2025" / "europe").iterdir()] == ["nswp-europe-2025-zh.xlsx"]


def test_high_sensitivity_indicators_use_the_higher_floor(
    export_engine, export_catalogue, tmp_path: Path
) -> None:
    """registration is marked high: an indicator reading it needs 5 organisations."""
    spec = IndicatorSpec(
        id="ORG-09",
        titles={"en": "Registration status"},
        framework={},
        kind="distribution",
        fields=("registration",),
    )
    catalogue = dataclasses.replace(
        export_catalogue, indicators=(*export_catalogue.indicators, spec)
    )
    form = load_export_form(export_engine)
    assert high_indicators(catalogue, form) == {"ORG-09"}
    frames = load_frames(export_engine, catalogue, years=[2025], schema=form.schema)

    def headline(**options) -> tuple:
        pack = build_pack(export_engine, catalogue, frames, form, 2025, "africa", **options)
        table = pack.tables["indicators"]
        row = table[(table["id"] == "ORG-09") & (table["breakdown"] == "")].iloc[0]
        other = table[(table["id"] == "MEM-03") & (table["breakdown"] == "")].iloc[0]
        cover = dict(zip(pack.tables["cover"]["item"], pack.tables["cover"]["value"], strict=True))
        return row["value"], row["n"], other["value"], cover

    # 3 answers (all unanswered): shown with a floor of 3, hidden with 5; MEM-03 unaffected
    value, n, other, cover = headline(min_cell=3, min_cell_high=5)
    assert (value, n, other) == ("<5", "<5", 1)
    assert cover["minimum cell size, high-sensitivity items"] == 5
    value, n, _other, _cover = headline(min_cell=3, min_cell_high=3)
    assert (value, n) == (None, 3)
    value, n, _other, _cover = headline(tier="internal")
    assert n == 3


def test_min_cell_high_is_configurable() -> None:
    assert ExportSettings().min_cell_high == 5
    assert ExportSettings().language == ""
    with pytest.raises(ConfigError, match="min_cell_high"):
        ExportSettings(min_cell=5, min_cell_high=3)
