"""Forms and form versions: recorded idempotently, completed later, content kept for labels."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import select

from nswp_survey.store import (
    load_form_content,
    load_form_versions,
    record_form_version,
    session_scope,
    transaction,
    upsert_form,
)
from nswp_survey.store.models import Form

T1 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONTENT = {"survey": [{"type": "text", "name": "org", "label": ["Organisation", "Organización"]}]}


def test_a_form_keeps_when_it_was_first_seen(engine: Engine) -> None:
    with transaction(engine) as conn:
        upsert_form(conn, "aForm", name="Survey 2026", server_url="https://kf.example", now=T1)
    with transaction(engine) as conn:
        upsert_form(conn, "aForm", name="Survey 2026 (v2)", server_url="https://kf.example", now=T2)
    with session_scope(engine) as session:
        form = session.exec(select(Form).where(Form.asset_uid == "aForm")).one()
    assert (form.name, form.first_seen_at, form.last_seen_at) == ("Survey 2026 (v2)", T1, T2)


def test_a_version_listed_first_is_completed_by_its_detail(engine: Engine, asset: str) -> None:
    with transaction(engine) as conn:
        record_form_version(conn, asset, "vOne", version_number="1", date_deployed=T1, now=T1)
        record_form_version(conn, asset, "vDraft", version_number="1.1", now=T1)
        record_form_version(conn, asset, "vTwo", version_number="2", date_deployed=T2, now=T2)
    with transaction(engine) as conn:
        assert load_form_content(conn, asset, "vOne") is None
        record_form_version(conn, asset, "vOne", content_hash="abc", content=CONTENT, now=T2)
    with engine.connect() as conn:
        assert load_form_content(conn, asset, "vOne") == CONTENT
        assert load_form_content(conn, asset, "vUnknown") is None
        versions = load_form_versions(conn, asset)
    assert [(v.version_uid, v.date_deployed) for v in versions] == [
        ("vTwo", T2),
        ("vOne", T1),  # the completing call left date_deployed and recorded_at as they were
        ("vDraft", None),
    ]
    assert (versions[1].version_number, versions[1].content_hash, versions[1].recorded_at) == (
        "1",
        "abc",
        T1,
    )
