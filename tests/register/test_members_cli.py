"""`nswp-survey members import|list` and `nswp-survey coverage`: exit codes and output."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from nswp_survey.register import SAMPLE_REGISTER
from nswp_survey.store import commit_page, make_engine, migrate, transaction, upsert_form

from .conftest import HEADER

ASSET = "aRegisterCliAsset00000"
SAMPLE_ROW = "KE-0001,africa,KEN,full,,2010-01-01,,en,yes,,"


def test_import_then_coverage_of_the_sample_register(run: Any, make_submission: Any) -> None:
    result = run("members", "import", str(SAMPLE_REGISTER), "--as-of", "2026-01-15")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 28 member rows: 28 added")
    engine = make_engine(run.url)
    migrate(engine)
    with transaction(engine) as conn:
        upsert_form(conn, ASSET, name="survey", server_url="http://127.0.0.1")
    subs = [make_submission(1, "KE-0001"), make_submission(2, "ZZ-9999")]
    commit_page(engine, ASSET, subs, 2)
    engine.dispose()

    data = json.loads(run("coverage", "--year", "2025", "--format", "json").stdout)
    # Sample: 25 active on 31 Dec 2025; KE-0001 answered -> 1 / 25 = 4.0 %.
    assert data["total"] == {
        "region": "all",
        "country": "all",
        "active_members": 25,
        "responded": 1,
        "coverage_pct": 4.0,
    }
    assert [r["code"] for r in data["flagged"]["unknown_code"]] == ["ZZ-9999"]
    assert "KE-0001" not in {p["code"] for p in data["pending"]}

    rows = list(
        csv.DictReader(io.StringIO(run("coverage", "--year", "2025", "--format", "csv").stdout))
    )
    africa = next(r for r in rows if r["level"] == "region" and r["region"] == "africa")
    assert (africa["active_members"], africa["responded"], africa["coverage_pct"]) == (
        "5",
        "1",
        "20.0",
    )

    pending = run("coverage", "--year", "2025", "--pending", "--format", "csv").stdout
    assert pending.splitlines()[0] == "code,region,country,preferred_language"
    assert len(pending.splitlines()) == 1 + 24  # 25 active - 1 answered

    table = run("coverage", "--year", "2025")
    assert table.exit_code == 0
    assert "survey year 2025: 1 of 25 active members answered (4.0%)" in table.stdout
    assert "Fictitious" not in table.stdout


def test_members_list_hides_names_and_contacts_unless_asked(run: Any) -> None:
    run("members", "import", str(SAMPLE_REGISTER))
    plain = run("members", "list", "--format", "csv").stdout
    assert "KE-0001" in plain
    assert "Fictitious" not in plain and "@example.org" not in plain
    full = run("members", "list", "--format", "csv", "--include-sensitive").stdout
    assert "Fictitious Collective 01" in full and "member01@example.org" in full


def test_members_list_csv_quotes_what_a_spreadsheet_would_run(run: Any, register_csv: Any) -> None:
    path = register_csv(
        'KE-0001,africa,KEN,full,,2010-01-01,,en,yes,"=HYPERLINK(""http://x"",""y"")",+1+1',
        "NG-0002,africa,NGA,full,,2010-01-01,,en,yes,@SUM(1),-2+3",
    )
    assert run("members", "import", str(path)).exit_code == 0
    listed = run("members", "list", "--format", "csv", "--include-sensitive").stdout
    rows = list(csv.DictReader(io.StringIO(listed)))
    assert [(r["code"], r["org_name"], r["contact"]) for r in rows] == [
        ("KE-0001", '\'=HYPERLINK("http://x","y")', "'+1+1"),
        ("NG-0002", "'@SUM(1)", "'-2+3"),
    ]


def test_a_rejected_register_exits_2_and_lists_rows(run: Any, register_csv: Any) -> None:
    path = register_csv("KE-0001,africa,XYZ,full,,2010-01-01,,en,yes,,")
    result = run("members", "import", str(path))
    assert result.exit_code == 2
    assert "error: 1 row(s) rejected; nothing imported" in result.stderr
    assert 'row 2: country "XYZ" is not an ISO 3166 alpha-3 code' in result.stderr
    assert "Traceback" not in result.output


def test_dry_run_writes_nothing(run: Any) -> None:
    result = run("members", "import", "--dry-run", str(SAMPLE_REGISTER))
    assert result.exit_code == 0
    assert result.stdout.startswith("would import 28 member rows")
    assert run("members", "list").stdout.strip() == "member register (0 members): none"


def test_a_docx_renamed_to_xlsx_exits_2_with_one_line(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "members.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    result = run("members", "import", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: cannot read the register members.xlsx: it is not an Excel workbook (.xlsx); "
    )
    assert "Traceback" not in result.output and "KeyError" not in result.output


def test_a_latin1_register_exits_2_naming_the_line(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        f"{HEADER}\nKE-0001,africa,KEN,full,,2010-01-01,,fr,yes,Société,\n".encode("latin-1")
    )
    result = run("members", "import", str(path))
    assert result.exit_code == 2
    assert "error: cannot read the register latin1.csv: line 2 is not UTF-8 text" in result.stderr
    assert 'save the file as UTF-8 (in Excel: Save As, "CSV UTF-8")' in result.stderr
    assert "codec" not in result.stderr


def test_a_semicolon_register_imports(run: Any, register_csv: Any) -> None:
    row = "KE-0001;africa;KEN;full;;2010-01-01;;en;yes;;"
    result = run("members", "import", str(register_csv(row, header=HEADER.replace(",", ";"))))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 1 member rows: 1 added")


def test_a_cell_past_the_last_column_exits_2(run: Any, register_csv: Any) -> None:
    result = run("members", "import", str(register_csv(SAMPLE_ROW + ",extra")))
    assert result.exit_code == 2
    assert "error: 1 row(s) rejected; nothing imported" in result.stderr
    assert "  row 2: a value in column 12 (L), which has no header" in result.stderr
    assert run("members", "list").stdout.strip() == "member register (0 members): none"
