"""Which stored forms a reading command counts: never the forms of two Kobo servers at once.

One database can hold forms of several servers: the real one, and a sandbox someone practised
on. Indicators, export packs and coverage read only the forms a `FormScope` names:

- `asset_uids` given (`--asset`, `kobo.asset_uids`): those forms; each must be stored, and
  be of `server_url` when that is given too;
- else `server_url` given (`--server`, or `kobo.url` when the configuration sets it): the
  forms of that server, URLs compared normalised (`normalize_server_url`). A database that
  holds none of its forms but forms of other servers is refused: counting nothing would
  make every member look still to answer, counting the others would report practice data;
- else (nothing names a server): every stored form when they are all of one server; forms
  of several servers are refused until the user says which.

A refusal is a ConfigError (exit 2) that names the servers and how to choose.

Example:
    with transaction(engine) as conn:
        uids = scoped_asset_uids(conn, FormScope(server_url="https://kf.kobotoolbox.org"))
    frames = load_frames(engine, catalogue, years=[2025], asset_uids=uids)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection
from sqlmodel import Session

from nswp_survey.errors import ConfigError, redact_url
from nswp_survey.store.forms import forms_by_server, normalize_server_url


@dataclass(frozen=True)
class FormScope:
    """The forms to read (see the module docstring). `server_from` and `assets_from` say
    where the choice came from (`kobo.url`, `--server`, ...), for the messages."""

    server_url: str | None = None
    asset_uids: tuple[str, ...] = ()
    server_from: str = "kobo.url"
    assets_from: str = "kobo.asset_uids"


def scoped_asset_uids(db: Connection | Session, scope: FormScope) -> list[str]:
    """The asset uids of the stored forms `scope` names; ConfigError when it cannot tell."""
    servers = forms_by_server(db)
    server_of = {uid: key for key, forms in servers.items() for uid, _url in forms}
    wanted = normalize_server_url(scope.server_url) if scope.server_url is not None else None
    if scope.asset_uids:
        named = list(dict.fromkeys(scope.asset_uids))
        if unknown := [uid for uid in named if uid not in server_of]:
            raise ConfigError(
                f"{scope.assets_from}: no form {', '.join(unknown)} in the database "
                f"(known: {', '.join(sorted(server_of)) or 'none'}; run nswp-survey sync first)"
            )
        if wanted is not None and (other := [u for u in named if server_of[u] != wanted]):
            raise ConfigError(
                f"{scope.assets_from}: form {other[0]} was stored from "
                f"{_shown(servers[server_of[other[0]]][0][1])}, not from {scope.server_from} "
                f"{_shown(scope.server_url or '')}: name the forms of one server"
            )
        return named
    if wanted is not None:
        if wanted in servers or not servers:
            return [uid for uid, _url in servers.get(wanted, [])]
        raise ConfigError(
            f"the database holds no form of {scope.server_from} {_shown(scope.server_url or '')}"
            f", only of {_listing(servers)}: run nswp-survey sync first, or pass --server URL "
            "(or --asset UID) to count the forms of another server"
        )
    if len(servers) <= 1:
        return list(server_of)
    raise ConfigError(
        f"the database holds forms of {len(servers)} Kobo servers, {_listing(servers)}, and "
        "the configuration does not say which to count: pass --server URL (or --asset UID), "
        "or set kobo.url in the configuration"
    )


def _shown(url: str) -> str:
    return redact_url(url) if url else "(no server recorded)"


def _listing(servers: dict[str, list[tuple[str, str]]]) -> str:
    """`http://127.0.0.1:8765 (2 forms), https://kf.kobotoolbox.org (1 form)`."""
    return ", ".join(
        f"{_shown(forms[0][1])} ({len(forms)} form{'s' if len(forms) != 1 else ''})"
        for forms in servers.values()
    )
