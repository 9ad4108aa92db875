"""Which stored forms a reading command counts: one server's, URLs compared normalised."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from nswp_survey.errors import ConfigError
from nswp_survey.store import (
    FormScope,
    deployed_asset_uids,
    forms_of_server,
    load_latest_content,
    normalize_server_url,
    record_form_version,
    scoped_asset_uids,
    transaction,
    upsert_form,
)

from .conftest import ASSET  # stored by the `engine` fixture, on http://127.0.0.1

REAL = "https://kf.kobotoolbox.org"


@pytest.mark.parametrize(
    ("spelling", "normal"),
    [
        ("https://kf.kobotoolbox.org/", REAL),
        ("HTTPS://KF.KoboToolbox.org", REAL),
        ("https://kf.kobotoolbox.org:443", REAL),
        (" https://user@kf.kobotoolbox.org// ", REAL),
        ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("https://kobo.example.org:8443/kpi/", "https://kobo.example.org:8443/kpi"),
        ("http://[::1]:8765/", "http://[::1]:8765"),
        ("", ""),
    ],
)
def test_one_server_has_one_spelling(spelling: str, normal: str) -> None:
    assert normalize_server_url(spelling) == normal


def test_other_ports_paths_and_schemes_are_other_servers() -> None:
    spellings = ["http://127.0.0.1:8765", "http://127.0.0.1:8766", "https://127.0.0.1:8765"]
    spellings += ["http://localhost:8765", "https://kobo.example.org/a", "https://kobo.example.org"]
    assert len({normalize_server_url(url) for url in spellings}) == len(spellings)


def add_forms(engine: Engine, *forms: tuple[str, str]) -> None:
    with transaction(engine) as conn:
        for uid, url in forms:
            upsert_form(conn, uid, name=uid, server_url=url)


def scoped(engine: Engine, scope: FormScope) -> list[str]:
    with transaction(engine) as conn:
        return scoped_asset_uids(conn, scope)


def test_forms_of_one_server_need_no_choice(engine: Engine) -> None:
    add_forms(engine, ("aSecond", "http://127.0.0.1/"))
    assert scoped(engine, FormScope()) == ["aSecond", ASSET]
    with transaction(engine) as conn:
        assert forms_of_server(conn, "HTTP://127.0.0.1:80") == ["aSecond", ASSET]


def test_the_configured_server_leaves_the_others_out(engine: Engine) -> None:
    add_forms(engine, ("aReal", f"{REAL}/"), ("aReal2", "https://KF.kobotoolbox.org"))
    assert scoped(engine, FormScope(REAL)) == ["aReal", "aReal2"]
    assert scoped(engine, FormScope("http://127.0.0.1:80")) == [ASSET]


def test_several_servers_and_no_choice_is_refused(engine: Engine) -> None:
    add_forms(engine, ("aReal", REAL), ("aBare", ""))
    with pytest.raises(ConfigError) as caught:
        scoped(engine, FormScope())
    assert str(caught.value) == (
        "the database holds forms of 3 Kobo servers, (no server recorded) (1 form), "
        "http://127.0.0.1 (1 form), https://kf.kobotoolbox.org (1 form), and the configuration "
        "does not say which to count: pass --server URL (or --asset UID), or set kobo.url in "
        "the configuration"
    )


def test_a_server_with_no_form_stored_is_refused_when_others_are(engine: Engine) -> None:
    with pytest.raises(ConfigError) as caught:
        scoped(engine, FormScope(REAL, server_from="--server"))
    assert str(caught.value) == (
        "the database holds no form of --server https://kf.kobotoolbox.org, only of "
        "http://127.0.0.1 (1 form): run nswp-survey sync first, or pass --server URL "
        "(or --asset UID) to count the forms of another server"
    )


def test_an_empty_database_reads_nothing(blank_engine: Engine) -> None:
    from nswp_survey.store import migrate

    migrate(blank_engine)
    assert scoped(blank_engine, FormScope(REAL)) == []
    assert scoped(blank_engine, FormScope()) == []


def test_named_forms_must_be_stored_and_of_the_named_server(engine: Engine) -> None:
    add_forms(engine, ("aReal", REAL))
    assert scoped(engine, FormScope(None, ("aReal", ASSET, "aReal"))) == ["aReal", ASSET]
    assert scoped(engine, FormScope(f"{REAL}:443", ("aReal",))) == ["aReal"]
    with pytest.raises(ConfigError, match=r"^--asset: no form aNope in the database \(known: "):
        scoped(engine, FormScope(None, ("aNope",), assets_from="--asset"))
    with pytest.raises(ConfigError) as caught:
        scoped(engine, FormScope(REAL, ("aReal", ASSET)))
    assert str(caught.value) == (
        f"kobo.asset_uids: form {ASSET} was stored from http://127.0.0.1, not from kobo.url "
        "https://kf.kobotoolbox.org: name the forms of one server"
    )


def test_deployed_forms_of_a_server_are_found_whatever_its_spelling(engine: Engine) -> None:
    add_forms(engine, ("aReal", REAL))
    with transaction(engine) as conn:
        record_form_version(conn, "aReal", "v1", workbook_hash="0" * 64)
        record_form_version(conn, ASSET, "v1", workbook_hash="1" * 64)
    with transaction(engine) as conn:
        assert deployed_asset_uids(conn, "https://KF.kobotoolbox.org:443/") == ["aReal"]


def test_the_latest_content_is_that_of_the_scoped_forms(engine: Engine) -> None:
    add_forms(engine, ("aReal", REAL))
    with transaction(engine) as conn:
        record_form_version(conn, ASSET, "vPractice", content={"survey": ["practice"]})
        record_form_version(conn, "aReal", "vReal", content={"survey": ["real"]})
        record_form_version(conn, "aReal", "vNoContent")
    with transaction(engine) as conn:
        assert load_latest_content(conn) == ("aReal", {"survey": ["real"]})
        assert load_latest_content(conn, [ASSET]) == (ASSET, {"survey": ["practice"]})
        assert load_latest_content(conn, []) is None
