"""`nswp-survey sandbox`: a local Kobo-compatible server."""

from __future__ import annotations

import errno
import ipaddress
import shlex
import socket
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nswp_survey.cli.app import cli
from nswp_survey.errors import ConfigError
from nswp_survey.private import private_database_file, private_dir, write_private_text

if TYPE_CHECKING:
    from nswp_survey.sandbox import Faults, SandboxServer

# The folder the sandbox keeps its token in by default. Only a folder of this name is
# tightened when it already exists: another folder the user names (home, /tmp) is theirs.
SANDBOX_DIR = Path(".nswp-sandbox")
SHARE = click.FloatRange(0, 1)
# How Python's socket module spells all interfaces and broadcast in a (host, port) pair.
_SOCKET_SPELLINGS = {"": socket.INADDR_ANY, "<broadcast>": socket.INADDR_BROADCAST}


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port, 0-65535 (0 picks a free one).",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Keep the sandbox's data in this SQLite file (default: in memory).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    default=str(SANDBOX_DIR / "token"),
    show_default=True,
    help="Where to write the sandbox's API token (owner-only).",
)
@click.option(
    "--latency",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Seconds added to every API answer.",
)
@click.option("--error-rate", type=SHARE, default=0.0, help="Share of answers that are 5xx (0-1).")
@click.option(
    "--throttle-rate", type=SHARE, default=0.0, help="Share of answers that are 429 (0-1)."
)
@click.option(
    "--drop-rate", type=SHARE, default=0.0, help="Share of connections dropped mid-answer (0-1)."
)
@click.option("--seed", type=int, default=None, help="Seed for the fault choices.")
def sandbox(
    host: str,
    port: int,
    db_path: str | None,
    token_file: str,
    latency: float,
    error_rate: float,
    throttle_rate: float,
    drop_rate: float,
    seed: int | None,
) -> None:
    """Run a local Kobo-compatible (KPI API v2) server for trying things out and testing.

    It speaks the same URLs, envelopes and errors as KoboToolbox, takes XLSForm imports,
    deployments and OpenRosa submissions (KoboCollect, Enketo), and can inject faults.
    Listens on 127.0.0.1 by default; stop it with Ctrl-C.
    """
    from nswp_survey.sandbox import Faults

    check_shares(error_rate, throttle_rate, drop_rate)
    faults = Faults(
        latency=latency,
        error_rate=error_rate,
        throttle_rate=throttle_rate,
        drop_rate=drop_rate,
        seed=seed,
    )
    warn_if_reachable(host)
    server = start_server(host, port, db_path, faults)
    try:
        path = write_token(Path(token_file), server.token)
    except ConfigError:
        server.stop()
        raise
    # click.echo, not rich: rich wraps at the terminal width, which would cut the command
    # in the hint in two, and reads [brackets] in a path as markup.
    click.echo(f"Kobo sandbox listening on {server.url}", err=True)
    click.echo(f"API token written to {path} (mode 0600). To use it:", err=True)
    click.echo(
        f"  NSWP_KOBO_TOKEN=$(cat {shlex.quote(str(path))}) nswp-survey ... "
        f'with kobo.url = "{server.url}"',
        err=True,
    )
    server.serve_forever()


def check_shares(error_rate: float, throttle_rate: float, drop_rate: float) -> None:
    """The fault shares are slices of one roll per request, so together they fit in 1."""
    total = error_rate + throttle_rate + drop_rate
    if total > 1 + 1e-9:  # 0.1 + 0.2 + 0.7 is 1.0000000000000002 in floats
        raise ConfigError(
            f"--error-rate, --throttle-rate and --drop-rate add up to {total:g}; "
            "they are shares of the same requests, so together they must be at most 1"
        )


def listen_address(host: str) -> str:
    """The IPv4 address `--host` names, resolved as the server's bind will resolve it."""
    if host in _SOCKET_SPELLINGS:  # bind() takes these without resolving them
        return str(ipaddress.IPv4Address(_SOCKET_SPELLINGS[host]))
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        reason = "not a valid host name"
        if isinstance(err, socket.gaierror):
            reason = (err.strerror or str(err)).lower()
        raise ConfigError(
            f"cannot listen on --host {host}: {reason}; the sandbox listens on IPv4, "
            "so give an IPv4 address of this machine (127.0.0.1 by default) or a name for one"
        ) from err
    return str(infos[0][4][0])


def warn_if_reachable(host: str) -> None:
    """Say so before listening beyond this machine: the sandbox holds a token and data."""
    if ipaddress.ip_address(listen_address(host)).is_loopback:
        return
    click.echo(
        f"warning: --host {host} makes the sandbox reachable from other machines, and it "
        "holds an API token and test data; use --host 127.0.0.1 to keep it on this machine",
        err=True,
    )


def start_server(host: str, port: int, db_path: str | None, faults: Faults) -> SandboxServer:
    """Open the data file and bind the port, turning what the user can fix into ConfigError.

    The data file is made owner-only first, like the store's (the sandbox itself opens it
    with SQLite's defaults: it shares no code with the store).
    """
    from nswp_survey.sandbox import SandboxServer

    try:
        if db_path is not None:
            private_database_file(Path(db_path))
    except OSError as err:
        raise database_error(db_path, err.strerror or str(err)) from err
    try:
        return SandboxServer(db_path=db_path, host=host, port=port, faults=faults)
    except sqlite3.Error as err:
        raise database_error(db_path, str(err)) from err
    except OSError as err:
        raise ConfigError(bind_error_message(host, port, err)) from err


def database_error(db_path: str | None, reason: str) -> ConfigError:
    return ConfigError(
        f"cannot open the sandbox database {db_path}: {reason}; give a writable SQLite file "
        "with --db, or leave --db out to keep the data in memory"
    )


def bind_error_message(host: str, port: int, err: OSError) -> str:
    if err.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another sandbox?): "
            "choose another --port, or 0 for a free one"
        )
    if err.errno == errno.EACCES:
        return (
            f"not allowed to listen on port {port} on {host} (ports below 1024 need root): "
            "choose a --port from 1024 up, or 0 for a free one"
        )
    if err.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on --host {host}: it is not an address of this machine; "
            "use 127.0.0.1, or an address this machine has"
        )
    return f"cannot listen on {host} port {port}: {err.strerror or err}; check --host and --port"


def write_token(path: Path, token: str) -> Path:
    """Write the token owner-only, in a folder that is owner-only when the sandbox made it."""
    try:
        if path.parent.name == SANDBOX_DIR.name:  # its own folder, even if it exists
            private_dir(path.parent)
        return write_private_text(path, token + "\n")
    except OSError as err:
        raise ConfigError(
            f"cannot write the sandbox's token file {path}: {err.strerror or err}; "
            "give a writable path with --token-file"
        ) from err
