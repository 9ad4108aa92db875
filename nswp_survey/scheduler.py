"""Scheduled syncs with APScheduler: interval or cron from the configuration.

Missed runs are coalesced into one, a run never overlaps the previous one (max_instances=1,
and the database lock guards against a manual sync too), each run is logged, and SIGTERM or
Ctrl-C stops the scheduler once the running sync has finished. (Killing it harder is safe
too: every committed page stays, and the next run resumes from there.)
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from nswp_survey.config import SyncSettings
from nswp_survey.errors import NswpError

log = logging.getLogger(__name__)

JOB_ID = "nswp-sync"


def make_trigger(settings: SyncSettings) -> CronTrigger | IntervalTrigger:
    """The cron expression when set (UTC; SyncSettings checked it), else every
    `interval_minutes`."""
    if settings.cron:
        return CronTrigger.from_crontab(settings.cron, timezone="UTC")
    return IntervalTrigger(minutes=settings.interval_minutes, timezone="UTC")


def run_logged(job: Callable[[], list[str]]) -> None:
    """Run one sync; a failure is logged and the schedule goes on."""
    try:
        for line in job():
            log.info("sync ok: %s", line)
    except NswpError as err:
        log.error("sync failed: %s", err)


def make_scheduler(settings: SyncSettings, job: Callable[[], list[str]]) -> BlockingScheduler:
    """A scheduler with the one sync job, run once at start and then on the trigger."""
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        run_logged,
        trigger=make_trigger(settings),
        args=[job],
        id=JOB_ID,
        name="sync all configured forms",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    return scheduler


def run_scheduler(scheduler: BlockingScheduler) -> None:
    """Block until SIGTERM/SIGINT, then shut down after the running job."""

    def stop(signum: int, frame: FrameType | None) -> None:
        log.warning("received signal %d: stopping the scheduler", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
