"""`nswp-survey export` on the hand-worked year: sheets, values, suppression, sensitivity."""

from __future__ import annotations

import csv
import shutil
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.errors import ExportError
from nswp_survey.export import SENSITIVE_LINE, build_pack, load_export_form
from nswp_survey.export.sections import SECTIONS
from nswp_survey.indicators import compute_indicators, load_frames
from nswp_survey.store import last_exports, make_engine, migrate, transaction

SHEETS = [
    "cover",
    "indicators",
    "law_changes",
    "law_matrix",
    "service_coverage",
    "programmes",
    "participation",
    "mobilisation",
    "violence_rights",
    "needs",
    "time_series",
    "dictionary",
    "definitions",
]
# the internal tier adds the row-level responses and one sheet per repeat
INTERNAL_SHEETS = [*SHEETS[:-2], "responses", "responses_law_change", *SHEETS[-2:]]


def run(config: Path, out: Path, *args: str):
    return CliRunner().invoke(
        cli, ["--config", str(config), "export", "--year", "2025", "--out", str(out), *args]
    )


def sheets(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}


def export_book(config: Path, tmp_path: Path, *args: str, region: str = "africa", lang="en"):
    out = tmp_path / "out"
    result = run(config, out, "--region", region, "--lang", lang, *args)
    assert result.exit_code == 0, result.output
    return sheets(out / "2025" / region / f"nswp-{region}-2025-{lang}.xlsx")


def cover(book: dict[str, list[tuple]]) -> dict[str, object]:
    return {row[0]: (row[1] if len(row) > 1 else None) for row in book["cover"][1:]}


def test_sheets_headers_and_values_match_compute_indicators(
    config: Path, tmp_path: Path, export_engine, export_catalogue
) -> None:
    book = export_book(config, tmp_path, "--min-cell", "1")
    assert list(book) == SHEETS
    assert book["indicators"][0] == (
        "id", "title", "breakdown", "value", "numerator", "denominator", "n", "note",
    )  # fmt: skip
    assert book["law_changes"][0][:3] == ("country", "area", "stage")
    assert book["dictionary"][0] == ("table", "column", "field", "label", "type", "sensitivity")
    form = load_export_form(export_engine)
    frames = load_frames(export_engine, export_catalogue, years=[2025], schema=form.schema)
    expected = compute_indicators(frames, export_catalogue, 2025, "africa", ("country",))
    headline = {row[0]: row for row in book["indicators"][1:] if not row[2]}
    for result in expected:
        if result.error or result.value is None:
            continue
        row = headline[result.id]
        assert row[1] == result.title
        assert row[3] == pytest.approx(result.value)
        assert row[6] == result.n
    org = next(r for r in expected if r.id == "ORG-01")
    assert headline["ORG-01"][4:6] == (org.numerator, org.denominator)
    info = cover(book)
    assert info["responses"] == 3
    assert info["countries"] == 2
    assert info["tier"] == "public"
    assert SENSITIVE_LINE not in info
    # L1 and L3 (same source) are one change, reported twice
    kenya = [r for r in book["law_changes"][1:] if r[5] and "kenyalaw" in r[5]]
    assert len(kenya) == 1 and kenya[0][6] == 2
    assert len(book["law_changes"]) - 1 == 4

    internal = export_book(config, tmp_path / "internal", "--tier", "internal")
    assert list(internal) == INTERNAL_SHEETS
    assert cover(internal)["row-level responses"] == "yes"
    assert len(internal["responses"]) - 1 == 3
    # the law_change repeat, keyed to its parent response (3 responses, 5 changes)
    assert {r[0] for r in internal["responses_law_change"][1:]} == {1, 2, 3}
    assert len(internal["responses_law_change"]) - 1 == 5


def test_the_public_tier_has_no_row_level_responses(config: Path, tmp_path: Path) -> None:
    book = export_book(config, tmp_path, "--min-cell", "1")
    assert not [name for name in book if name.startswith("responses")]
    assert cover(book)["row-level responses"] == "no"
    # nor any member code, anywhere in the pack
    cells = {str(v) for rows in book.values() for row in rows for v in row}
    assert not {"AA-0001", "EE-0005", "II-0009"} & cells


