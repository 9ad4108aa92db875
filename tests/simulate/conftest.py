"""A sandbox with the annual member survey deployed, and a client for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nswp_survey.kobo import KoboClient

REPO_ROOT = Path(__file__).resolve().parents[2]
SURVEY_FORM = REPO_ROOT / "forms" / "annual_member_survey.xlsx"


@pytest.fixture
def survey_uid(client: KoboClient) -> str:
    """The annual member survey, imported and deployed."""
    uid = client.assets.import_xlsform(SURVEY_FORM, name="annual_member_survey")
    client.assets.deploy(uid)
    return uid
