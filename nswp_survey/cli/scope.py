"""Which stored forms `coverage`, `indicators` and `export` count: `--server`, `--asset`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from nswp_survey.config import Settings


def scope_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--server URL` and `--asset UID`: which stored forms a reading command counts."""
    command = click.option(
        "--asset", "assets_", multiple=True, help="Count only this form (asset uid; repeatable)."
    )(command)
    return click.option(
        "--server",
        "server_url",
        metavar="URL",
        help="Count only the forms of this Kobo server (default: kobo.url; needed when the "
        "database holds forms of several servers and the configuration names none).",
    )(command)


def forms_to_read(
    settings: Settings, engine: Any, server_url: str | None, assets: Sequence[str]
) -> list[str]:
    """The stored forms a reading command counts (store/scope.py): --asset, else --server,
    else kobo.asset_uids / kobo.url. A kobo.url the configuration does not set names no
    server: the default is the hosted server's address, not a choice the user made."""
    from nswp_survey.store import FormScope, scoped_asset_uids

    if assets:
        scope = FormScope(server_url, tuple(assets), server_from="--server", assets_from="--asset")
    elif server_url:
        scope = FormScope(server_url, server_from="--server")
    else:
        named = settings.kobo.url if "kobo.url" in settings.configured else None
        scope = FormScope(named, settings.kobo.asset_uids)
    with engine.connect() as conn:  # a read: no write lock to wait for while a sync runs
        return scoped_asset_uids(conn, scope)
