"""AssetService: list/get/create/update, XLSForm import, deploy/redeploy, versions, history."""

from __future__ import annotations

import json

import pytest
from responses import matchers

from nswp_survey.errors import KoboHTTPError, KoboImportError, KoboResponseError
from nswp_survey.kobo import Asset

BASE = "https://kobo.example.org"
ASSETS = f"{BASE}/api/v2/assets/"
UID = "as2zqxq3pBXhHSdahcdXXP"
ONE = f"{ASSETS}{UID}/"
IMPORTS = f"{BASE}/api/v2/imports/"
TASK = f"{IMPORTS}ipMP5fwywW5YTrLqueK8Ye/"
XLSX = b"PK\x03\x04 fake workbook bytes"


def asset_json(uid: str = UID, **changes):
    body = {
        "uid": uid,
        "name": "Nested repeats Test",
        "asset_type": "survey",
        "version_id": "vEvRYjQexng6UUd2CWG2Jc",
        "deployed_version_id": "vEvRYjQexng6UUd2CWG2Jc",
        "has_deployment": True,
        "deployment__active": True,
        "deployment_status": "deployed",
        "deployment__submission_count": 2,
        "date_modified": "2026-11-24T06:11:17.846972Z",
        "owner__username": "kobotest",
    }
    body.update(changes)
    return body


def task_json(status: str, **messages):
    return {"status": status, "uid": "ipMP5fwywW5YTrLqueK8Ye", "messages": messages}


def multipart_fields(body: bytes) -> dict[str, bytes]:
    fields = {}
    for part in body.split(b"--")[1:]:
        if b'name="' not in part:
            continue
        name = part.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        fields[name] = part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
    return fields


# -- assets ---------------------------------------------------------------------------------------
def test_list_sends_the_asset_type_query_and_reads_every_page(client, kobo, make_page):
    kobo.get(
        ASSETS,
        match=[matchers.query_param_matcher({"q": "asset_type:survey"})],
        json=make_page(
            [asset_json("a1")], count=2, next_url=f"{ASSETS}?q=asset_type%3Asurvey&start=1"
        ),
    )
    kobo.get(
        ASSETS,
        match=[matchers.query_param_matcher({"q": "asset_type:survey", "start": "1"})],
        json=make_page([asset_json("a2")], count=2),
    )
    assert [a.uid for a in client.assets.list()] == ["a1", "a2"]


def test_list_combines_asset_type_and_a_search(client, kobo, make_page):
    kobo.get(
        ASSETS,
        match=[matchers.query_param_matcher({"q": "asset_type:survey AND uid:a1"})],
        json=make_page([asset_json("a1")]),
    )
    assert len(client.assets.list(q="uid:a1")) == 1


def test_get_returns_an_asset_with_raw_json(client, kobo):
    body = asset_json(content={"survey": [], "schema": "1"})
    kobo.get(ONE, json=body)
    asset = client.assets.get(UID)
    assert asset == Asset.from_json(body)
    assert asset.content == {"survey": [], "schema": "1"}
    assert asset.raw == body


def test_get_refuses_a_uid_with_a_slash(client):
    with pytest.raises(ValueError, match="not an asset uid"):
        client.assets.get("../token")


def test_create_posts_name_and_type(client, kobo):
    kobo.post(
        ASSETS,
        status=201,
        json=asset_json("aNEW", name="NSWP 2026"),
        match=[matchers.json_params_matcher({"name": "NSWP 2026", "asset_type": "survey"})],
    )
    assert client.assets.create("NSWP 2026").uid == "aNEW"


def test_create_is_not_retried_on_502(client, kobo):
    kobo.post(ASSETS, status=502, body="Bad Gateway", content_type="text/plain")
    with pytest.raises(KoboHTTPError, match="was not retried"):
        client.assets.create("NSWP 2026")
    assert len(kobo.calls) == 1


def test_update_patches_content(client, kobo):
    content = {"survey": [{"type": "text", "name": "q"}]}
    kobo.patch(
        ONE,
        json=asset_json(version_id="vNEW"),
        match=[matchers.json_params_matcher({"content": content})],
    )
    assert client.assets.update(UID, content=content).version_id == "vNEW"


