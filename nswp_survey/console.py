"""Terminal output for the CLI: logging set-up, progress bars and tables (rich, on stderr).

Only `cli.py` uses this module. Progress is drawn only when stderr is a terminal and the
user did not ask for --quiet; the scheduler never draws.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from nswp_survey.errors import redact_text

err_console = Console(stderr=True)
# Piped or redirected output is read whole later: no 80-column cut of tables there.
out_console = Console(width=None if sys.stdout.isatty() else 160)

Advance = Callable[[int], None]
ISO_TIME = "%Y-%m-%dT%H:%M:%S%z"  # local time with its UTC offset
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Mask anything token-like in every record, as a last line of defence."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        return True


def configure_logging(verbosity: int) -> None:
    """-q -> errors only, default -> warnings, -v -> info, -vv -> debug (with HTTP).

    On a terminal, rich's columns; otherwise (the scheduler under systemd or cron, a file)
    one line per record, as log tools expect. Times are ISO 8601 either way.
    """
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler: logging.Handler
    if sys.stderr.isatty():
        handler = RichHandler(
            console=err_console, show_path=False, rich_tracebacks=False, log_time_format=ISO_TIME
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LINE_FORMAT, datefmt=ISO_TIME))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if verbosity < 2:
        logging.getLogger("urllib3").setLevel(logging.WARNING)


def progress_enabled(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: int | None, *, enabled: bool) -> Iterator[Advance]:
    """Yield an `advance(n)` callback; draws a bar on stderr when `enabled`."""
    if not enabled:
        yield lambda n: None
        return
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
