"""The same hand-worked year on PostgreSQL gives exactly the SQLite figures."""

from __future__ import annotations

from nswp_survey.indicators import compute_indicators, load_frames

from .conftest import ASSET, store_fixture


def test_postgresql_gives_the_sqlite_figures(postgres_url, engine, catalogue, schema) -> None:
    pg = store_fixture(postgres_url)
    try:
        got = [
            r.as_dict()
            for r in compute_indicators(
                load_frames(pg, catalogue, years=[2025], schema=schema),
                catalogue,
                2025,
                by=("region",),
            )
        ]
    finally:
        pg.dispose()
    frames = load_frames(engine, catalogue, years=[2025], schema=schema)
    expected = [r.as_dict() for r in compute_indicators(frames, catalogue, 2025, by=("region",))]
    assert got == expected


def test_only_the_scoped_forms_are_read_on_postgresql(postgres_url, catalogue, schema) -> None:
    pg = store_fixture(postgres_url)
    try:
        scoped = load_frames(pg, catalogue, years=[2025], schema=schema, asset_uids=[ASSET])
        none = load_frames(pg, catalogue, years=[2025], schema=schema, asset_uids=[])
    finally:
        pg.dispose()
    assert (len(scoped.responses), len(none.responses), len(none.law)) == (5, 0, 0)
    assert scoped.asset_uids == (ASSET,)