# -- XLSForm import ---------------------------------------------------------------------------
def test_import_xlsform_sends_library_false_and_polls_until_complete(
    client, kobo, sleeps, tmp_path
):
    path = tmp_path / "nswp_survey.xlsx"
    path.write_bytes(XLSX)
    kobo.post(
        IMPORTS,
        status=201,
        json={"uid": "ipMP5fwywW5YTrLqueK8Ye", "url": TASK, "status": "processing"},
    )
    kobo.get(TASK, json=task_json("processing"))
    kobo.get(TASK, json=task_json("processing"))
    kobo.get(TASK, json=task_json("complete", created=[{"uid": "aNEW", "kind": "asset"}]))
    assert client.assets.import_xlsform(path, name="NSWP survey", poll_interval=2.5) == "aNEW"
    fields = multipart_fields(kobo.calls[0].request.body)
    assert fields["library"] == b"false"
    assert fields["name"] == b"NSWP survey"
    assert fields["file"] == XLSX
    assert b'filename="nswp_survey.xlsx"' in kobo.calls[0].request.body
    assert b"spreadsheetml" in kobo.calls[0].request.body
    assert "destination" not in fields
    assert sleeps == [2.5, 2.5]


def test_import_with_destination_replaces_that_assets_form(client, kobo):
    kobo.post(IMPORTS, status=201, json={"uid": "ipMP5fwywW5YTrLqueK8Ye", "status": "processing"})
    kobo.get(TASK, json=task_json("complete", updated=[{"uid": UID}], audit_logs=[]))
    assert client.assets.import_xlsform(XLSX, name="nested", destination_uid=UID) == UID
    fields = multipart_fields(kobo.calls[0].request.body)
    assert fields["destination"] == ONE.encode()
    assert fields["library"] == b"false"
    assert b'filename="nested.xlsx"' in kobo.calls[0].request.body


def test_import_of_legacy_xls_bytes_is_named_and_typed_xls(client, kobo):
    kobo.post(IMPORTS, status=201, json={"uid": "ipMP5fwywW5YTrLqueK8Ye", "status": "processing"})
    kobo.get(TASK, json=task_json("complete", created=[{"uid": "aNEW"}]))
    client.assets.import_xlsform(b"\xd0\xcf\x11\xe0 old excel", name="old")
    assert b'filename="old.xls"' in kobo.calls[0].request.body
    assert b"application/vnd.ms-excel" in kobo.calls[0].request.body


def test_import_error_raises_with_the_servers_error_type_and_text(client, kobo):
    kobo.post(IMPORTS, status=201, json={"uid": "ipMP5fwywW5YTrLqueK8Ye", "status": "processing"})
    kobo.get(
        TASK,
        json=task_json(
            "error", error="Duplicate node name: age", error_type="DuplicateNameException"
        ),
    )
    with pytest.raises(KoboImportError) as caught:
        client.assets.import_xlsform(XLSX, name="broken")
    assert str(caught.value) == (
        "the Kobo server could not import the XLSForm (task ipMP5fwywW5YTrLqueK8Ye): "
        "DuplicateNameException: Duplicate node name: age; fix the workbook and import it again"
    )


def test_import_that_never_finishes_times_out(client, kobo, sleeps):
    kobo.post(IMPORTS, status=201, json={"uid": "ipMP5fwywW5YTrLqueK8Ye", "status": "processing"})
    kobo.get(TASK, json=task_json("processing"))
    with pytest.raises(KoboImportError) as caught:
        client.assets.import_xlsform(XLSX, name="slow", poll_interval=2.0, timeout=10.0)
    assert str(caught.value) == (
        "import task ipMP5fwywW5YTrLqueK8Ye is still 'processing' after 10 s: the server may be "
        "busy; check the project list in the Kobo web UI before retrying"
    )
    assert sum(sleeps) == 10.0


def test_import_complete_without_an_asset_raises(client, kobo):
    kobo.post(IMPORTS, status=201, json={"uid": "ipMP5fwywW5YTrLqueK8Ye", "status": "processing"})
    kobo.get(TASK, json=task_json("complete"))
    with pytest.raises(KoboResponseError, match="completed but named no asset"):
        client.assets.import_xlsform(XLSX, name="odd")


def test_import_post_is_not_retried_on_503(client, kobo):
    kobo.post(IMPORTS, status=503, json={"detail": "busy"})
    with pytest.raises(KoboHTTPError) as caught:
        client.assets.import_xlsform(XLSX, name="x")
    assert len(kobo.calls) == 1
    assert caught.value.status == 503


# -- deployment ---------------------------------------------------------------------------
def test_get_deployment_is_none_when_there_is_none(client, kobo):
    kobo.get(f"{ONE}deployment/", status=404, json={"detail": "Not found."})
    assert client.assets.get_deployment(UID) is None


def test_get_deployment(client, kobo):
    kobo.get(
        f"{ONE}deployment/",
        json={"backend": "openrosa", "active": True, "version_id": "v1", "asset": asset_json()},
    )
    deployment = client.assets.get_deployment(UID)
    assert deployment is not None
    assert (deployment.active, deployment.version_id, deployment.asset.uid) == (True, "v1", UID)