def test_small_cells_are_suppressed_in_the_public_tier(config: Path, tmp_path: Path) -> None:
    book = export_book(config, tmp_path)
    rows = book["indicators"][1:]
    kenya = next(r for r in rows if r[0] == "ORG-01" and r[2] == "Kenya")
    assert kenya[3] == "<3" and kenya[4] is None and kenya[5] is None and kenya[6] == "<3"
    headline = next(r for r in rows if r[0] == "MEM-03" and not r[2])
    assert (headline[3], headline[6]) == (1, 3)  # 3 of 3 organisations: shown
    hidden = sum(1 for r in rows if r[3] == "<3")
    # section rows by category are cells of their own; their headlines repeat the indicators'
    in_sections = sum(
        1 for name in SECTIONS for r in book[name][1:] if r[4] == "<3" and r[2]
    )  # fmt: skip
    # the heat map's cells, and the time series' cells of earlier years (2024: POL-02 and
    # the other 1-of-4 shares; its 2025 column repeats the indicator sheet's headlines)
    in_heat = sum(1 for r in book["service_coverage"][1:] for v in r[2:] if v == "<3")
    series = book["time_series"]
    earlier = sum(1 for r in series[1:] if r[series[0].index("2024")] == "<3")
    info = cover(book)
    assert info["suppressed cells"] == (
        hidden + in_sections + in_heat + earlier + (info["SW-led share (%)"] == "<3")
    )
    assert in_sections > 0 and in_heat > 0 and earlier > 0
    assert hidden > 0


def test_internal_tier_shows_small_cells(config: Path, tmp_path: Path) -> None:
    book = export_book(config, tmp_path, "--tier", "internal")
    kenya = next(r for r in book["indicators"][1:] if r[0] == "ORG-01" and r[2] == "Kenya")
    assert kenya[3:7] == (1, 2, 2, 2)
    assert cover(book)["suppressed cells"] == 0


def test_sensitive_fields_only_when_asked(config: Path, tmp_path: Path) -> None:
    book = export_book(config, tmp_path, "--tier", "internal")
    header = book["responses"][0]
    columns = {r[1] for r in book["dictionary"][1:]}
    for field in ("member_code", "country", "budget_band"):
        assert field not in header and field not in columns
    assert not any(str(c).startswith("funding_sources/") for c in header)
    assert "lc_source" not in book["responses_law_change"][0]
    assert cover(book)["sensitive fields left out"] > 0

    full = export_book(config, tmp_path, "--include-sensitive")
    assert {"member_code", "country", "budget_band"} <= set(full["responses"][0])
    assert "lc_source" in full["responses_law_change"][0]
    info = cover(full)
    assert info[SENSITIVE_LINE] == "yes"
    assert info["tier"] == "internal"
    assert info["sensitive fields left out"] == 0
    level = {r[1]: r[5] for r in full["dictionary"][1:]}
    assert level["registration"] == "high" and level["country"] == "medium"
    codes = sorted(r[full["responses"][0].index("member_code")] for r in full["responses"][1:])
    assert codes == ["AA-0001", "EE-0005", "II-0009"]


def test_french_labels_differ_from_english(config: Path, tmp_path: Path) -> None:
    en = export_book(config, tmp_path / "en", "--tier", "internal")
    fr = export_book(config, tmp_path / "fr", "--tier", "internal", lang="fr")
    region = en["responses"][0].index("region")
    assert {r[region] for r in en["responses"][1:]} == {"Africa"}
    assert {r[region] for r in fr["responses"][1:]} == {"Afrique"}
    en_titles = {r[0]: r[1] for r in en["indicators"][1:]}
    fr_titles = {r[0]: r[1] for r in fr["indicators"][1:]}
    assert fr_titles["ORG-01"] == "Organisations dirigées par des travailleur·ses du sexe"
    assert en_titles["ORG-01"] != fr_titles["ORG-01"]
    en_labels = {r[1]: r[3] for r in en["dictionary"][1:]}
    fr_labels = {r[1]: r[3] for r in fr["dictionary"][1:]}
    assert en_labels["region"] != fr_labels["region"]


