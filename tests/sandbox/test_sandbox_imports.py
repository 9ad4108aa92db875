"""XLSForm imports: task bodies, KPI-shaped content, errors and the `library` gotcha."""

from __future__ import annotations

from typing import Any


def _without_kuids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_kuids(v) for k, v in value.items() if k != "$kuid"}
    if isinstance(value, list):
        return [_without_kuids(v) for v in value]
    return value


def test_import_task_answers_processing_then_complete(kobo):
    form = kobo.recording("nested_repeats/import_create")["body"]
    response = kobo.api.post(
        kobo.url + "/api/v2/imports/",
        files={"file": ("nested_repeats.xls", kobo.form_bytes("nested_repeats"))},
        data={"name": "nested_repeats", "library": "false"},
    )
    assert response.status_code == 201
    body = response.json()
    assert kobo.shape(body) == kobo.shape(form)
    assert body["status"] == "processing"
    assert body["uid"].startswith("i") and len(body["uid"]) == 22
    assert body["url"] == f"{kobo.url}/api/v2/imports/{body['uid']}/"
    poll = kobo.api.get(body["url"])
    assert poll.headers["Allow"] == "GET, HEAD, OPTIONS"
    recorded = kobo.recording("nested_repeats/import_status_first_poll")["body"]
    assert kobo.shape(poll.json()) == kobo.shape(recorded)
    created = poll.json()["messages"]["created"][0]
    assert created["summary"] == recorded["messages"]["created"][0]["summary"]
    assert created["uid"].startswith("a") and len(created["uid"]) == 22


def test_nested_repeats_content_matches_kpi(kobo):
    uid = kobo.create_asset("nested_repeats")
    asset = kobo.asset(uid)
    recorded = kobo.recording("nested_repeats/asset_detail_before_deploy")["body"]
    assert _without_kuids(asset["content"]) == _without_kuids(recorded["content"])
    assert asset["name"] == "Nested repeats Test"
    assert asset["summary"] == recorded["summary"]
    assert asset["deployment_status"] == "draft"
    assert asset["version_id"].startswith("v")
    assert set(asset) == set(recorded)


def test_good_eats_translations_include_the_unlabelled_hint_column(kobo):
    uid = kobo.create_asset("good_eats_multilang")
    content = kobo.asset(uid)["content"]
    recorded = kobo.recording("good_eats_multilang/asset_detail_before_deploy")["body"]
    assert content["translations"] == ["English", "French", None]
    assert content["translated"] == ["hint", "label"]
    assert _without_kuids(content) == _without_kuids(recorded["content"])
    first_rows = [(r["name"], r["type"]) for r in content["survey"][:3]]
    assert first_rows == [("submit_data", "today"), ("imei", "deviceid"), ("submit_date", "today")]


def test_library_omitted_imports_a_block(kobo):
    task = kobo.import_form("nested_repeats", library="")  # sent but not "false"
    uid = task["messages"]["created"][0]["uid"]
    assert kobo.asset(uid)["asset_type"] == "block"
    response = kobo.api.post(
        f"{kobo.url}/api/v2/imports/",
        files={"file": ("n.xls", kobo.form_bytes("nested_repeats"))},
        data={"name": "nested_repeats"},
    )
    polled = kobo.api.get(response.json()["url"]).json()
    assert kobo.asset(polled["messages"]["created"][0]["uid"])["asset_type"] == "block"


def test_duplicate_names_fail_at_import(kobo):
    for form in ("broken_duplicate_name", "broken_duplicate_in_groups"):
        task = kobo.import_form(form)
        assert task["status"] == "error"
        assert task["messages"] == {
            "error": "Duplicate node name: age",
            "error_type": "DuplicateNameException",
        }


def test_workbook_without_survey_sheet_still_imports(kobo):
    task = kobo.import_form("broken_no_survey_sheet")
    assert task["status"] == "complete"
    assert task["messages"]["created"][0]["summary"]["labels"] == ["Q1"]


def test_reimport_into_destination_replaces_content_and_adds_a_version(kobo, good_eats):
    uid = good_eats["uid"]
    task = kobo.import_form(
        "good_eats_multilang_relabelled", destination=f"{kobo.url}/api/v2/assets/{uid}/"
    )
    recorded = kobo.recording("good_eats_multilang/reimport_destination_status_first_poll")
    assert kobo.shape(task) == kobo.shape(recorded["body"])
    assert task["messages"]["updated"][0]["uid"] == uid
    asset = kobo.asset(uid)
    description = next(r for r in asset["content"]["survey"] if r["name"] == "description")
    assert description["label"][0] == "Description (edited label)"
    assert asset["version_count"] == 2
    assert asset["deployed_version_id"] == good_eats["version_id"] != asset["version_id"]


def test_create_and_patch_asset_make_new_versions(kobo):
    content = {"survey": [{"type": "text", "name": "q1", "label": "Q1"}], "settings": {}}
    created = kobo.api.post(
        f"{kobo.url}/api/v2/assets/",
        json={"name": "Made by API", "asset_type": "survey", "content": content},
    )
    assert created.status_code == 201
    asset = created.json()
    assert asset["content"]["survey"][0]["label"] == ["Q1"]
    assert asset["content"]["survey"][0]["$xpath"] == "q1"
    patched = kobo.api.patch(f"{kobo.url}/api/v2/assets/{asset['uid']}/", json={"name": "Renamed"})
    assert patched.json()["name"] == "Renamed"
    assert patched.json()["version_id"] != asset["version_id"]
    missing = kobo.api.post(f"{kobo.url}/api/v2/assets/", json={"name": "x"})
    assert missing.status_code == 400
    assert missing.json() == {"asset_type": ["This field is required."]}


def test_custom_columns_stay_in_survey_rows(kobo):
    content = {
        "survey": [
            {"type": "text", "name": "member_code", "label::English (en)": "Member code",
             "label::French (fr)": "Code membre", "nswp_sensitive": "high", "required": "yes"},
        ],
        "settings": {"default_language": "English (en)"},
    }  # fmt: skip
    asset = kobo.api.post(
        f"{kobo.url}/api/v2/assets/",
        json={"name": "Sens", "asset_type": "survey", "content": content},
    ).json()
    row = asset["content"]["survey"][0]
    assert row["nswp_sensitive"] == "high"
    assert row["required"] is True
    assert asset["content"]["translations"] == ["English (en)", "French (fr)"]
    deployed = kobo.deploy(asset["uid"])
    version = kobo.api.get(
        f"{kobo.url}/api/v2/assets/{asset['uid']}/versions/{deployed['deployed_version_id']}/"
    ).json()
    assert version["content"]["survey"][0]["nswp_sensitive"] == "high"
