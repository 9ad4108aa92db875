"""The `nswp-survey` group: global options, the app context, errors -> exit codes.

Exit codes (cron and systemd can tell failures apart):
  0 ok · 1 other error · 2 usage or configuration · 3 Kobo server · 4 form invalid ·
  5 sync incomplete · 6 database unavailable · 130 interrupted
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

import click
from rich.markup import escape

from nswp_survey import __version__
from nswp_survey.config import Settings, load_settings
from nswp_survey.console import (
    configure_logging,
    err_console,
)
from nswp_survey.errors import ConfigError, NswpError, StoreError
from nswp_survey.export.withhold import check_withheld_countries

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass
class AppContext:
    """What every command needs: where the config lives and how loud to be."""

    config_path: str | None
    verbosity: int

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    def settings(self) -> Settings:
        """The configuration, checked also against what the lower layer cannot see (the
        survey form's countries); every command reads it here, `doctor` the same way."""
        settings = load_settings(self.config_path)
        check_withheld_countries(settings.export.withhold_countries, source=settings.source)
        return settings


pass_app = click.make_pass_decorator(AppContext)
# NSWP's surveys began long after 1990; a year outside this is a typo (and year 0 crashes
# the date arithmetic).
SURVEY_YEAR = click.IntRange(1990, 2100)


class NswpGroup(click.Group):
    """Turns every expected error into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NswpError as err:
            _fail(ctx, err)
        except KeyboardInterrupt:
            err_console.print("interrupted")
            ctx.exit(130)
        except Exception as err:
            # A database that goes away in the middle of a command (a server restart): one
            # line too. Imported only here, so that `--help` does not load SQLAlchemy.
            from sqlalchemy.exc import DBAPIError

            if not isinstance(err, DBAPIError):
                raise
            from nswp_survey.store import database_error

            _fail(ctx, database_error(err))


def _fail(ctx: click.Context, err: NswpError) -> None:
    # escaped: the message quotes the user's own text, and "[notes]" is not markup
    err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False, soft_wrap=True)
    for problem in getattr(err, "problems", []):
        err_console.print(f"  {escape(str(problem))}", highlight=False, soft_wrap=True)
    ctx.exit(err.exit_code)


@click.group(cls=NswpGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="NSWP_CONFIG",
    help="Configuration file (default: config/nswp-survey.toml if present). Env: NSWP_CONFIG.",
)
@click.option("-v", "--verbose", count=True, help="More detail: -v progress notes, -vv HTTP.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.version_option(__version__, "--version", prog_name="nswp-survey")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """Run NSWP's annual member survey on KoboToolbox and turn it into M&E evidence.

    The API token is read from the environment variable NSWP_KOBO_TOKEN (or from an
    owner-only file named by kobo.token_file) and is never printed.
    """
    verbosity = -1 if quiet else verbose
    configure_logging(verbosity)
    ctx.obj = AppContext(config_path=config_path, verbosity=verbosity)


def stop_on_sigterm() -> None:
    """From now on SIGTERM (systemd, kill) stops the command as Ctrl-C does: what it holds
    is closed or cleaned up, and it exits 130."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def require_token(settings: Settings) -> None:
    if not settings.kobo.token:
        raise ConfigError(
            "no Kobo API token: set NSWP_KOBO_TOKEN, or kobo.token_file in the configuration "
            "(find the token in Kobo under Account settings > Security > API key)"
        )


def open_store(settings: Settings, *, existing: bool = False) -> Any:
    """The configured database, migrated to the current schema (created owner-only).

    `existing` (commands that only read): a SQLite file that is not there is an error; a
    mistyped path would otherwise make a new, empty database and print empty answers.
    """
    from nswp_survey.store import make_engine, migrate
    from nswp_survey.store.db import normalize_url, sqlite_path

    url = normalize_url(settings.database.url) if existing else None
    path = sqlite_path(url) if url is not None and url.get_backend_name() == "sqlite" else None
    if path is not None and not path.expanduser().exists():
        raise StoreError(
            f"there is no database at {path}: run nswp-survey sync (or nswp-survey demo) "
            "first, or check database.url"
        )
    engine = make_engine(settings.database.url)
    migrate(engine)
    return engine


def forms_on_server(settings: Settings, engine: Any, named: Sequence[str] = ()) -> list[str]:
    """The forms a command works on: those named (`--asset`), else kobo.asset_uids, else
    the forms `nswp-survey deploy` put on this server (newest first)."""
    if named:
        return list(named)
    if settings.kobo.asset_uids:
        return list(settings.kobo.asset_uids)
    from nswp_survey.store import deployed_asset_uids, transaction

    with transaction(engine) as conn:
        return deployed_asset_uids(conn, settings.kobo.url)
