"""The end-to-end demo: a local Kobo sandbox, the demo form, simulated members, pulled back.

Everything runs on this machine: the sandbox listens on 127.0.0.1 only, and its data lives
in memory and disappears when the demo ends.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nswp_survey.config import KoboSettings
from nswp_survey.errors import NswpError
from nswp_survey.forms.xform import XFormTemplate, build_instance, load_xform
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer

DEFAULT_FORM = Path(__file__).resolve().parent.parent / "forms" / "demo_pulse.xlsx"

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
Advance = Callable[[int], None]
ProgressFactory = Callable[[str, int], AbstractContextManager[Advance]]


@contextmanager
def no_progress(description: str, total: int) -> Iterator[Advance]:
    """The default progress reporter: reports nothing."""
    yield lambda n: None


@dataclass(frozen=True)
class DemoResult:
    """What the demo did, for the CLI to report."""

    server_url: str
    asset_uid: str
    version_uid: str | None
    posted: int
    pulled: int
    pages: int
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
    form_path: Path = DEFAULT_FORM,
    on_step: Step | None = None,
    progress: ProgressFactory = no_progress,
) -> DemoResult:
    """Start a sandbox, deploy the demo form, post `submissions` instances, pull them back."""
    step = on_step or (lambda message: None)
    start = time.perf_counter()
    rng = random.Random(seed)
    with SandboxServer() as server:
        step(f"Kobo sandbox listening on {server.url}")
        settings = KoboSettings(url=server.url, token=server.token, openrosa_url=server.url)
        with KoboClient(settings) as client:
            asset_uid = client.assets.import_xlsform(form_path, name=form_path.stem)
            client.assets.deploy(asset_uid)
            asset = client.assets.get(asset_uid)
            step(f"Imported and deployed {form_path.name} as asset {asset_uid}")
            form = _served_xform(client, asset_uid)
            sent_ids = _post_members(client, form, submissions, rng, progress)
            step(f"Posted {len(sent_ids)} OpenRosa submissions, as KoboCollect would")
            pulled, pages, by_region, law_changes = _pull_back(client, asset_uid, sent_ids)
            step(f"Pulled {pulled} submissions back in {pages} page(s) through the API")
    return DemoResult(
        server_url=server.url,
        asset_uid=asset_uid,
        version_uid=asset.deployed_version_id,
        posted=len(sent_ids),
        pulled=pulled,
        pages=pages,
        by_region=dict(sorted(by_region.items())),
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
) -> set[str]:
    sent: set[str] = set()
    with progress("Posting submissions", count) as advance:
        for index in range(count):
            instance_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            xml = build_instance(form, demo_answers(rng, index), instance_id=instance_id)
            client.openrosa.submit(xml)
            sent.add(instance_id)
            advance(1)
    return sent


def _pull_back(
    client: KoboClient, asset_uid: str, sent_ids: set[str]
) -> tuple[int, int, Counter[str], int]:
    seen: set[str] = set()
    by_region: Counter[str] = Counter()
    pages = law_changes = 0
    for page in client.submissions.iter_pages(asset_uid):
        pages += 1
        for sub in page.results:
            if sub.root_uuid in seen:
                raise NswpError(f"submission {sub.root_uuid} came back twice")
            seen.add(sub.root_uuid)
            by_region[str(sub.raw.get("org/region", "(no consent)"))] += 1
            law_changes += len(sub.raw.get("law_changes", []))
    missing = sent_ids - seen
    if missing:
        raise NswpError(f"{len(missing)} posted submissions did not come back from the server")
    return len(seen), pages, by_region, law_changes
