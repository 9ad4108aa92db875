"""A sync process killed with SIGKILL in the middle of its run, then run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from nswp_survey.sandbox import Faults, SandboxServer
from nswp_survey.store import make_engine, migrate, transaction
from nswp_survey.store.models import Submission
from nswp_survey.sync import SyncOptions, sync_forms

from .conftest import Survey, client_for

SUB = Submission.__table__.c


def count_stored(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with transaction(engine) as conn:
            return int(
                conn.execute(select(func.count()).select_from(Submission.__table__)).scalar()
            )
    except SQLAlchemyError:
        return 0  # the killed process had not created the tables yet
    finally:
        engine.dispose()


def test_sync_killed_mid_run_resumes_with_exactly_the_servers_records(
    sandbox: SandboxServer, survey: Survey, database_url: str, tmp_path: Path
) -> None:
    survey.add(300)
    config = tmp_path / "nswp.toml"
    config.write_text(
        f'[kobo]\nurl = "{sandbox.url}"\nasset_uids = ["{survey.asset_uid}"]\npage_size = 10\n'
        f'[database]\nurl = "{database_url}"\n[sync]\nreconcile_every = 0\n',
        encoding="utf-8",
    )
    # Slow answers, so that the kill lands while pages are still being fetched and written.
    sandbox.set_faults(Faults(latency=0.03))
    env = {**os.environ, "NSWP_KOBO_TOKEN": sandbox.token}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nswp_survey", "--config", str(config), "-q", "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while count_stored(database_url) < 40 and proc.poll() is None:
            assert time.monotonic() < deadline, "the sync committed nothing within 60 s"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    partial = count_stored(database_url)
    assert 40 <= partial < 300

    sandbox.set_faults(Faults())
    engine = make_engine(database_url)
    migrate(engine)
    with client_for(sandbox, page_size=10) as client:
        result = sync_forms(client, engine, [survey.asset_uid], SyncOptions(reconcile=False))[0]
    with transaction(engine) as conn:
        ids = list(conn.execute(select(SUB.kobo_id).order_by(SUB.kobo_id)).scalars())
    engine.dispose()
    assert ids == survey.server_ids()
    assert len(ids) == len(set(ids)) == 300
    assert result.new == 300 - partial
