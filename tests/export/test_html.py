"""The HTML report: self-contained, escaped, private, and rendered by a real headless Chromium.

Chromium tests skip when `chromium` is missing, unless CI is set (then they fail).
NSWP_SAVE_SCREENSHOT=1 also copies the English and Chinese phone screenshots to
docs/screenshots/report-africa.png and report-africa-zh.png for people to look at.
The Chinese and Russian renders also check that fontconfig offers Chromium a font for the
script (scripts/install-test-deps.sh installs one when missing).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.export import Pack, build_pack, write_pack
from nswp_survey.export.charts import stacked_chart
from nswp_survey.export.figures import law_chart
from nswp_survey.export.html import render_html, title, write_html
from nswp_survey.export.i18n import column_label, section_title
from nswp_survey.export.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20
NETWORK = re.compile(r"""(?:src|href|action|srcset|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
CSS_NETWORK = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import)""", re.I)
ERRORS = re.compile(r"CONSOLE|Uncaught", re.I)


@pytest.fixture(scope="module")
def packs(export_engine, export_catalogue, export_form, all_years) -> dict[str, Pack]:
    """Africa 2025 from every stored year, as `export` builds it (time series 2024, 2025)."""

    def build(lang: str, **options) -> Pack:
        return build_pack(
            export_engine, export_catalogue, all_years, export_form, 2025, "africa",
            lang=lang, **options,
        )  # fmt: skip

    return {
        "en": build("en"),
        "zh": build("zh", tier="internal", include_sensitive=True),
        "ru": build("ru"),
    }


def chromium() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing and CI is set: run scripts/install-test-deps.sh")
    pytest.skip("chromium is not installed (apt-get install chromium, or install-test-deps.sh)")


def run_chromium(path: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    args = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
        *extra, path.resolve().as_uri(),
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def page_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ERRORS.search(line)]


def test_report_is_self_contained_escaped_and_private(packs, tmp_path: Path) -> None:
    path = write_html(packs["en"], tmp_path / "report.html")
    document = path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))
    assert document.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in document and '<meta charset="utf-8">' in document
    assert 'name="viewport"' in document and "@media print" in document
    assert "Noto Sans CJK" in document
    assert not NETWORK.search(document) and not CSS_NETWORK.search(document)
    assert "<script" not in document.lower() and "<img" not in document.lower()
    assert document.count("<svg") >= 2
    assert "NSWP member survey 2025: Africa" in document
    # suppressed cells as the pack shows them (escaped), the public tier's note
    assert "&lt;3" in document and "<3<" not in document
    assert "Members in a regional network" in document
    # law changes: the public source is text, never a link
    assert "https://www.kenyalaw.org/act/2025/5/" in document
    assert "includes sensitive fields" not in document and 'class="warning"' not in document


def test_text_is_escaped(packs) -> None:
    pack = packs["en"]
    hostile = Pack(pack.region, pack.year, pack.lang, pack.tier, dict(pack.tables))
    law = pack.tables["law_changes"].copy()
    law.loc[0, "area"] = '<script>alert("x")</script>'
    hostile.tables["law_changes"] = law
    document = render_html(hostile)
    assert "<script" not in document
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in document


def test_chinese_report_has_translated_title_and_sensitive_warning(packs, tmp_path) -> None:
    document = write_html(packs["zh"], tmp_path / "zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in document
    assert title(packs["zh"]) == "NSWP 2025年成员调查：非洲"
    assert "<h1>NSWP 2025年成员调查：非洲</h1>" in document
    assert "性工作者主导组织的比例" in document  # an indicator title, from the pack
    assert 'class="warning"' in document and "敏感字段" in document


def test_write_pack_and_cli_write_html(config: Path, packs, tmp_path: Path) -> None:
    written = write_pack(packs["ru"], tmp_path / "packs", formats=("html",))
    assert [p.name for p in written] == ["nswp-africa-2025-ru.html"]
    assert "Опрос членов NSWP 2025: Африка" in written[0].read_text(encoding="utf-8")
    out = tmp_path / "out"
    args = ["--config", str(config), "export", "--year", "2025", "--out", str(out)]
    args += ["--region", "africa", "--format", "xlsx,html"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    folder = out / "2025" / "africa"
    # no --lang: Africa is published in English and French
    assert sorted(p.name for p in folder.iterdir()) == [
        "nswp-africa-2025-en.html", "nswp-africa-2025-en.xlsx",
        "nswp-africa-2025-fr.html", "nswp-africa-2025-fr.xlsx",
    ]  # fmt: skip
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())


class Outline(HTMLParser):
    """What a reader sees of the report: section headings, charts per section, headers, cells."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.headings: dict[str, str] = {}
        self.charts: dict[str, int] = {}
        self.headers: list[str] = []
        self.directions: list[tuple[str, str]] = []
        self._into: str | None = None
        self._class = ""
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "section" and attr.get("id"):
            self.section = attr["id"]
        if tag == "svg" and self.section:
            self.charts[self.section] = self.charts.get(self.section, 0) + 1
        if tag in ("h2", "th") or (tag == "td" and "dir" in (attr.get("class") or "")):
            self._into, self._class, self._text = tag, attr.get("class") or "", []

    def handle_data(self, data: str) -> None:
        if self._into:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._into:
            return
        text = "".join(self._text).strip()
        if tag == "h2" and self.section:
            self.headings[self.section] = text
        elif tag == "th":
            self.headers.append(text)
        elif tag == "td":
            self.directions.append((self._class, text))
        self._into = None


