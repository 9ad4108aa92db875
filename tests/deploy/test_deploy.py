"""deploy_form against a sandbox Kobo server, with a real SQLite store."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from nswp_survey.deploy import deploy_form, diff_deployed, find_deployed_asset, workbook_hash
from nswp_survey.errors import FormValidationError
from nswp_survey.forms.workbook import load_workbook
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import load_form_content, load_form_versions, transaction

from .conftest import BROKEN_FORM, DEMO_FORM, edited_copy, sandbox_stats, writes


def test_first_deploy_creates_records_and_the_second_is_a_no_op(
    client: KoboClient, engine: Engine, sandbox: SandboxServer
) -> None:
    first = deploy_form(client, engine, DEMO_FORM, odk_validate=False)
    assert first.action == "created"
    assert first.form_version == "2026.1"
    assert first.form_id == "nswp_demo_pulse"
    asset = client.assets.get(first.asset_uid or "")
    assert asset.deployed_version_id == first.version_uid
    with transaction(engine) as conn:
        (version,) = load_form_versions(conn, first.asset_uid or "")
        content = load_form_content(conn, version.asset_uid, version.version_uid)
    assert version.version_uid == first.version_uid
    assert version.workbook_hash == first.content_hash == workbook_hash(load_workbook(DEMO_FORM))
    assert content is not None and content["settings"]["id_string"] == "nswp_demo_pulse"

    before = writes(sandbox)
    second = deploy_form(client, engine, DEMO_FORM, odk_validate=False)
    assert (second.action, second.asset_uid, second.version_uid) == (
        "unchanged",
        first.asset_uid,
        first.version_uid,
    )
    assert second.deployed_at == first.deployed_at
    assert writes(sandbox) == before
    assert len(client.assets.list()) == 1


def test_a_resaved_workbook_is_not_a_change(tmp_path: Path, client: KoboClient, engine: Engine):
    first = deploy_form(client, engine, DEMO_FORM, odk_validate=False)
    copy = tmp_path / "resaved.xlsx"
    shutil.copy(DEMO_FORM, copy)
    book = openpyxl.load_workbook(copy)
    book["survey"].column_dimensions["C"].width = 80  # formatting only
    book.save(copy)
    assert copy.read_bytes() != DEMO_FORM.read_bytes()
    again = deploy_form(client, engine, copy, odk_validate=False)
    assert (again.action, again.content_hash) == ("unchanged", first.content_hash)


def test_a_relabelled_form_is_redeployed_under_the_same_uid(
    tmp_path: Path, client: KoboClient, engine: Engine
) -> None:
    first = deploy_form(client, engine, DEMO_FORM, odk_validate=False)
    changed = edited_copy(
        DEMO_FORM, tmp_path / "pulse.xlsx", "survey", 2, "label::English (en)", "Do you agree?"
    )
    second = deploy_form(client, engine, changed, odk_validate=False)

    assert second.action == "redeployed"
    assert second.asset_uid == first.asset_uid
    assert second.version_uid not in (None, first.version_uid)
    assert second.content_hash != first.content_hash
    assert client.assets.get(first.asset_uid or "").deployed_version_id == second.version_uid
    with transaction(engine) as conn:
        versions = load_form_versions(conn, first.asset_uid or "")
        latest = load_form_content(conn, first.asset_uid or "", second.version_uid or "")
    assert [(v.version_uid, v.workbook_hash) for v in versions] == [
        (second.version_uid, second.content_hash),
        (first.version_uid, first.content_hash),
    ]
    assert latest is not None
    consent = next(row for row in latest["survey"] if row.get("name") == "consent")
    assert consent["label"][0] == "Do you agree?"
    # and once deployed, the change is no longer a change
    assert deploy_form(client, engine, changed, odk_validate=False).action == "unchanged"


def test_dry_run_sends_no_write(
    tmp_path: Path, client: KoboClient, engine: Engine, sandbox: SandboxServer
) -> None:
    plan = deploy_form(client, engine, DEMO_FORM, dry_run=True, odk_validate=False)
    assert (plan.action, plan.asset_uid, plan.version_uid) == ("would create", None, None)
    assert writes(sandbox) == 0
    assert client.assets.list() == []

    first = deploy_form(client, engine, DEMO_FORM, odk_validate=False)
    changed = edited_copy(DEMO_FORM, tmp_path / "p.xlsx", "choices", 2, "label::English (en)", "Y")
    before = writes(sandbox)
    plan = deploy_form(client, engine, changed, dry_run=True, odk_validate=False)
    assert (plan.action, plan.asset_uid, plan.version_uid) == (
        "would redeploy",
        first.asset_uid,
        first.version_uid,
    )
    assert writes(sandbox) == before
    with transaction(engine) as conn:
        assert len(load_form_versions(conn, first.asset_uid or "")) == 1


def test_a_broken_form_is_never_sent(client: KoboClient, engine: Engine, sandbox: SandboxServer):
    with pytest.raises(FormValidationError) as caught:
        deploy_form(client, engine, BROKEN_FORM, odk_validate=False)
    assert caught.value.exit_code == 4
    assert caught.value.problems
    assert caught.value.problems == [
        "survey!I5 (relevant): ${staf} is not the name of any field; did you mean ${staff}?"
    ]
    assert sandbox_stats(sandbox)["total"] == 0
    assert client.assets.list() == []


def test_an_explicit_asset_uid_takes_precedence(
    tmp_path: Path, client: KoboClient, engine: Engine
) -> None:
    other = client.assets.import_xlsform(DEMO_FORM, name="made in the web UI")
    client.assets.deploy(other)
    result = deploy_form(client, engine, DEMO_FORM, asset_uid=other, odk_validate=False)
    assert (result.action, result.asset_uid) == ("redeployed", other)
    with transaction(engine) as conn:
        assert [v.version_uid for v in load_form_versions(conn, other)] == [result.version_uid]
    assert find_deployed_asset(engine, client.settings.url, "nswp_demo_pulse") == other
    assert find_deployed_asset(engine, "https://kf.kobotoolbox.org", "nswp_demo_pulse") is None


def test_diff_against_the_deployed_version(tmp_path: Path, client: KoboClient, engine: Engine):
    first = deploy_form(client, engine, DEMO_FORM, odk_validate=False)
    uid, unchanged = diff_deployed(client, engine, DEMO_FORM)
    assert (uid, unchanged.lines()) == (first.asset_uid, [])
    changed = edited_copy(
        DEMO_FORM, tmp_path / "p.xlsx", "survey", 3, "label::French (fr)", "Code membre"
    )
    uid, diff = diff_deployed(client, engine, changed)
    assert diff.lines() == [
        'question "member_code" relabelled (French (fr)): "Code de membre NSWP" -> "Code membre"'
    ]
