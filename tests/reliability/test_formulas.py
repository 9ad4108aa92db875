"""Members' text that a spreadsheet would run as a formula: every XLSX and CSV the tool
writes holds it as quoted text (cells.py), and the HTML report shows it as typed."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from html import escape
from itertools import cycle
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.deploy import deploy_form
from nswp_survey.forms.xform import build_instance
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer
from nswp_survey.simulate import iter_members, load_served_form
from nswp_survey.store import make_engine, migrate

from .conftest import REPO_ROOT

SURVEY_FORM = REPO_ROOT / "forms" / "annual_member_survey.xlsx"
PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "=cmd|' /C calc'!A0",
    "\t=1",
    "\r=1",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
TODAY = date(2026, 6, 15)  # survey year 2025
MEMBERS = 40
# the annual survey's free-text questions (inside the law-change repeat) and the country
# a member says it works in
CODE, COUNTRY, CHANGES = "b_profile/member_code", "b_profile/country", "d_law/law_change"


def reliability(scenario: str, injected: str, expected: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(
        suite="input", scenario=scenario, injected=injected, expected=expected
    )


def hostile_instances(client: KoboClient, asset_uid: str) -> Iterator[bytes]:
    """Simulated members whose every text answer, and every third one's country, is a
    payload: hand-made OpenRosa posts, so the form's constraints (a source must be a URL)
    do not stop them, as they would not stop a real attacker."""
    form = load_served_form(client, asset_uid)
    codes, countries, summaries, sources = (cycle(PAYLOADS) for _ in range(4))
    for index, sim in enumerate(iter_members(form, MEMBERS, seed=13, today=TODAY)):
        values: dict[str, Any] = dict(sim.values)
        if CODE in values:  # the member consented and answered
            # one response per member code counts: each member its own
            values[CODE] = f"{next(codes)}{index}"
            if index % 3 == 0:
                values[COUNTRY] = next(countries)
        for item in values.get(CHANGES) or []:
            item.update(lc_summary=next(summaries), lc_source=next(sources))
        xml = build_instance(form.template, values, instance_id=sim.instance_id)
        # XML turns a raw carriage return into a line feed; a character reference keeps it
        yield xml.replace(b"\r", b"&#13;")


def register_file(path: Path) -> Path:
    """A register whose organisation names and contacts are payloads."""
    rows = [
        ["member_code", "region", "country", "membership_type", "join_date",
         "preferred_language", "active", "org_name", "contact"],
    ]  # fmt: skip
    for number, payload in enumerate(PAYLOADS, start=1):
        rows.append(
            [f"KE-{number:04d}", "africa", "KEN", "full", "2010-01-01", "en", "yes", payload,
             f"@{payload}"]
        )  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def assert_no_formula_cell(path: Path) -> dict[str, set[str]]:
    """No cell of the workbook is a formula (nor an error value), and no text cell starts a
    formula; returns the texts of each sheet."""
    texts: dict[str, set[str]] = {}
    for sheet in openpyxl.load_workbook(path).worksheets:
        found = texts.setdefault(sheet.title, set())
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (path.name, sheet.title, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.value)
                    found.add(cell.value)
    return texts


def raw_text(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:  # as written: "\r" kept
        return handle.read()


def assert_no_formula_field(text: str, where: str) -> set[str]:
    """No CSV field starts a formula, except a plain number (-2); returns the fields. The
    reader, like a spreadsheet, ends a row at a bare carriage return outside quotes."""
    fields = {field for row in csv.reader(io.StringIO(text, newline="")) for field in row}
    assert fields, where
    for field in fields:
        if field.startswith(FORMULA_STARTS):
            assert NUMBER.fullmatch(field), (where, field)
    return fields


def quoted(payloads: tuple[str, ...] = PAYLOADS) -> set[str]:
    return {"'" + p for p in payloads}


def quoted_in_xlsx() -> set[str]:
    """`quoted()` as read back from XLSX, whose XML reads a carriage return as a line feed."""
    return {text.replace("\r", "\n") for text in quoted()}


@reliability(
    "formula injection into spreadsheets",
    "every text answer of 40 submissions (law-change summaries and sources, member codes, "
    'some countries) and the register\'s names and contacts are payloads: =HYPERLINK("…"), '
    "+1+1, -2+3, @SUM(1), =cmd|' /C calc'!A0, tab and CR then =1",
    "packs of every region in xlsx, csv and html, public and internal (--include-sensitive), "
    "and every CSV of the CLI: no formula cell, no field starting = + - @ tab CR (each "
    "prefixed with '), numbers stay numeric; the HTML shows the text as typed",
)
def test_no_payload_becomes_a_formula_in_any_spreadsheet(
    sandbox: SandboxServer, client: KoboClient, tmp_path: Path
) -> None:
    db = tmp_path / "nswp.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    uid = deploy_form(client, engine, SURVEY_FORM, odk_validate=False).asset_uid
    engine.dispose()
    for xml in hostile_instances(client, uid):
        assert client.openrosa.submit(xml).created
    config = tmp_path / "nswp.toml"
    config.write_text(
        f'[kobo]\nurl = "{sandbox.url}"\nasset_uids = ["{uid}"]\n'
        f'[database]\nurl = "sqlite:///{db}"\n',
        encoding="utf-8",
    )
    runner = CliRunner(env={"NSWP_KOBO_TOKEN": sandbox.token})

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--config", str(config), *args])
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    run("members", "import", str(register_file(tmp_path / "register.csv")))
    run("sync")
    tiers = {"public": (), "internal": ("--include-sensitive",)}
    for tier, flags in tiers.items():
        out = tmp_path / tier
        run("export", "--region", "all", "--year", "2025", "--format", "xlsx,csv,html",
            "--out", str(out), *flags)  # fmt: skip
        books = sorted(out.rglob("*.xlsx"))
        csvs = sorted(out.rglob("*.csv"))
        reports = sorted(out.rglob("*.html"))
        assert len(books) == len(reports) == 9 and len(csvs) > 9 * 10, tier
        sheets = [assert_no_formula_cell(p) for p in books]
        cells = {text for book in sheets for texts in book.values() for text in texts}
        fields = set().union(*(assert_no_formula_field(raw_text(p), p.name) for p in csvs))
        # the payloads did reach the packs: as law-change sources and as country names
        assert quoted_in_xlsx() <= cells and quoted() <= fields, tier
        if tier == "internal":  # and into the row-level sheets: summaries, member codes
            rows = {text for book in sheets for name, texts in book.items()
                    if name.startswith("responses") for text in texts}  # fmt: skip
            assert quoted_in_xlsx() <= rows
        html = "".join(raw_text(p) for p in reports)
        for payload in PAYLOADS:
            assert escape(payload) in html, (tier, payload)
            assert escape("'" + payload) not in html, (tier, payload)
        # numbers stay numbers
        cover = openpyxl.load_workbook(books[0])["cover"]
        counts = {row[0].value: row[1] for row in cover.iter_rows(min_row=2)}
        assert counts["responses"].data_type == "n" and counts["responses"].value > 0

    indicators = run("indicators", "--year", "2025", "--by", "country", "--format", "csv")
    labels = assert_no_formula_field(indicators, "indicators --format csv")
    assert quoted() <= labels  # the countries that are payloads, as labels
    members = run("members", "list", "--include-sensitive", "--format", "csv")
    fields = assert_no_formula_field(members, "members list --format csv")
    # the register keeps a name without its surrounding blanks
    assert {"'" + p.strip() for p in PAYLOADS} <= fields
    assert {"'@" + p for p in PAYLOADS} <= fields
    for args in (("coverage", "--year", "2025"), ("coverage", "--year", "2025", "--pending")):
        assert_no_formula_field(run(*args, "--format", "csv"), " ".join(args))
