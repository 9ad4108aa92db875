"""Deployment, redeployment, versions, and the XForm served to Collect."""

from __future__ import annotations

import re


def test_deploy_then_second_post_is_405(kobo):
    uid = kobo.create_asset("nested_repeats")
    deployment = f"{kobo.url}/api/v2/assets/{uid}/deployment/"
    before = kobo.api.get(deployment)
    assert before.status_code == 404
    assert before.json() == {"detail": "Not found."}
    posted = kobo.api.post(deployment, json={"active": True})
    assert posted.status_code == 200
    body = posted.json()
    recorded = kobo.recording("nested_repeats/deployment_post")
    assert set(body) == {"backend", "active", "version_id", "asset"}
    assert set(body["asset"]) == set(recorded["body"]["asset"])
    assert body["backend"] == "openrosa" and body["active"] is True
    asset = body["asset"]
    assert asset["deployment_status"] == "deployed"
    assert asset["deployed_version_id"] == asset["version_id"] == body["version_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", asset["deployment__uuid"])
    assert asset["deployed_versions"]["count"] == 1
    assert asset["deployed_versions"]["results"][0]["version_number"] == "1"
    again = kobo.api.post(deployment, json={"active": True})
    assert again.status_code == 405
    assert again.json() == {"detail": "Use PATCH to update an existing deployment"}
    assert again.headers["Allow"] == "GET, POST, PATCH, HEAD, OPTIONS"


def test_patch_before_deploy_is_405(kobo):
    uid = kobo.create_asset("nested_repeats")
    response = kobo.api.patch(f"{kobo.url}/api/v2/assets/{uid}/deployment/", json={"active": True})
    assert response.status_code == 405
    assert response.json() == {"detail": "Use POST to create a new deployment"}


def test_redeploy_after_content_patch_and_stale_version_500(kobo, nested):
    uid = nested["uid"]
    content = nested["content"]
    address = next(r for r in content["survey"] if r.get("name") == "address")
    address["label"] = ["5. Street address (edited)"]
    patched = kobo.api.patch(f"{kobo.url}/api/v2/assets/{uid}/", json={"content": content}).json()
    new_version = patched["version_id"]
    assert new_version != nested["version_id"]
    assert patched["deployed_version_id"] == nested["version_id"]
    deployment = f"{kobo.url}/api/v2/assets/{uid}/deployment/"
    stale = kobo.api.patch(deployment, json={"active": True, "version_id": nested["version_id"]})
    assert stale.status_code == 500
    assert stale.json() == {"error": "Server Error (500)"}
    assert "Allow" not in stale.headers
    redeployed = kobo.api.patch(deployment, json={"active": True, "version_id": new_version})
    assert redeployed.status_code == 200
    assert redeployed.json()["version_id"] == new_version
    again = kobo.api.patch(deployment, json={"active": True, "version_id": new_version})
    assert again.status_code == 200
    asset = kobo.asset(uid)
    assert asset["deployed_version_id"] == new_version
    assert [v["version_number"] for v in asset["deployed_versions"]["results"]] == ["2", "1"]
    assert asset["deployment__uuid"] == nested["deployment__uuid"]


def test_versions_list_detail_and_deployed_filter(kobo, nested):
    uid = nested["uid"]
    kobo.api.patch(f"{kobo.url}/api/v2/assets/{uid}/", json={"name": "Renamed draft"})
    versions = kobo.api.get(f"{kobo.url}/api/v2/assets/{uid}/versions/")
    assert versions.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    body = versions.json()
    assert body["count"] == 2
    draft, deployed = body["results"]  # newest first
    assert draft["date_deployed"] is False and draft["version_number"] == "1.1"
    assert deployed["date_deployed"] == deployed["date_modified"]
    assert deployed["version_number"] == "1"
    recorded = kobo.recording("nested_repeats/versions_list")["body"]["results"][0]
    assert set(deployed) == set(recorded)
    only_deployed = kobo.api.get(f"{kobo.url}/api/v2/assets/{uid}/versions/?deployed=True").json()
    assert [v["uid"] for v in only_deployed["results"]] == [deployed["uid"]]
    lowercase = kobo.api.get(f"{kobo.url}/api/v2/assets/{uid}/versions/?deployed=true")
    assert lowercase.status_code == 500
    detail = kobo.api.get(deployed["url"]).json()
    assert detail["content"]["survey"][0]["name"] == "kids"
    assert set(detail) == set(kobo.recording("nested_repeats/versions_detail")["body"])


def test_bad_reference_fails_at_deploy_with_pyxform_message(kobo):
    uid = kobo.create_asset("broken_bad_reference")
    response = kobo.api.post(f"{kobo.url}/api/v2/assets/{uid}/deployment/", json={"active": True})
    assert response.status_code == 400
    assert "does_not_exist" in response.json()["error"]
    assert kobo.api.get(f"{kobo.url}/api/v2/assets/{uid}/deployment/").status_code == 404
    assert kobo.asset(uid)["deployment_status"] == "draft"


def test_archive_and_unarchive(kobo, nested):
    deployment = f"{kobo.url}/api/v2/assets/{nested['uid']}/deployment/"
    archived = kobo.api.patch(deployment, json={"active": False}).json()
    assert archived["active"] is False
    assert archived["asset"]["deployment_status"] == "archived"
    assert archived["asset"]["deployment__active"] is False
    assert archived["version_id"] == nested["version_id"]
    restored = kobo.api.patch(deployment, json={"active": True}).json()
    assert restored["asset"]["deployment_status"] == "deployed"


def test_served_xform_has_kpi_injections(kobo, nested):
    form_list = kobo.api.get(f"{kobo.url}/formList")
    assert form_list.status_code == 200
    assert form_list.headers["X-OpenRosa-Version"] == "1.0"
    assert f"<formID>{nested['uid']}</formID>" in form_list.text
    download = re.search(r"<downloadUrl>([^<]+)</downloadUrl>", form_list.text).group(1)
    assert re.fullmatch(rf"{kobo.url}/forms/\d+/form\.xml", download)
    xform = kobo.api.get(download).text
    uid, version = nested["uid"], nested["version_id"]
    label = re.search(r'version="(\d+ \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\))"', xform)
    assert label and label.group(1).startswith("1 (")
    assert f'<{uid} id="{uid}"' in xform
    assert f"calculate=\"'{version}'\"" in xform
    assert f"calculate=\"'{nested['deployment__uuid']}'\"" in xform
    assert xform.index("<formhub>") < xform.index("<kids>")
    assert "<h:title>Nested repeats Test</h:title>" in xform