def test_files_are_private_and_csvs_match(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(config, out, "--region", "all", "--lang", "en", "--format", "xlsx,csv")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "2025").iterdir()) == [
        "africa", "asia_pacific", "europe", "global", "lac", "nac",
    ]  # fmt: skip
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    folders = [out, *(p for p in out.rglob("*") if p.is_dir())]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders)
    folder = out / "2025" / "global" / "nswp-global-2025-en-csv"
    assert sorted(p.stem for p in folder.iterdir()) == sorted(SHEETS)
    raw = (folder / "indicators.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    book = sheets(out / "2025" / "global" / "nswp-global-2025-en.xlsx")
    assert tuple(rows[0]) == book["indicators"][0]
    assert len(rows) == len(book["indicators"])
    assert cover(book)["responses"] == 5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--region", "antarctica"), ["antarctica", "africa", "global", "all"]),
        (("--region", "africa", "--lang", "pt"), ["pt", "en", "fr", "es", "ru", "zh"]),
        (("--region", "africa", "--format", "pdf"), ["pdf", "xlsx", "csv"]),
    ],
)
def test_unknown_choices_exit_2(config: Path, tmp_path: Path, args, words) -> None:
    result = run(config, tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert not (tmp_path / "out").exists()


def test_sensitive_fields_never_go_into_a_public_pack(export_engine, export_catalogue) -> None:
    form = load_export_form(export_engine)
    frames = load_frames(export_engine, export_catalogue, years=[2025], schema=form.schema)
    with pytest.raises(ExportError, match="never go into the public tier"):
        build_pack(
            export_engine, export_catalogue, frames, form, 2025, "africa", include_sensitive=True
        )


def test_every_export_is_in_the_export_log(tmp_path: Path, export_db: Path) -> None:
    db = tmp_path / "log.db"
    shutil.copy(export_db, db)
    config = tmp_path / "nswp.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    out = tmp_path / "out"
    public = run(config, out, "--region", "africa", "--lang", "fr", "--format", "xlsx")
    assert public.exit_code == 0, public.output
    internal = run(config, out, "--region", "all", "--lang", "en", "--include-sensitive")
    assert internal.exit_code == 0, internal.output
    engine = make_engine(f"sqlite:///{db}")
    with transaction(engine) as conn:
        newest, older = last_exports(conn)[:2]
    engine.dispose()
    assert (older.regions, older.languages, older.formats, older.tier) == (
        "africa", "fr", "xlsx", "public",
    )  # fmt: skip
    assert (older.include_sensitive, older.files, older.year) == (False, 1, 2025)
    assert newest.regions == "africa,asia_pacific,europe,lac,nac,global"
    written = len([p for p in out.rglob("*") if p.is_file()]) - 1  # all but the first xlsx
    assert (newest.tier, newest.include_sensitive, newest.files) == ("internal", True, written)
    assert newest.folder == str(out.resolve()) and newest.exported_by
    listed = CliRunner().invoke(cli, ["--config", str(config), "export-log"])
    assert listed.exit_code == 0, listed.output
    assert "internal" in listed.output and "africa, asia_pacific" in listed.output


def test_the_lines_count_responses_and_an_empty_year_is_warned(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(config, out, "--region", "africa", "--lang", "en", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "(public, 3 responses, " in result.stdout  # S1, S6 and S11 (tests/indicators)
    assert "warning" not in result.output

    empty = tmp_path / "empty.db"
    migrate(make_engine(f"sqlite:///{empty}"))
    blank = tmp_path / "blank.toml"
    blank.write_text(f'[database]\nurl = "sqlite:///{empty}"\n', encoding="utf-8")
    result = run(blank, tmp_path / "blank", "--region", "africa", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "(public, 0 responses, 0 cells suppressed)" in result.stdout
    assert "warning: no response of survey year 2025 is in the database" in result.stderr
    assert "nswp-survey sync" in result.stderr
