"""Field kinds and labels from a stored form version (KPI content) and from the XLSForm."""

from __future__ import annotations

from pathlib import Path

import pytest

from nswp_survey.errors import IndicatorError
from nswp_survey.indicators import load_form_schema, schema_from_content
from nswp_survey.indicators.load import load_schema
from nswp_survey.store import make_engine, migrate, record_form_version, transaction, upsert_form

CONTENT = {
    "translations": ["English (en)", "French (fr)"],
    "translated": ["label"],
    "survey": [
        {"type": "begin_group", "name": "b_profile", "label": ["Profile", "Profil"]},
        {"type": "select_one", "select_from_list_name": "region", "$autoname": "region",
         "label": ["Region", "Région"]},
        {"type": "end_group"},
        {"type": "integer", "name": "forums_nat", "label": ["National forums", "Forums"]},
    ],
    "choices": [
        {"list_name": "region", "name": "africa", "label": ["Africa", "Afrique"]},
        {"list_name": "region", "$autovalue": "lac", "label": ["Latin America", None]},
    ],
}  # fmt: skip


def test_schema_from_kpi_content() -> None:
    schema = schema_from_content(CONTENT)
    assert schema.fields["region"].path == "b_profile/region"
    assert (schema.fields["region"].kind, schema.fields["region"].list_name) == (
        "select_one",
        "region",
    )
    assert schema.choice_label("region", "africa", "fr") == "Afrique"
    assert schema.choice_label("region", "lac", "fr") == "Latin America"  # falls back to English
    assert schema.question("forums_nat", "fr") == "Forums"


def test_labels_come_from_the_newest_stored_version(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nswp.db'}")
    migrate(engine)
    with transaction(engine) as conn:
        upsert_form(conn, "aForm")
        record_form_version(conn, "aForm", "v1", content=CONTENT)
    schema = load_schema(engine)
    assert schema is not None and schema.source == "store:aForm"
    assert schema.choice_label("region", "africa", "fr") == "Afrique"
    engine.dispose()


def test_unreadable_form_is_an_indicator_error(tmp_path: Path) -> None:
    bad = tmp_path / "form.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(IndicatorError, match="cannot read the form"):
        load_form_schema(bad)