def outline(document: str) -> Outline:
    parser = Outline()
    parser.feed(document)
    return parser


@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_sections_and_headers_are_in_the_pack_language(packs, lang: str) -> None:
    seen = outline(render_html(packs[lang]))
    for name in ("law_matrix", *SECTIONS):
        assert seen.headings[name] == section_title(name, lang), name
    for name in SECTIONS:  # every section has at least one inline chart
        assert seen.charts.get(name, 0) >= 1, name
    # headers are words of the language, never the stable codes of the xlsx
    for code in ("public_source", "numerator", "denominator", "category", "criminalisation_sale"):
        assert code not in seen.headers
    assert column_label("public_source", lang) in seen.headers
    assert column_label("category", lang) in seen.headers
    law = packs[lang].tables["law_matrix"]
    assert packs[lang].labels["law_matrix"]["criminalisation_sale"] in seen.headers
    assert len(seen.directions) == int(law.iloc[:, 1:].ne("").sum().sum())


def test_law_matrix_cells_have_colour_and_symbol(packs) -> None:
    seen = outline(render_html(packs["en"]))
    # public tier: Kenya +, South Africa +, and the unnamed row with − and +
    assert sorted(seen.directions) == [
        ("dir neg", "−"), ("dir pos", "+"), ("dir pos", "+"), ("dir pos", "+"),
    ]  # fmt: skip
    document = render_html(packs["en"])
    assert "(country not shown: no public source)" in document
    assert "Positive" in document and "Negative" in document  # the legend, in words


def test_cover_items_are_translated(packs) -> None:
    document = render_html(packs["ru"])
    for item in ("Ответы", "Скрытые ячейки", "Исключённые конфиденциальные поля"):
        assert f"<dt>{item}</dt>" in document
    assert "<dt>suppressed cells</dt>" not in document
    zh = render_html(packs["zh"])
    assert "<dt>包含敏感字段</dt><dd>是</dd>" in zh  # --include-sensitive, said on the cover


def fonts_for(lang: str) -> str:
    found = subprocess.run(
        ["fc-list", f":lang={lang}"], capture_output=True, text=True, check=False, timeout=TIMEOUT
    )
    return found.stdout


