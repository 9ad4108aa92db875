"""Fixtures for the Kobo client tests: settings, a client that never really sleeps, and a
`responses` mock standing in for the Kobo server at the HTTP edge."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from nswp_survey.config import KoboSettings
from nswp_survey.kobo import KoboClient

TOKEN = "5ec7e7f00d5ec7e7f00d5ec7e7f00d5ec7e7f00d"  # fake, 40 hex like a real KPI token
BASE = "https://kobo.example.org"
ASSET_UID = "aXNkhESxKtiPDPuBLygopT"
DATA_URL = f"{BASE}/api/v2/assets/{ASSET_UID}/data/"

# A record shaped exactly as KPI 2.026 serves it (recordings: edits/record_after_edit_2.json).
RECORD: dict[str, Any] = {
    "_id": 15,
    "formhub/uuid": "a630b7f49a704715a483f538ca0aef63",
    "__version__": "vtnjsJgfZTvGHZ8CnLgU6c",
    "food_type": "deserts",
    "description": "Generated meal 5 (edited twice)",
    "amount": "99.25",
    "meta/instanceID": "uuid:e2e2e2e2-0000-4000-8000-000000000005",
    "meta/deprecatedID": "uuid:e1e1e1e1-0000-4000-8000-000000000005",
    "_xform_id_string": ASSET_UID,
    "_uuid": "e2e2e2e2-0000-4000-8000-000000000005",
    "meta/rootUuid": "uuid:20bd097c-b74c-57f3-8764-22226bbca152",
    "_attachments": [],
    "_status": "submitted_via_web",
    "_geolocation": [-1.295, 36.805],
    "_submission_time": "2026-11-24T06:12:16",
    "_validation_status": {},
    "_submitted_by": "kobotest",
}


class NoJitter(random.Random):
    """A random source whose jitter is always zero, so the waits are exact."""

    def random(self) -> float:
        return 0.0


@pytest.fixture
def settings() -> KoboSettings:
    return KoboSettings(url=BASE, token=TOKEN, max_retries=3, backoff=1.0, timeout=7.0)


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the client asked for, in order (it never really sleeps)."""
    return []


@pytest.fixture
def client(settings: KoboSettings, sleeps: list[float]) -> Iterator[KoboClient]:
    with KoboClient(settings, sleep=sleeps.append, rng=NoJitter()) as kobo_client:
        yield kobo_client


@pytest.fixture
def kobo() -> Iterator[responses.RequestsMock]:
    """The fake Kobo server: register answers with `kobo.get(...)`, read `kobo.calls`."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    """A real-shaped submission record with `_id` = n (and unique uuids)."""

    def make(n: int, **changes: Any) -> dict[str, Any]:
        record = copy.deepcopy(RECORD)
        uuid = f"00000000-0000-4000-8000-{n:012d}"
        record.update(
            {
                "_id": n,
                "_uuid": uuid,
                "meta/instanceID": f"uuid:{uuid}",
                "meta/rootUuid": f"uuid:{uuid}",
            }
        )
        record.pop("meta/deprecatedID")
        record.update(changes)
        return record

    return make


@pytest.fixture
def make_page() -> Callable[..., dict[str, Any]]:
    """A KPI `{count, next, previous, results}` envelope."""

    def make(results: list[Any], *, count: int | None = None, next_url: str | None = None):
        return {
            "count": len(results) if count is None else count,
            "next": next_url,
            "previous": None,
            "results": results,
        }

    return make
