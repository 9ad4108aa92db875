"""The end-to-end demo: the annual survey on a local Kobo sandbox, members, sync, coverage.

Everything runs on this machine: the sandbox listens on 127.0.0.1 only and keeps its data in
memory; the demo's database is a SQLite file (owner-only) that is replaced on each run.

1. check and deploy `forms/annual_member_survey.xlsx` to the sandbox (a versioned deploy);
2. import the sample register of fictitious member organisations;
3. most active members answer, as KoboCollect would (OpenRosa XML built from the served
   XForm, following its skip logic and constraints), plus one answer whose member code is not
   in the register;
4. sync into the database;
5. on the server, one submission is deleted and one is marked "not approved"; a second sync
   with a reconciliation sweep picks both up;
6. coverage of the survey year by region, with who has not answered yet;
7. the regional packs (XLSX, CSV and an HTML report; public tier, English) per region.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from nswp_survey.config import KoboSettings
from nswp_survey.deploy import DeployResult, deploy_form
from nswp_survey.export import check_choice
from nswp_survey.export.run import export_packs
from nswp_survey.indicators import load_catalogue
from nswp_survey.kobo import KoboClient
from nswp_survey.progress import ProgressFactory, no_progress
from nswp_survey.register import (
    Coverage,
    ImportResult,
    compute_coverage,
    is_active_on,
    load_sample_register,
)
from nswp_survey.sandbox import SandboxServer
from nswp_survey.simulate import SimulationResult, simulate
from nswp_survey.store import make_engine, migrate, transaction
from nswp_survey.store.members import load_members
from nswp_survey.sync import SyncOptions, SyncResult, sync_forms
from nswp_survey.synthetic import Member

PROJECT = Path(__file__).resolve().parent.parent
SURVEY_FORM = PROJECT / "forms" / "annual_member_survey.xlsx"
CATALOGUE = PROJECT / "config" / "indicators.toml"
DEFAULT_DATABASE = Path("data/nswp-survey-demo.db")
DEFAULT_EXPORTS = Path("data/demo-exports")
ANSWER_SHARE = 0.8  # of active members, in the demo

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    """What the demo did, for the CLI to report."""

    server_url: str
    database: str
    deployed: DeployResult
    register: ImportResult
    simulated: SimulationResult
    first_sync: SyncResult
    second_sync: SyncResult
    coverage: Coverage
    packs: list[Path]
    year: int
    odk_validated: bool
    seconds: float


def run_demo(
    *,
    seed: int = 2026,
    database: Path = DEFAULT_DATABASE,
    exports: Path = DEFAULT_EXPORTS,
    today: date | None = None,
    on_step: Step | None = None,
    progress: ProgressFactory = no_progress,
) -> DemoResult:
    """Run the steps above; `today` fixes the survey year (the year before it)."""
    step = on_step or (lambda message: None)
    started = time.perf_counter()
    today = today or date.today()
    year = today.year - 1
    database.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    odk = shutil.which("java") is not None
    with SandboxServer() as server:
        step(f"Kobo sandbox listening on {server.url}")
        settings = KoboSettings(url=server.url, token=server.token, openrosa_url=server.url)
        with KoboClient(settings) as client:
            deployed = deploy_form(client, engine, SURVEY_FORM, odk_validate=odk)
            step(
                f"Checked {SURVEY_FORM.name} ({'with' if odk else 'without: no Java for'} ODK "
                f"Validate) and deployed it as asset {deployed.asset_uid}, version "
                f"{deployed.form_version}"
            )
            register = load_sample_register(engine, as_of=today)
            step(f"Imported the sample register: {register.summary()}")
            answering = _answering_members(engine, year, random.Random(seed))
            simulated = simulate(
                client,
                deployed.asset_uid,
                len(answering) + 1,  # + one member code that is not in the register
                seed=seed,
                today=today,
                members=answering,
                progress=progress,
            )
            step(f"{simulated.posted} members answered, as KoboCollect would")
            options = SyncOptions(reconcile=False)
            first = sync_forms(client, engine, [deployed.asset_uid], options, progress=progress)
            step(f"Synced into {database}: {first[0].summary()}")
            _delete_and_reject(client, deployed.asset_uid)
            step("On the server: one submission deleted, one marked not approved")
            again = replace(options, reconcile=True)
            second = sync_forms(client, engine, [deployed.asset_uid], again, progress=progress)
            step(f"Synced again with a reconciliation sweep: {second[0].summary()}")
    coverage = compute_coverage(engine, year)
    written = export_packs(
        engine,
        load_catalogue(CATALOGUE),
        year,
        check_choice("all", "en"),
        exports,
        form_fallback=SURVEY_FORM,
    )
    packs = [files[0] for _, files in written if files]
    languages = sorted({pack.lang for pack, _files in written})
    step(
        f"Wrote {len(packs)} regional packs (XLSX, CSV, HTML; public tier; each region in "
        f"its publication languages: {', '.join(languages)}) under {exports}"
    )
    engine.dispose()
    return DemoResult(
        server_url=server.url,
        database=str(database),
        deployed=deployed,
        register=register,
        simulated=simulated,
        first_sync=first[0],
        second_sync=second[0],
        coverage=coverage,
        packs=packs,
        year=year,
        odk_validated=odk,
        seconds=time.perf_counter() - started,
    )


def _answering_members(engine: object, year: int, rng: random.Random) -> list[Member]:
    """Most of the members active at the end of `year`, as the simulator's members."""
    with transaction(engine) as conn:  # type: ignore[arg-type]
        members = load_members(conn)
    active = [m for m in members if is_active_on(m, date(year, 12, 31))]
    chosen = sorted(rng.sample(active, round(len(active) * ANSWER_SHARE)), key=lambda m: m.code)
    return [
        Member(m.region, m.country, m.preferred_language, m.code[:2], code=m.code) for m in chosen
    ]


def _delete_and_reject(client: KoboClient, asset_uid: str) -> None:
    first, second, *_ = client.submissions.iter_submissions(asset_uid, fields=["_id"])
    client.submissions.delete(asset_uid, first.id)
    client.submissions.set_validation_status(asset_uid, second.id, "validation_status_not_approved")
