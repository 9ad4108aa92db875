"""The end-to-end demo: a local Kobo sandbox, the demo form, simulated members, pulled back.

Everything runs on this machine: the sandbox listens on 127.0.0.1 only, and its data lives
in memory and disappears when the demo ends.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import select

from nswp_survey.config import KoboSettings
from nswp_survey.errors import NswpError
from nswp_survey.forms.xform import XFormTemplate, build_instance, load_xform
from nswp_survey.kobo import KoboClient
from nswp_survey.progress import ProgressFactory, no_progress
from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import make_engine, migrate, session_scope
from nswp_survey.store.models import Answer, RepeatRow
from nswp_survey.store.models import Submission as StoredSubmission
from nswp_survey.sync import SyncOptions, SyncResult, sync_forms

DEFAULT_FORM = Path(__file__).resolve().parent.parent / "forms" / "demo_pulse.xlsx"
DEFAULT_DATABASE = Path("data/nswp-survey-demo.db")

# A few countries per NSWP region (ISO 3166 alpha-3), for plausible synthetic members.
REGION_COUNTRIES: dict[str, tuple[str, ...]] = {
    "africa": ("KEN", "ZAF", "NGA", "UGA", "ZWE", "SEN"),
    "asia_pacific": ("THA", "IND", "IDN", "PHL", "KHM", "NZL"),
    "europe": ("DEU", "FRA", "ESP", "KGZ", "RUS", "GBR"),
    "lac": ("ARG", "BRA", "COL", "MEX", "PER", "ECU"),
    "nac": ("CAN", "USA", "JAM", "GUY", "DOM", "TTO"),
}
LAW_AREAS = ("criminal", "health", "labour", "migration", "other")
DIRECTIONS = ("positive", "negative", "mixed")

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    """What the demo did, for the CLI to report."""

    server_url: str
    asset_uid: str
    version_uid: str | None
    posted: int
    database: str
    first_sync: SyncResult
    second_sync: SyncResult
    stored: int
    by_region: dict[str, int] = field(default_factory=dict)
    law_changes: int = 0
    seconds: float = 0.0


def demo_answers(rng: random.Random, index: int) -> dict[str, object]:
    """Plausible answers of one member organisation to the demo form."""
    region = rng.choice(sorted(REGION_COUNTRIES))
    if rng.random() < 0.03:
        return {"consent": "no"}
    changes = [
        {"law_area": rng.choice(LAW_AREAS), "law_direction": rng.choice(DIRECTIONS)}
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))
    ]
    return {
        "consent": "yes",
        "member_code": f"{region[:3].upper()}-{index % 1000:03d}",
        "org/region": region,
        "org/country": rng.choice(REGION_COUNTRIES[region]),
        "org/sw_led": "yes" if rng.random() < 0.85 else "no",
        "org/leaders_mentored": str(rng.randint(0, 25)),
        "law_changes": changes,
    }


def run_demo(
    *,
    submissions: int = 300,
    seed: int = 2026,
    database: Path = DEFAULT_DATABASE,
    form_path: Path = DEFAULT_FORM,
    on_step: Step | None = None,
    progress: ProgressFactory = no_progress,
) -> DemoResult:
    """Sandbox -> deploy the demo form -> post members -> sync -> edit, delete -> reconcile."""
    step = on_step or (lambda message: None)
    start = time.perf_counter()
    rng = random.Random(seed)
    database.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    options = SyncOptions(reconcile=False)
    with SandboxServer() as server:
        step(f"Kobo sandbox listening on {server.url}")
        settings = KoboSettings(url=server.url, token=server.token, openrosa_url=server.url)
        with KoboClient(settings) as client:
            asset_uid = client.assets.import_xlsform(form_path, name=form_path.stem)
            client.assets.deploy(asset_uid)
            asset = client.assets.get(asset_uid)
            step(f"Imported and deployed {form_path.name} as asset {asset_uid}")
            form = _served_xform(client, asset_uid)
            sent = _post_members(client, form, submissions, rng, progress)
            step(f"Posted {len(sent)} OpenRosa submissions, as KoboCollect would")
            first = sync_forms(client, engine, [asset_uid], options, progress=progress)[0]
            step(f"Synced into {database}: {first.summary()}")
            _edit_and_delete(client, form, asset_uid, sent, rng)
            step("Edited one submission and deleted another on the server")
            again = replace(options, reconcile=True)
            second = sync_forms(client, engine, [asset_uid], again, progress=progress)[0]
            step(f"Synced again with a reconciliation sweep: {second.summary()}")
    stored, by_region, law_changes = _stored_counts(engine, asset_uid)
    engine.dispose()
    return DemoResult(
        server_url=server.url,
        asset_uid=asset_uid,
        version_uid=asset.deployed_version_id,
        posted=len(sent),
        database=str(database),
        first_sync=first,
        second_sync=second,
        stored=stored,
        by_region=by_region,
        law_changes=law_changes,
        seconds=time.perf_counter() - start,
    )


def _served_xform(client: KoboClient, asset_uid: str) -> XFormTemplate:
    """The XForm as Collect downloads it: from the OpenRosa form list."""
    for entry in client.openrosa.form_list():
        if entry.form_id == asset_uid:
            return load_xform(client.openrosa.download_xform(entry.download_url))
    raise NswpError(f"the server's form list does not offer the deployed asset {asset_uid}")


def _post_members(
    client: KoboClient,
    form: XFormTemplate,
    count: int,
    rng: random.Random,
    progress: ProgressFactory,
) -> dict[str, dict[str, object]]:
    """Post `count` members; returns their answers by instanceID."""
    sent: dict[str, dict[str, object]] = {}
    with progress("Posting submissions", count) as advance:
        for index in range(count):
            instance_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            answers = demo_answers(rng, index)
            client.openrosa.submit(build_instance(form, answers, instance_id=instance_id))
            sent[instance_id] = answers
            advance(1)
    return sent


def _edit_and_delete(
    client: KoboClient,
    form: XFormTemplate,
    asset_uid: str,
    sent: dict[str, dict[str, object]],
    rng: random.Random,
) -> None:
    """Change one member's answer as Enketo would (same record, new instanceID), delete one."""
    first, *rest = client.submissions.iter_submissions(asset_uid, page_size=2)
    answers = {**sent[first.root_uuid or ""], "org/leaders_mentored": "42"}
    new_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    client.openrosa.submit(
        build_instance(form, answers, instance_id=new_id, deprecated_id=first.instance_id)
    )
    if rest:
        client.submissions.delete(asset_uid, rest[0].id)


def _stored_counts(engine: Engine, asset_uid: str) -> tuple[int, dict[str, int], int]:
    """Live submissions, their regions and law changes, read back from the database."""
    sub, answer, repeat = StoredSubmission, Answer, RepeatRow
    live = (sub.asset_uid == asset_uid) & sub.deleted_at.is_(None)  # type: ignore[union-attr]
    with session_scope(engine) as session:
        stored = session.exec(select(func.count()).select_from(sub).where(live)).one()
        regions = session.exec(
            select(answer.value, func.count())
            .join(sub, answer.submission_id == sub.id)
            .where(live, answer.path == "org/region")
            .group_by(answer.value)
        ).all()
        changes = session.exec(
            select(func.count())
            .select_from(repeat)
            .join(sub, repeat.submission_id == sub.id)
            .where(live, repeat.path == "law_changes")
        ).one()
    return stored, {str(region): n for region, n in sorted(regions)}, changes
