"""Simulate member organisations filling a deployed form and sending it, as KoboCollect does.

The form comes from the server itself (the OpenRosa form list, then the XForm it serves for
the deployed version), so each instance carries the right root element and id,
`formhub/uuid`, `__version__` and a `meta/instanceID`, and a real Kobo server accepts it.
Answers follow the form's logic (`forms.filler`) and who the member is (`synthetic`):
region -> country, the member's language, a unique member code. Same seed and same `today`,
same XML bytes: instanceIDs and timestamps come from the seed, never from the clock.

Example:
    result = simulate(client, "aB5tPkhiBVMKmqPP8TRsGi", 300, seed=7)
    print(result.posted, result.by_region)
"""

from __future__ import annotations

import ipaddress
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from nswp_survey.errors import KoboNotFoundError
from nswp_survey.forms.filler import FormFiller, instance_values
from nswp_survey.forms.questions import FormModel, load_form_model
from nswp_survey.forms.xform import XFormTemplate, build_instance, load_xform
from nswp_survey.kobo import KoboClient
from nswp_survey.progress import ProgressFactory, no_progress
from nswp_survey.synthetic import Member, MemberAnswerer, draw_member

DEFAULT_SEED = 2026


@dataclass(frozen=True)
class ServedForm:
    """The XForm a server serves for an asset: the template to write instances, the logic."""

    asset_uid: str
    xml: str
    template: XFormTemplate
    model: FormModel


@dataclass(frozen=True)
class SimulatedMember:
    """One simulated submission, before it is sent."""

    member: Member
    instance_id: str
    values: dict[str, object]
    xml: bytes

    @property
    def repeat_items(self) -> int:
        return sum(len(v) for v in self.values.values() if isinstance(v, list))


@dataclass(frozen=True)
class SimulationResult:
    """What `simulate` sent; `law_changes` counts repeat iterations (one per change)."""

    asset_uid: str
    version_uid: str | None
    posted: int
    duplicates: int
    law_changes: int
    by_region: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    instance_ids: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Submissions per second."""
        return self.posted / self.seconds if self.seconds else 0.0


def is_local_server(url: str) -> bool:
    """Whether `url` is on this machine (a sandbox), where made-up submissions are harmless."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_served_form(client: KoboClient, asset_uid: str) -> ServedForm:
    """The deployed XForm of `asset_uid`, as Collect downloads it (formList, then the XForm)."""
    for entry in client.openrosa.form_list():
        if entry.form_id == asset_uid:
            xml = client.openrosa.download_xform(entry.download_url)
            return ServedForm(asset_uid, xml, load_xform(xml), load_form_model(xml))
    raise KoboNotFoundError(  # exit 3: the server's side, as a 404 would be
        f"the server's form list does not offer {asset_uid}: deploy it first "
        "(nswp-survey deploy) and check that the token's account may submit to it"
    )


def iter_members(
    form: ServedForm,
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    members: Sequence[Member] = (),
) -> Iterator[SimulatedMember]:
    """`count` simulated members, each with its filled instance; deterministic in `seed`.

    The first ones answer as the given `members` (e.g. from the register: their own code,
    region, country and language); the rest are drawn at random.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)
    filler = FormFiller(form.model, rng, today=today)
    used_codes: set[str] = set()
    for index in range(count):
        member = members[index] if index < len(members) else draw_member(form.model, rng)
        doc = filler.fill(MemberAnswerer(member, rng, used_codes))
        values = instance_values(form.model, doc)
        instance_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        xml = build_instance(form.template, values, instance_id=instance_id)
        yield SimulatedMember(member, instance_id, values, xml)


def simulate(
    client: KoboClient,
    asset_uid: str,
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    members: Sequence[Member] = (),
    progress: ProgressFactory = no_progress,
) -> SimulationResult:
    """Fill the deployed form for `count` members and post each as an OpenRosa submission.

    A 202 (the server already holds that exact instance, e.g. the same seed run twice)
    counts as a duplicate, not an error; any other refusal raises a KoboError.
    """
    form = load_served_form(client, asset_uid)
    started = time.perf_counter()
    posted = duplicates = law_changes = 0
    regions: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    ids: list[str] = []
    with progress("Posting simulated submissions", count) as advance:
        for sim in iter_members(form, count, seed=seed, today=today, members=members):
            result = client.openrosa.submit(sim.xml)
            posted += 1
            duplicates += int(result.duplicate)
            law_changes += sim.repeat_items
            regions[sim.member.region] += 1
            languages[sim.member.language] += 1
            ids.append(sim.instance_id)
            advance(1)
    return SimulationResult(
        asset_uid=asset_uid,
        version_uid=form.template.version_uid,
        posted=posted,
        duplicates=duplicates,
        law_changes=law_changes,
        by_region=dict(sorted(regions.items())),
        by_language=dict(sorted(languages.items())),
        instance_ids=tuple(ids),
        seconds=time.perf_counter() - started,
    )