def test_deploy_posts_active_true(client, kobo):
    kobo.post(
        f"{ONE}deployment/",
        json={"backend": "openrosa", "active": True, "version_id": "v1", "asset": asset_json()},
        match=[matchers.json_params_matcher({"active": True})],
    )
    assert client.assets.deploy(UID).version_id == "v1"


def test_deploy_form_error_is_an_http_error_with_the_servers_text(client, kobo):
    error = (
        "There has been a problem trying to replace ${does_not_exist} with the XPath to the survey "
        "element named 'does_not_exist'. There is no survey element with this name."
    )
    kobo.post(f"{ONE}deployment/", status=400, json={"error": error})
    with pytest.raises(KoboHTTPError) as caught:
        client.assets.deploy(UID)
    assert caught.value.detail == error
    assert str(caught.value) == f"the Kobo server rejected POST {ONE}deployment/ (400 {error})"


def test_deploy_of_a_deployed_asset_says_to_redeploy(client, kobo):
    kobo.post(
        f"{ONE}deployment/",
        status=405,
        json={"detail": "Use PATCH to update an existing deployment"},
    )
    with pytest.raises(KoboHTTPError) as caught:
        client.assets.deploy(UID)
    assert str(caught.value) == (
        f"the Kobo server rejected POST {ONE}deployment/ (405 Use PATCH to update an existing "
        "deployment): the project is already deployed; redeploy it instead"
    )


def test_redeploy_patches_active_and_version_id(client, kobo):
    kobo.patch(
        f"{ONE}deployment/",
        json={"backend": "openrosa", "active": True, "version_id": "vNEW", "asset": asset_json()},
        match=[matchers.json_params_matcher({"active": True, "version_id": "vNEW"})],
    )
    assert client.assets.redeploy(UID, "vNEW").version_id == "vNEW"


def test_redeploy_with_a_stale_version_is_not_retried_and_explained(client, kobo, sleeps):
    # Recorded: KPI raises NotImplementedError for a stale version_id -> 500 Server Error (500).
    kobo.patch(f"{ONE}deployment/", status=500, json={"error": "Server Error (500)"})
    with pytest.raises(KoboHTTPError) as caught:
        client.assets.redeploy(UID, "vSTALE")
    assert len(kobo.calls) == 1
    assert sleeps == []
    assert str(caught.value) == (
        f"the Kobo server failed on PATCH {ONE}deployment/ (500 Server Error (500)): the form "
        "changed on the server since it was read (KPI answers 500 to a stale version_id); "
        "re-read the asset and retry"
    )
    assert caught.value.status == 500


def test_redeploy_is_retried_on_503(client, kobo):
    kobo.patch(f"{ONE}deployment/", status=503)
    kobo.patch(
        f"{ONE}deployment/", json={"backend": "openrosa", "active": True, "version_id": "v2"}
    )
    assert client.assets.redeploy(UID, "v2").version_id == "v2"
    assert len(kobo.calls) == 2


# -- versions and history -------------------------------------------------------------------
def test_list_versions_sends_capitalised_true(client, kobo, make_page):
    # KPI's BooleanField filter wants 'True': lowercase 'true' answers 500 (recorded).
    version = {
        "uid": "v2",
        "content_hash": "e4",
        "date_deployed": "2026-11-24T06:11:18.667178Z",
        "date_modified": "2026-11-24T06:11:18.667178Z",
        "version_number": "2",
    }
    kobo.get(
        f"{ONE}versions/",
        match=[matchers.query_param_matcher({"deployed": "True"})],
        json=make_page([version]),
    )
    versions = client.assets.list_versions(UID, deployed=True)
    assert [v.uid for v in versions] == ["v2"]
    assert versions[0].deployed


def test_get_version_has_content(client, kobo):
    kobo.get(
        f"{ONE}versions/v2/", json={"uid": "v2", "content": {"survey": []}, "date_deployed": False}
    )
    version = client.assets.get_version(UID, "v2")
    assert version.content == {"survey": []}
    assert not version.deployed


def test_iter_history_filters_by_action(client, kobo, make_page):
    entry = {
        "action": "delete-submission",
        "metadata": {"submission": {"root_uuid": "r1"}},
        "date_created": "2026-11-24T06:14:27Z",
    }
    kobo.get(
        f"{ONE}history/",
        match=[matchers.query_param_matcher({"q": "action:delete-submission"})],
        json=make_page([entry]),
    )
    entries = list(client.assets.iter_history(UID, action="delete-submission"))
    assert [e.submission_root_uuid for e in entries] == ["r1"]


def test_request_bodies_are_json(client, kobo):
    kobo.post(f"{ONE}deployment/", json={"active": True})
    client.assets.deploy(UID)
    assert json.loads(kobo.calls[0].request.body) == {"active": True}
    assert kobo.calls[0].request.headers["Content-Type"] == "application/json"
