"""The demo pulse form deployed on a sandbox, and a quick way to add members to it.

Shared by tests/sync and tests/reliability; loaded by tests/conftest.py as the module
`nswp_tests_pulse` (tests/ is not a package: pytest runs with --import-mode=importlib).
"""

from __future__ import annotations

import random
from typing import Any

from nswp_survey.config import KoboSettings
from nswp_survey.forms.xform import XFormTemplate, build_instance, load_xform
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer
from nswp_survey.synthetic import PULSE_FORM, pulse_answers


def client_for(url: str, token: str, **overrides: Any) -> KoboClient:
    """A client that does not really wait between retries (pass `sleep=` to see the waits)."""
    sleep = overrides.pop("sleep", lambda seconds: None)
    settings = KoboSettings(url=url, token=token, openrosa_url=url, **overrides)
    return KoboClient(settings, sleep=sleep)


class Survey:
    """The demo form deployed on a sandbox, and a quick way to add members to it."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        with client_for(server.url, server.token) as client:
            self.asset_uid = client.assets.import_xlsform(PULSE_FORM, name="demo_pulse")
            client.assets.deploy(self.asset_uid)
            entry = next(e for e in client.openrosa.form_list() if e.form_id == self.asset_uid)
            self.xform: XFormTemplate = load_xform(
                client.openrosa.download_xform(entry.download_url)
            )
        self.posted = 0

    def instance(self, index: int) -> bytes:
        return build_instance(
            self.xform,
            pulse_answers(random.Random(index), index),
            instance_id=f"00000000-0000-4000-8000-{index:012d}",
        )

    def add(self, count: int) -> None:
        """Ingest `count` members through the sandbox's OpenRosa code path (no HTTP)."""
        for _ in range(count):
            assert self.server.ingest_xml(self.instance(self.posted))["status"] == 201
            self.posted += 1

    def server_records(self) -> dict[int, dict[str, Any]]:
        with client_for(self.server.url, self.server.token) as client:
            return {s.id: s.raw for s in client.submissions.iter_submissions(self.asset_uid)}

    def server_ids(self) -> list[int]:
        return sorted(self.server_records())

    def delete(self, submission_id: int) -> None:
        with client_for(self.server.url, self.server.token) as client:
            client.submissions.delete(self.asset_uid, submission_id)
