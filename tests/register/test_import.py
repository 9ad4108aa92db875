"""Register import: validation by row, all or nothing, re-import with joins and leavings."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from nswp_survey.errors import RegisterError
from nswp_survey.register import (
    SAMPLE_REGISTER,
    import_register,
    load_register,
    load_sample_register,
    member_counts,
)
from nswp_survey.register.file import REQUIRED_COLUMNS
from nswp_survey.store import load_member_events, load_members, transaction

from .conftest import HEADER

JAN = date(2026, 1, 15)
KE = "KE-0001,africa,KEN,full,aswa,2010-05-12,,en,yes,Fictitious Collective A,a@example.org"
NG = "NG-0002,africa,NGA,associate,,2025-06-01,,fr,yes,,"
FR = "FR-0201,europe,FRA,full,eswa swan,2012-04-22,,fr,yes,,"


def members(engine: Engine) -> dict[str, Any]:
    with transaction(engine) as conn:
        return {m.code: m for m in load_members(conn)}


def events(engine: Engine, code: str) -> list[tuple[str, date, str | None]]:
    with transaction(engine) as conn:
        return [(e.event, e.event_date, e.details) for e in load_member_events(conn, code)]


def test_import_adds_members_with_a_joined_event(engine: Engine, register_csv: Any) -> None:
    result = import_register(engine, register_csv(KE, NG, FR), as_of=JAN)
    assert (result.rows, result.added, result.left) == (3, 3, 0)
    stored = members(engine)
    assert stored["FR-0201"].regional_network == "eswa swan"
    assert stored["NG-0002"].join_date == date(2025, 6, 1)
    assert stored["NG-0002"].org_name is None
    assert stored["KE-0001"].active and stored["KE-0001"].left_date is None
    assert events(engine, "NG-0002") == [("joined", date(2025, 6, 1), None)]


def test_reimport_updates_in_place_and_keeps_history(engine: Engine, register_csv: Any) -> None:
    import_register(engine, register_csv(KE, NG, FR), as_of=JAN)
    # March: NG-0002 is gone, FR-0201 moved to Spanish, KE-0001 unchanged.
    fr_es = FR.replace(",fr,yes", ",es,yes")
    result = import_register(engine, register_csv(KE, fr_es), as_of=date(2026, 3, 1))
    assert (result.unchanged, result.changed, result.left, result.added) == (1, 1, 1, 0)
    stored = members(engine)
    assert not stored["NG-0002"].active
    assert stored["NG-0002"].left_date == date(2026, 3, 1)
    assert stored["FR-0201"].preferred_language == "es"
    assert events(engine, "NG-0002")[-1] == ("left", date(2026, 3, 1), "not in the register file")
    assert events(engine, "FR-0201")[-1] == (
        "changed",
        date(2026, 3, 1),
        "changed: preferred_language",
    )
    # May: NG-0002 is back with a new join date after it left: it rejoined.
    ng_back = NG.replace("2025-06-01", "2026-05-02")
    result = import_register(engine, register_csv(KE, ng_back, fr_es), as_of=date(2026, 5, 10))
    assert (result.rejoined, result.unchanged) == (1, 2)
    ng = members(engine)["NG-0002"]
    assert ng.active and ng.left_date is None and ng.join_date == date(2026, 5, 2)
    assert [e[:2] for e in events(engine, "NG-0002")] == [
        ("joined", date(2025, 6, 1)),
        ("left", date(2026, 3, 1)),
        ("joined", date(2026, 5, 2)),
    ]
    # Importing the same file again changes nothing and records nothing.
    again = import_register(engine, register_csv(KE, ng_back, fr_es), as_of=date(2026, 5, 11))
    assert (again.unchanged, again.changed) == (3, 0)
    assert len(events(engine, "NG-0002")) == 3


def test_a_member_back_with_its_old_join_date_after_a_year_end_rejoins_on_the_import_date(
    engine: Engine, register_csv: Any
) -> None:
    import_register(engine, register_csv(KE, NG), as_of=JAN)
    import_register(engine, register_csv(KE), as_of=date(2026, 2, 1))
    import_register(engine, register_csv(KE, NG), as_of=date(2027, 1, 10))
    # Not a member on 31 Dec 2026 (MEM-01), so a new member of 2027 (MEM-02).
    assert members(engine)["NG-0002"].join_date == date(2027, 1, 10)
    assert member_counts(engine, 2027).joined == 1


def test_a_member_back_within_the_year_it_left_keeps_its_join_date(
    engine: Engine, register_csv: Any
) -> None:
    import_register(engine, register_csv(KE, NG), as_of=JAN)
    import_register(engine, register_csv(KE), as_of=date(2026, 2, 1))
    result = import_register(engine, register_csv(KE, NG), as_of=date(2026, 4, 1))
    assert result.rejoined == 1
    ng = members(engine)["NG-0002"]
    assert (ng.active, ng.left_date, ng.join_date) == (True, None, date(2025, 6, 1))
    # Counted on 31 Dec 2025 and 2026 alike: no new member in 2026.
    assert member_counts(engine, 2026).joined == 0
    assert events(engine, "NG-0002")[1:] == [
        ("left", date(2026, 2, 1), "not in the register file"),
        (
            "joined",
            date(2026, 4, 1),
            "active again in the register file, in the year it left: join date kept",
        ),
    ]


def test_inactive_rows_leave_on_their_left_date(engine: Engine, register_csv: Any) -> None:
    import_register(engine, register_csv(KE, NG), as_of=JAN)
    ng_left = NG.replace(",,fr,yes", ",2025-11-30,fr,no")
    result = import_register(engine, register_csv(KE, ng_left), as_of=date(2026, 2, 1))
    assert result.left == 1
    assert members(engine)["NG-0002"].left_date == date(2025, 11, 30)
    assert events(engine, "NG-0002")[-1][:2] == ("left", date(2025, 11, 30))


def test_bad_rows_are_reported_by_row_number_and_nothing_is_imported(
    engine: Engine, register_csv: Any
) -> None:
    import_register(engine, register_csv(KE), as_of=JAN)
    path = register_csv(
        NG,  # row 2: fine
        "ZA-0003,mars,ZAF,full,,2011-01-01,,en,yes,,",  # row 3
        "",  # row 4: blank, skipped
        "XX-0004,africa,XYZ,full,,2011-02-30,,en,yes,,",  # row 5
        "NG-0002,africa,NGA,full,,2011-01-01,,en,yes,,",  # row 6: NG-0002 again
        "zz9,nac,USA,gold,,2011-01-01,2012-01-01,pt,yes,,",  # row 7
    )
    with pytest.raises(RegisterError) as caught:
        import_register(engine, path, as_of=JAN)
    err = caught.value
    assert str(err) == "4 row(s) rejected; nothing imported"
    assert err.exit_code == 2
    assert err.problems == [
        'row 3: region "mars" is not one of africa, asia_pacific, europe, lac, nac',
        'row 5: country "XYZ" is not an ISO 3166 alpha-3 code',
        'row 5: join_date "2011-02-30" is not a date (YYYY-MM-DD)',
        "row 6: member code NG-0002 is already on row 2",
        'row 7: member code "zz9" is not like AB-1234',
        'row 7: membership_type "gold" is not one of full, associate, supporting',
        'row 7: preferred_language "pt" is not one of en, fr, es, ru, zh',
        "row 7: an active member has a left_date: clear it or set active to no",
    ]
    assert list(members(engine)) == ["KE-0001"]  # NG-0002 (a good row) was not imported
    assert events(engine, "NG-0002") == []


def test_a_wrong_header_is_rejected(engine: Engine, register_csv: Any) -> None:
    path = register_csv("KE-0001,africa", header="code,region")
    with pytest.raises(RegisterError, match="header row is wrong") as caught:
        import_register(engine, path, as_of=JAN)
    assert 'unknown column "code"' in caught.value.problems  # type: ignore[attr-defined]
    assert "column member_code is missing" in caught.value.problems  # type: ignore[attr-defined]


def test_dry_run_counts_and_writes_nothing(engine: Engine, register_csv: Any) -> None:
    result = import_register(engine, register_csv(KE, NG), as_of=JAN, dry_run=True)
    assert (result.added, result.dry_run) == (2, True)
    assert result.summary().startswith("would import 2 member rows: 2 added")
    assert members(engine) == {}


def test_xlsx_register_with_date_cells(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Member code", "Region", "Country", "Membership type", "Join date"])
    sheet["F1"], sheet["G1"] = "preferred_language", "active"
    sheet.append(["KE-0001", "africa", "ken", "full", date(2010, 5, 12), "en", True])
    sheet.append(["NG-0002", "Africa", "NGA", "associate", "2025-06-01", "fr", "no"])
    book.save(tmp_path / "register.xlsx")
    result = import_register(engine, tmp_path / "register.xlsx", as_of=JAN)
    assert result.added == 2
    stored = members(engine)
    assert stored["KE-0001"].country == "KEN"
    assert stored["KE-0001"].join_date == date(2010, 5, 12)
    assert not stored["NG-0002"].active and stored["NG-0002"].left_date == JAN


def test_a_file_without_org_name_keeps_the_stored_names(engine: Engine, register_csv: Any) -> None:
    import_register(engine, register_csv(KE), as_of=JAN)
    header = "member_code,region,country,membership_type,join_date,preferred_language,active"
    import_register(
        engine, register_csv("KE-0001,africa,KEN,full,2010-05-12,en,yes", header=header)
    )
    assert members(engine)["KE-0001"].org_name == "Fictitious Collective A"
    assert members(engine)["KE-0001"].regional_network == "aswa"


def test_names_and_contacts_are_listed_only_when_asked(engine: Engine, register_csv: Any) -> None:
    import_register(engine, register_csv(KE), as_of=JAN)
    (plain,) = load_register(engine)
    assert "org_name" not in plain and "contact" not in plain
    (full,) = load_register(engine, include_sensitive=True)
    assert full["org_name"] == "Fictitious Collective A"
    assert full["contact"] == "a@example.org"


def test_a_changed_contact_is_recorded_without_its_value(engine: Engine, register_csv: Any) -> None:
    import_register(engine, register_csv(KE), as_of=JAN)
    import_register(engine, register_csv(KE.replace("a@example", "b@example")), as_of=JAN)
    assert events(engine, "KE-0001")[-1] == ("changed", JAN, "changed: contact")


def test_the_sample_register_imports(engine: Engine) -> None:
    rows = SAMPLE_REGISTER.read_text(encoding="utf-8").splitlines()[1:]
    result = load_sample_register(engine, as_of=JAN)
    assert result.added == len(rows) == 28
    counts = member_counts(engine, 2025)
    # 28 rows: 2 inactive (left 2024-12-31 and 2025-08-31) and 1 joining in 2026 -> 25 active.
    assert counts.active == 25
    # Joined in 2025: CM-0005, NP-0105, CO-0305.
    assert counts.joined == 3


NOT_A_WORKBOOK = (
    "it is not an Excel workbook (.xlsx); open it in Excel or LibreOffice and save it as "
    "Excel Workbook (.xlsx) or as CSV UTF-8"
)
DOCX_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def fake_xlsx(path: Path, parts: dict[str, str] | None) -> Path:
    """A file named .xlsx: a ZIP holding `parts`, or (None) plain text that is no ZIP."""
    if parts is None:
        path.write_text(HEADER + "\n", encoding="utf-8")
        return path
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize(
    "parts",
    [
        None,  # a CSV renamed to .xlsx
        {},  # an empty ZIP
        {"word/document.xml": "<document/>"},  # a ZIP without [Content_Types].xml
        {"[Content_Types].xml": DOCX_TYPES, "word/document.xml": "<document/>"},  # a .docx
    ],
    ids=["not-a-zip", "empty-zip", "zip-without-manifest", "docx"],
)
def test_a_file_named_xlsx_that_is_no_workbook_is_refused(
    engine: Engine, tmp_path: Path, parts: dict[str, str] | None
) -> None:
    path = fake_xlsx(tmp_path / "register.xlsx", parts)
    with pytest.raises(RegisterError) as caught:
        import_register(engine, path, as_of=JAN)
    assert str(caught.value) == f"cannot read the register register.xlsx: {NOT_A_WORKBOOK}"
    assert (caught.value.exit_code, caught.value.problems) == (2, [])
    assert members(engine) == {}


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_csv_that_is_not_utf8_names_the_line_and_the_fix(
    engine: Engine, tmp_path: Path, newline: str
) -> None:
    text = newline.join([HEADER, NG, KE.replace("Collective A", "Collectif Été"), FR]) + newline
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(RegisterError) as caught:
        import_register(engine, path, as_of=JAN)
    assert str(caught.value) == (
        "cannot read the register latin1.csv: line 3 is not UTF-8 text (byte 0xc9); "
        'save the file as UTF-8 (in Excel: Save As, "CSV UTF-8")'
    )
    assert caught.value.exit_code == 2
    assert members(engine) == {}


@pytest.mark.parametrize("separator", [";", "\t"], ids=["semicolon", "tab"])
def test_a_csv_separated_by_semicolons_or_tabs_imports(
    engine: Engine, register_csv: Any, separator: str
) -> None:
    # As Excel writes "CSV UTF-8" where the list separator is ";": a BOM, a comma unquoted.
    ke = KE.replace("Fictitious Collective A", "Collective A: Nairobi")
    rows = [row.replace(",", separator).replace(":", ",") for row in (ke, NG)]
    path = register_csv(*rows, header="\ufeff" + HEADER.replace(",", separator))
    result = import_register(engine, path, as_of=JAN)
    assert (result.rows, result.added) == (2, 2)
    stored = members(engine)
    assert stored["KE-0001"].org_name == "Collective A, Nairobi"
    assert stored["KE-0001"].contact == "a@example.org"
    assert stored["NG-0002"].preferred_language == "fr"


def test_a_comma_csv_keeps_semicolons_in_its_values(engine: Engine, register_csv: Any) -> None:
    ke = KE.replace("Fictitious Collective A", "Collective A; Nairobi")
    import_register(engine, register_csv(ke, NG), as_of=JAN)
    assert members(engine)["KE-0001"].org_name == "Collective A; Nairobi"


def test_values_in_columns_without_a_header_are_refused(engine: Engine, register_csv: Any) -> None:
    path = register_csv(
        NG + ",,",  # row 2: empty cells after the last column are fine
        KE + ",paid 2025",  # row 3: one cell too many
        ",,,,,,,,,,,,note",  # row 4: only a value past the last column
        "",  # row 5: blank, skipped
        FR + ",,x",  # row 6
    )
    with pytest.raises(RegisterError) as caught:
        import_register(engine, path, as_of=JAN)
    assert str(caught.value) == "3 row(s) rejected; nothing imported"
    assert caught.value.problems == [
        "row 3: a value in column 12 (L), which has no header",
        "row 4: a value in column 13 (M), which has no header",
        "row 6: a value in column 13 (M), which has no header",
    ]
    assert members(engine) == {}


def test_a_value_under_a_blank_header_cell_is_refused(engine: Engine, register_csv: Any) -> None:
    header = HEADER.replace(",left_date,", ",,")  # a column whose header was deleted
    ke = KE.replace(",2010-05-12,,", ",2010-05-12,see file,")
    with pytest.raises(RegisterError) as caught:  # row 2 (NG) is empty under it: fine
        import_register(engine, register_csv(NG, ke, header=header), as_of=JAN)
    assert caught.value.problems == ["row 3: a value in column 7 (G), which has no header"]
    assert members(engine) == {}


def test_xlsx_values_without_a_header_are_refused(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    columns = [*REQUIRED_COLUMNS[:5], None, *REQUIRED_COLUMNS[5:]]  # F1 is blank
    sheet.append(columns)
    sheet.append(["KE-0001", "africa", "KEN", "full", "2010-05-12", None, "en", "yes"])
    sheet.append(["NG-0002", "africa", "NGA", "full", "2025-06-01", "checked", "fr", "yes"])
    sheet["J4"] = "stray"  # row 4 has nothing else, and J1 has no header
    book.save(tmp_path / "register.xlsx")
    with pytest.raises(RegisterError) as caught:
        import_register(engine, tmp_path / "register.xlsx", as_of=JAN)
    assert caught.value.problems == [
        "row 3: a value in column 6 (F), which has no header",
        "row 4: a value in column 10 (J), which has no header",
    ]
    assert members(engine) == {}
