"""Real HTTP between the client and a sandbox on 127.0.0.1, started fresh for each test."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from nswp_survey.config import KoboSettings
from nswp_survey.forms.xform import XFormTemplate, build_instance, load_xform
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer
from nswp_survey.synthetic import PULSE_FORM, pulse_answers


def make_client(server: SandboxServer, **overrides: object) -> KoboClient:
    settings = KoboSettings(
        url=server.url, token=server.token, openrosa_url=server.url, **overrides
    )
    return KoboClient(settings, sleep=lambda seconds: None)


@dataclass
class DeployedForm:
    asset_uid: str
    xform: XFormTemplate

    def instance(self, index: int, **kwargs: str) -> bytes:
        answers = pulse_answers(random.Random(index), index)
        return build_instance(self.xform, answers, **kwargs)


def deploy_form(client: KoboClient, path: Path = PULSE_FORM) -> DeployedForm:
    uid = client.assets.import_xlsform(path, name=path.stem)
    client.assets.deploy(uid)
    entry = next(e for e in client.openrosa.form_list() if e.form_id == uid)
    return DeployedForm(uid, load_xform(client.openrosa.download_xform(entry.download_url)))


@pytest.fixture
def deployed(client: KoboClient) -> DeployedForm:
    return deploy_form(client)
