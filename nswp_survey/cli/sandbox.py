"""`nswp-survey sandbox`: a local Kobo-compatible server."""

from __future__ import annotations

from pathlib import Path

import click

from nswp_survey.cli.app import (
    cli,
    write_private,
)
from nswp_survey.console import err_console


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, help="Port (0 picks a free one).")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="Keep the sandbox's data in this SQLite file (default: in memory).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    default=".nswp-sandbox/token",
    show_default=True,
    help="Where to write the sandbox's API token (owner-only).",
)
@click.option("--latency", default=0.0, help="Seconds added to every API answer.")
@click.option("--error-rate", default=0.0, help="Share of answers that are 5xx (0-1).")
@click.option("--throttle-rate", default=0.0, help="Share of answers that are 429 (0-1).")
@click.option("--drop-rate", default=0.0, help="Share of connections dropped mid-answer (0-1).")
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
    from nswp_survey.sandbox import Faults, SandboxServer

    faults = Faults(
        latency=latency,
        error_rate=error_rate,
        throttle_rate=throttle_rate,
        drop_rate=drop_rate,
        seed=seed,
    )
    server = SandboxServer(db_path=db_path, host=host, port=port, faults=faults)
    path = write_private(Path(token_file), server.token + "\n")
    err_console.print(f"Kobo sandbox listening on {server.url}")
    err_console.print(f"API token written to {path} (mode 0600). To use it:")
    err_console.print(
        f'  NSWP_KOBO_TOKEN=$(cat {path}) nswp-survey ... with kobo.url = "{server.url}"',
        highlight=False,
    )
    server.serve_forever()
