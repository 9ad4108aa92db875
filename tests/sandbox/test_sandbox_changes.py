"""Deletes, validation statuses, bulk edits and the project history log."""

from __future__ import annotations

import json
import time


def test_delete_one_then_404_and_ids_never_reused(kobo, good_eats):
    ids = kobo.seed(good_eats, 3)
    url = kobo.data_url(good_eats["uid"])
    deleted = kobo.api.delete(f"{url}{ids[1]}/")
    assert deleted.status_code == 204
    assert deleted.content == b""
    again = kobo.api.delete(f"{url}{ids[1]}/")
    assert again.status_code == 404
    assert again.json() == {"detail": "Not found."}
    assert kobo.api.get(f"{url}{ids[1]}/").status_code == 404
    new_id = kobo.seed(good_eats, 1, first=100)[0]
    assert new_id > ids[2]
    remaining = [r["_id"] for r in kobo.api.get(url).json()["results"]]
    assert remaining == [ids[0], ids[2], new_id]
    asset = kobo.asset(good_eats["uid"])
    assert asset["deployment__submission_count"] == 3
    assert asset["deployment__last_submission_time"] is not None


def test_bulk_delete_payload_rules(kobo, good_eats):
    ids = kobo.seed(good_eats, 4)
    bulk = kobo.data_url(good_eats["uid"]) + "bulk/"
    unwrapped = kobo.api.delete(bulk, json={"submission_ids": ids[:2]})
    assert unwrapped.status_code == 400
    assert unwrapped.json() == {"payload": ["This field is required."]}
    wrong_key = kobo.api.delete(bulk, json={"payload": {"submissions_ids": ids[:2]}})
    assert wrong_key.json() == {"payload": ["Confirmation is required"]}
    invalid = kobo.api.delete(bulk, json={"payload": {"submission_ids": [*ids[:2], 999999]}})
    assert invalid.status_code == 400
    assert invalid.json() == {"detail": "One or more submission ids are invalid"}
    ok = kobo.api.delete(bulk, json={"payload": {"submission_ids": ids[:2]}})
    assert ok.status_code == 200
    assert ok.json() == {"detail": "2 submissions have been deleted"}
    assert ok.headers["Allow"] == "PATCH, DELETE, OPTIONS"
    gone = kobo.api.delete(bulk, json={"payload": {"submission_ids": [ids[0]]}})
    assert gone.status_code == 400
    by_query = kobo.api.delete(bulk, json={"payload": {"query": {"_id": ids[2]}}})
    assert by_query.json() == {"detail": "1 submissions have been deleted"}
    assert kobo.api.get(kobo.data_url(good_eats["uid"])).json()["count"] == 1
    history = kobo.api.get(
        f"{kobo.url}/api/v2/assets/{good_eats['uid']}/history/?q=action:delete-submission"
    ).json()
    assert history["count"] == 3
    recorded = kobo.recording("deletes/history_delete_submission")["body"]["results"][0]
    assert kobo.shape(history["results"][0]) == kobo.shape(recorded)
    assert "uuid:" not in history["results"][0]["metadata"]["submission"]["root_uuid"]


def test_validation_status_lifecycle(kobo, good_eats):
    ids = kobo.seed(good_eats, 4)
    url = kobo.data_url(good_eats["uid"])
    status_url = f"{url}{ids[0]}/validation_status/"
    assert kobo.api.get(status_url).json() == {}
    before = int(time.time())
    approved = kobo.api.patch(
        status_url, json={"validation_status.uid": "validation_status_approved"}
    )
    assert approved.status_code == 200
    body = approved.json()
    assert body["uid"] == "validation_status_approved"
    assert body["label"] == "Approved"
    assert body["by_whom"] == kobo.server.username
    assert body["timestamp"] >= before
    record = kobo.api.get(f"{url}{ids[0]}/").json()
    assert record["_validation_status"] == body
    bogus = kobo.api.patch(status_url, json={"validation_status.uid": "validation_status_bogus"})
    assert bogus.status_code == 400
    assert bogus.json() == {"detail": "Invalid validation status: `validation_status_bogus`"}
    query = kobo.api.get(
        url, params={"query": '{"_validation_status.uid": "validation_status_approved"}'}
    )
    assert [r["_id"] for r in query.json()["results"]] == [ids[0]]
    since = kobo.api.get(url, params={
        "query": json.dumps({"_validation_status.timestamp": {"$gte": before}}),
        "fields": '["_id", "_validation_status"]',
    }).json()  # fmt: skip
    assert [r["_id"] for r in since["results"]] == [ids[0]]
    bulk = kobo.api.patch(
        f"{url}validation_statuses/",
        json={
            "payload": {
                "submission_ids": ids[1:3],
                "validation_status.uid": "validation_status_not_approved",
            }
        },
    )
    assert bulk.json() == {"detail": "2 submissions have been updated"}
    assert kobo.api.get(f"{url}{ids[2]}/").json()["_validation_status"]["label"] == "Not Approved"
    reset = kobo.api.delete(status_url)
    assert reset.status_code == 204
    assert kobo.api.get(f"{url}{ids[0]}/").json()["_validation_status"] == {}
    history = kobo.api.get(
        f"{kobo.url}/api/v2/assets/{good_eats['uid']}/history/?q=action:modify-submission"
    ).json()
    assert history["count"] == 4


def test_bulk_update_resubmits_as_edits(kobo, good_eats):
    ids = kobo.seed(good_eats, 2)
    url = kobo.data_url(good_eats["uid"])
    before = kobo.api.get(f"{url}{ids[0]}/").json()
    response = kobo.api.patch(f"{url}bulk/", json={"payload": {
        "submission_ids": [ids[0]], "data": {"description": "fixed by bulk"}}})  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["successes"] == 1 and body["failures"] == 0
    after = kobo.api.get(f"{url}{ids[0]}/").json()
    assert after["description"] == "fixed by bulk"
    assert after["_id"] == before["_id"]
    assert after["meta/rootUuid"] == before["meta/rootUuid"]
    assert after["_uuid"] == body["results"][0]["uuid"] != before["_uuid"]
    assert after["meta/deprecatedID"] == before["meta/instanceID"]


def test_duplicate_makes_a_new_record(kobo, good_eats):
    (original_id,) = kobo.seed(good_eats, 1)
    url = kobo.data_url(good_eats["uid"])
    response = kobo.api.post(f"{url}{original_id}/duplicate/")
    assert response.status_code == 201
    copy = response.json()
    original = kobo.api.get(f"{url}{original_id}/").json()
    assert copy["_id"] > original_id
    assert copy["_uuid"] != original["_uuid"]
    assert copy["description"] == original["description"]
    assert kobo.api.get(url).json()["count"] == 2


def test_deleting_an_asset_removes_its_data(kobo, good_eats):
    kobo.seed(good_eats, 2)
    uid = good_eats["uid"]
    assert kobo.api.delete(f"{kobo.url}/api/v2/assets/{uid}/").status_code == 204
    assert kobo.api.get(f"{kobo.url}/api/v2/assets/{uid}/").status_code == 404
    assert kobo.api.get(f"{kobo.url}/api/v2/assets/").json()["count"] == 0
    assert kobo.submit(kobo.good_eats_xml(good_eats, 9)).status_code == 404