@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_chromium_renders_report(packs, tmp_path: Path, lang: str) -> None:
    pack = packs[lang]
    chromium()  # skips (or fails on CI) before the font check when there is no browser
    if lang in ("zh", "ru"):
        assert shutil.which("fc-list"), "fontconfig missing: run scripts/install-test-deps.sh"
        assert fonts_for(lang).strip(), f"no {lang} font: run scripts/install-test-deps.sh"
    path = write_html(pack, tmp_path / f"{pack.stem}.html")
    dumped = run_chromium(path, tmp_path, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert dumped.stdout.count("<svg") >= 2 + len(SECTIONS)
    for name in (*SECTIONS, "service_coverage", "time_series"):
        assert f"<h2>{section_title(name, lang)}</h2>" in dumped.stdout
    assert title(pack) in dumped.stdout
    assert f'<html lang="{lang}">' in dumped.stdout
    assert not page_errors(dumped.stderr), page_errors(dumped.stderr)

    shot = tmp_path / f"report-{lang}.png"
    taken = run_chromium(path, tmp_path, f"--screenshot={shot}", "--window-size=412,1200")
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert not page_errors(taken.stderr), page_errors(taken.stderr)
    if lang in ("en", "zh") and os.environ.get("NSWP_SAVE_SCREENSHOT") == "1":
        name = "report-africa.png" if lang == "en" else f"report-africa-{lang}.png"
        target = ROOT / "docs" / "screenshots" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)


def test_console_errors_would_be_caught(tmp_path: Path) -> None:
    """The check above can fail: a page with a script error shows a CONSOLE line."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>undefinedThing()</script>", encoding="utf-8")
    result = run_chromium(page, tmp_path, "--dump-dom")
    assert page_errors(result.stderr), result.stderr[-2000:]


def test_law_chart_counts_a_change_once_in_each_of_its_areas() -> None:
    law = pd.DataFrame(
        {
            "area": ["Migration; Trafficking", "Migration", "Trafficking"],
            "direction": ["Positive", "Negative", "Positive"],
        }
    )
    pack = Pack("africa", 2025, "en", "public", tables={"law_changes": law})
    svg = law_chart(pack)
    assert "Migration; Trafficking" not in svg
    assert re.findall(r"</title>([^<]+)</text>", svg) == ["Migration", "Trafficking"]
    # Migration: one positive (shared) + one negative; Trafficking: two positive
    segments = re.findall(r"<title>(\w+: \d+)</title></rect>", svg)
    assert segments == ["Negative: 1", "Positive: 1", "Positive: 2"]


def test_report_lists_headlines_and_shown_breakdowns_only(packs) -> None:
    pack = packs["en"]
    table = pack.tables["indicators"]
    hidden = table["value"].map(lambda v: isinstance(v, str)) & table["breakdown"].ne("")
    assert hidden.sum() > 0
    document = render_html(pack)
    assert f"{int(hidden.sum())} breakdown rows with a hidden cell are not listed" in document
    start = document.index("<h2>Indicators</h2>")
    section = document[start : document.index("<h2>", start + 5)]
    rows = section.count("<tr") - 1  # minus the header row
    assert rows == len(table) - int(hidden.sum())


def test_a_long_legend_wraps_inside_the_chart() -> None:
    series = ["Unclear", "Mixed", "Neutral", "Negative", "Positive", "Not applicable"]
    svg = stacked_chart([("Area", [1, 1, 1, 1, 1, 1])], series, "Changes")
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg)[1])
    lines = {int(y) for y in re.findall(r'<rect x="[\d.]+" y="(\d+)" width="12"', svg)}
    assert len(lines) == 2  # the legend took two lines
    for x, name in re.findall(r'<text x="(\d+)" y="\d+" font-size="11"[^>]*>([A-Za-z ]+)<', svg):
        if name in series:
            assert int(x) + 7 * len(name) <= width + 12, name


def test_report_shows_shares_as_percentages(packs) -> None:
    pack = packs["en"]
    table = pack.tables["indicators"]
    headline = table[(table["id"] == "MEM-03") & (table["breakdown"] == "")].iloc[0]
    document = render_html(pack)
    assert f'<td class="num">{headline["value"] * 100:.1f}%</td>' in document
