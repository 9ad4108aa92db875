"""Exports from PostgreSQL are the exports from SQLite, cell for cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from nswp_survey.export.pack import check_choice
from nswp_survey.export.run import export_packs

from .conftest import FORM, store_export_fixture


def workbooks(engine, catalogue, out: Path) -> dict[str, dict[str, list[tuple]]]:
    written = export_packs(
        engine, catalogue, 2025, check_choice("all", "en"), out, formats=("xlsx",),
        form_fallback=FORM, lang="en", tier="internal", withhold=(),
    )  # fmt: skip
    books = {}
    for pack, (path,) in written:
        book = openpyxl.load_workbook(path, read_only=True)
        sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}
        # the time of writing is the one cell that differs
        sheets["cover"] = [row for row in sheets["cover"] if row[0] != "generated at"]
        books[pack.region] = sheets
    return books


def test_postgresql_exports_equal_sqlite_exports(
    postgres_url: str, export_engine, export_catalogue, tmp_path: Path
) -> None:
    pg = store_export_fixture(postgres_url)
    try:
        got = workbooks(pg, export_catalogue, tmp_path / "pg")
    finally:
        pg.dispose()
    expected = workbooks(export_engine, export_catalogue, tmp_path / "sqlite")
    assert set(got) == {"africa", "asia_pacific", "europe", "lac", "nac", "global"}
    assert got["africa"]["responses"][1:]  # row-level data came through
    for region, sheets in expected.items():
        assert got[region] == sheets, region
