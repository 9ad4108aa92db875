"""The `nswp-survey` command: reads configuration, calls one service function, reports.

`app.py` holds the group, the global options and the error handling; each other module adds
the commands of one area. A module here only composes: the work is in the services.

Exit codes (cron and systemd can tell failures apart):
  0 ok · 1 other error · 2 usage or configuration · 3 Kobo server · 4 form invalid ·
  5 sync incomplete · 6 database unavailable · 130 interrupted
"""

from nswp_survey.cli import (  # noqa: F401
    assets,
    config,
    demo,
    deploy,
    doctor,
    export,
    forms,
    indicators,
    members,
    sandbox,
    sync,
)
from nswp_survey.cli.app import cli

__all__ = ["cli"]
