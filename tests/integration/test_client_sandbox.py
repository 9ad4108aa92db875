"""The client against the sandbox over real HTTP: the paths a sync and a deploy will take."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import openpyxl
import pytest

from nswp_survey.config import KoboSettings
from nswp_survey.errors import KoboAuthError, KoboNotFoundError
from nswp_survey.kobo import KoboClient
from nswp_survey.sandbox import Faults, SandboxServer
from nswp_survey.synthetic import PULSE_FORM

from .conftest import DeployedForm, deploy_form, make_client


def post(client: KoboClient, form: DeployedForm, count: int, start: int = 0) -> list[str]:
    ids = []
    for index in range(start, start + count):
        instance_id = f"00000000-0000-4000-8000-{index:012d}"
        client.openrosa.submit(form.instance(index, instance_id=instance_id))
        ids.append(instance_id)
    return ids


def test_import_deploy_and_collect_form_list(client: KoboClient, deployed: DeployedForm) -> None:
    asset = client.assets.get(deployed.asset_uid)
    assert asset.uid == deployed.asset_uid
    assert asset.has_deployment is True
    assert asset.deployed_version_id == asset.version_id
    assert deployed.xform.form_id == deployed.asset_uid
    assert deployed.xform.version_uid == asset.version_id


def test_redeploy_keeps_the_uid_and_adds_a_version(
    client: KoboClient, deployed: DeployedForm, tmp_path: Path
) -> None:
    changed = tmp_path / "demo_pulse.xlsx"
    shutil.copy(PULSE_FORM, changed)
    book = openpyxl.load_workbook(changed)
    sheet = book["survey"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=3, column=header.index("label::English (en)") + 1, value="Member code")
    book.save(changed)

    same_uid = client.assets.import_xlsform(
        changed, name="demo_pulse", destination_uid=deployed.asset_uid
    )
    assert same_uid == deployed.asset_uid
    before = client.assets.get(deployed.asset_uid)
    assert before.version_id != before.deployed_version_id
    client.assets.redeploy(deployed.asset_uid, before.version_id)
    after = client.assets.get(deployed.asset_uid)
    assert after.deployed_version_id == before.version_id
    versions = client.assets.list_versions(deployed.asset_uid)
    deployed_versions = [v for v in versions if v.date_deployed is not None]
    assert len(deployed_versions) == 2


def test_pages_follow_next_in_id_order(sandbox: SandboxServer, deployed: DeployedForm) -> None:
    with make_client(sandbox, page_size=100) as client:
        sent = post(client, deployed, 250)
        pages = list(client.submissions.iter_pages(deployed.asset_uid))
    assert [len(page.results) for page in pages] == [100, 100, 50]
    assert all(page.count == 250 for page in pages)
    ids = [sub.id for page in pages for sub in page.results]
    assert ids == sorted(ids) and len(set(ids)) == 250
    assert {sub.root_uuid for page in pages for sub in page.results} == set(sent)


def test_after_id_and_fields_sweep(client: KoboClient, deployed: DeployedForm) -> None:
    post(client, deployed, 30)
    everything = list(client.submissions.iter_submissions(deployed.asset_uid))
    cursor = everything[19].id
    newer = list(client.submissions.iter_submissions(deployed.asset_uid, after_id=cursor))
    assert [s.id for s in newer] == [s.id for s in everything[20:]]

    light = list(client.submissions.iter_submissions(deployed.asset_uid, fields=["_id", "_uuid"]))
    assert [s.id for s in light] == [s.id for s in everything]
    assert {s.uuid for s in light} == {s.uuid for s in everything}
    assert "org/region" not in light[0].raw
    assert "org/region" in everything[0].raw or everything[0].raw.get("consent") == "no"


def test_edit_updates_in_place(client: KoboClient, deployed: DeployedForm) -> None:
    post(client, deployed, 3)
    original = next(iter(client.submissions.iter_submissions(deployed.asset_uid)))
    edited_id = "11111111-2222-4333-8444-555555555555"
    client.openrosa.submit(
        deployed.instance(0, instance_id=edited_id, deprecated_id=original.instance_id)
    )
    again = client.submissions.get(deployed.asset_uid, original.id)
    assert again.id == original.id
    assert again.uuid == edited_id
    assert again.root_uuid == original.root_uuid
    assert again.submission_time == original.submission_time
    assert again.deprecated_id == original.instance_id
    assert len(list(client.submissions.iter_submissions(deployed.asset_uid))) == 3


def test_delete_one_and_bulk(client: KoboClient, deployed: DeployedForm) -> None:
    post(client, deployed, 5)
    ids = [s.id for s in client.submissions.iter_submissions(deployed.asset_uid)]
    client.submissions.delete(deployed.asset_uid, ids[0])
    client.submissions.bulk_delete(deployed.asset_uid, ids[1:3])
    left = [s.id for s in client.submissions.iter_submissions(deployed.asset_uid)]
    assert left == ids[3:]
    with pytest.raises(KoboNotFoundError):
        client.submissions.get(deployed.asset_uid, ids[0])


def test_validation_status_round_trip(client: KoboClient, deployed: DeployedForm) -> None:
    post(client, deployed, 2)
    first = next(iter(client.submissions.iter_submissions(deployed.asset_uid)))
    assert first.validation_status is None
    client.submissions.set_validation_status(
        deployed.asset_uid, first.id, "validation_status_approved"
    )
    assert (
        client.submissions.get(deployed.asset_uid, first.id).validation_status
        == "validation_status_approved"
    )


def test_sync_style_paging_survives_injected_faults(
    sandbox: SandboxServer, deployed: DeployedForm
) -> None:
    with make_client(sandbox, page_size=10) as client:
        sent = post(client, deployed, 45)
        sandbox.set_faults(Faults(script=["503", "429", "drop", "502", "drop_midbody"]))
        got = [s.root_uuid for s in client.submissions.iter_submissions(deployed.asset_uid)]
    assert sorted(got) == sorted(sent)
    assert len(got) == 45


def test_bad_token_is_an_auth_error_that_hides_the_token(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    bad = "0badc0de" * 5
    caplog.set_level(logging.DEBUG)
    settings = KoboSettings(url=sandbox.url, token=bad)
    with KoboClient(settings, sleep=lambda s: None) as client, pytest.raises(KoboAuthError) as info:
        list(client.assets.list())
    assert "Invalid token" in str(info.value)
    assert bad not in str(info.value)
    assert bad not in caplog.text
    assert sandbox.token not in caplog.text


def test_unknown_asset_is_not_found(client: KoboClient) -> None:
    with pytest.raises(KoboNotFoundError):
        client.assets.get("aAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(KoboNotFoundError):
        list(client.submissions.iter_submissions("aAAAAAAAAAAAAAAAAAAAAA"))


def test_second_form_gets_its_own_uid(client: KoboClient, deployed: DeployedForm) -> None:
    other = deploy_form(client)
    assert other.asset_uid != deployed.asset_uid
    uids = {asset.uid for asset in client.assets.list()}
    assert {other.asset_uid, deployed.asset_uid} <= uids
