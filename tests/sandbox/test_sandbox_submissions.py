"""OpenRosa submissions and the records the data API serves for them."""

from __future__ import annotations

import re


def test_nested_repeats_records_have_kpi_shape(kobo, nested):
    for name in ("nested_repeats_01", "nested_repeats_02"):
        response = kobo.submit(kobo.instance(name, nested))
        assert response.status_code == 201, response.text
        assert response.headers["X-OpenRosa-Version"] == "1.0"
        assert response.headers["Location"] == f"{kobo.url}/submission"
        assert "<message>Successful submission.</message>" in response.text
        assert f'id="{nested["uid"]}"' in response.text
    page = kobo.api.get(kobo.data_url(nested["uid"])).json()
    recorded = kobo.recording("submissions/nested_repeats_data")["body"]
    assert page["count"] == 2
    assert kobo.shape(page) == kobo.shape(recorded)
    first, second = page["results"]
    expected = recorded["results"][0]
    for key in ("kids/has_kids", "kids/kids_details", "gps", "web_browsers", "_uuid",
                "meta/instanceID", "meta/rootUuid", "_geolocation", "_status"):  # fmt: skip
        assert first[key] == expected[key], key
    assert list(first) == list(expected)  # same keys, same order as KPI/Mongo
    assert first["_xform_id_string"] == nested["uid"]
    assert first["formhub/uuid"] == nested["deployment__uuid"]
    assert first["__version__"] == nested["version_id"]
    assert first["_submitted_by"] == kobo.server.username
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", first["_submission_time"])
    assert second["_id"] > first["_id"]
    harry = second["kids/kids_details"][2]
    assert harry == recorded["results"][1]["kids/kids_details"][2]


def test_record_by_id_and_by_uuid(kobo, nested):
    kobo.submit(kobo.instance("nested_repeats_01", nested))
    kobo.submit(kobo.instance("nested_repeats_02", nested))
    by_uuid = kobo.api.get(kobo.data_url(nested["uid"]) + "8742fb1c-50a5-4c54-80c6-4420129d14ce/")
    assert by_uuid.status_code == 200
    assert by_uuid.headers["Allow"] == "GET, DELETE, HEAD, OPTIONS"
    record = by_uuid.json()
    by_id = kobo.api.get(f"{kobo.data_url(nested['uid'])}{record['_id']}/").json()
    assert by_id == record
    assert record["address"] == "5678"


def test_text_keeps_xml_whitespace_and_empty_nodes_are_absent(kobo, good_eats):
    xml = kobo.good_eats_xml(good_eats, 1).replace("Generated meal 1", "Larry\n        Again\n  ")
    assert kobo.submit(xml).status_code == 201
    record = kobo.api.get(kobo.data_url(good_eats["uid"])).json()["results"][0]
    assert record["description"] == "Larry\n        Again\n  "
    assert "food_photo" not in record and "location_photo" not in record
    assert record["amount"] == "1.5"
    assert record["_geolocation"] == [-1.299, 36.801]


def test_missing_instance_id_is_400(kobo, good_eats):
    response = kobo.submit(kobo.instance("good_eats_multilang_1", good_eats))
    assert response.status_code == 400
    assert '<message nature="">Instance ID is required</message>' in response.text
    ok = kobo.submit(kobo.instance("good_eats_multilang_1_with_instanceID", good_eats))
    assert ok.status_code == 201


def test_duplicates_202_and_conflicts_409_burn_an_id(kobo, good_eats):
    xml = kobo.good_eats_xml(good_eats, 7)
    assert kobo.submit(xml).status_code == 201
    identical = kobo.submit(xml)
    assert identical.status_code == 202
    assert "Duplicate Instance" in identical.text
    conflicting = kobo.submit(xml.replace("Generated meal 7", "Generated meal 7 but different"))
    assert conflicting.status_code == 409
    assert "Submission with this instance ID already exists" in conflicting.text
    assert kobo.submit(kobo.good_eats_xml(good_eats, 8)).status_code == 201
    ids = [r["_id"] for r in kobo.api.get(kobo.data_url(good_eats["uid"])).json()["results"]]
    assert ids[1] == ids[0] + 2  # the 409 used up an id, the 202 did not
    record = kobo.api.get(f"{kobo.data_url(good_eats['uid'])}{ids[0]}/").json()
    assert record["description"] == "Generated meal 7"


def test_edits_keep_id_time_and_root_uuid(kobo, good_eats):
    original = kobo.good_eats_xml(good_eats, 5, "20bd097c-b74c-57f3-8764-22226bbca152")
    assert kobo.submit(original).status_code == 201
    url = kobo.data_url(good_eats["uid"])
    before = kobo.api.get(url).json()["results"][0]
    edit_1 = kobo.submit(kobo.instance("edit_1", good_eats))
    assert edit_1.status_code == 201
    edit_2 = kobo.submit(kobo.instance("edit_2", good_eats))
    assert edit_2.status_code == 201
    after = kobo.api.get(f"{url}{before['_id']}/").json()
    recorded = kobo.recording("edits/record_after_edit_2")["body"]
    assert set(after) == set(recorded)
    assert after["_id"] == before["_id"]
    assert after["_submission_time"] == before["_submission_time"]
    assert (
        after["meta/rootUuid"]
        == before["meta/rootUuid"]
        == "uuid:20bd097c-b74c-57f3-8764-22226bbca152"
    )
    assert after["_uuid"] == "e2e2e2e2-0000-4000-8000-000000000005"
    assert after["meta/deprecatedID"] == "uuid:e1e1e1e1-0000-4000-8000-000000000005"
    assert after["description"] == "Generated meal 5 (edited twice)"
    assert after["amount"] == "99.25"
    by_root = kobo.api.get(f"{url}20bd097c-b74c-57f3-8764-22226bbca152/").json()
    by_current = kobo.api.get(f"{url}e2e2e2e2-0000-4000-8000-000000000005/").json()
    assert by_root == by_current == after
    assert kobo.api.get(url).json()["count"] == 1


def test_edit_errors_and_resubmissions(kobo, good_eats):
    original = kobo.good_eats_xml(good_eats, 5, "20bd097c-b74c-57f3-8764-22226bbca152")
    kobo.submit(original)
    kobo.submit(kobo.instance("edit_1", good_eats))
    stale = kobo.submit(kobo.instance("edit_stale_deprecatedID", good_eats))
    assert stale.status_code == 410
    assert "deprecatedID refers to an old version" in stale.text
    unknown = kobo.submit(
        kobo.instance("edit_stale_deprecatedID", good_eats).replace("20bd097c", "deadbeef")
    )
    assert unknown.status_code == 404
    assert "deprecatedID not found" in unknown.text
    assert kobo.submit(kobo.instance("edit_1", good_eats)).status_code == 202
    assert kobo.submit(original).status_code == 409


def test_openrosa_auth_head_and_unknown_form(kobo, good_eats):
    xml = kobo.good_eats_xml(good_eats, 1)
    anonymous = kobo.submit(xml, auth=None)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Digest ")
    assert "<detail>Authentication credentials were not provided.</detail>" in anonymous.text
    head = kobo.api.head(f"{kobo.url}/submission")
    assert head.status_code == 204
    assert head.headers["X-OpenRosa-Version"] == "1.0"
    with_token = kobo.api.post(
        f"{kobo.url}/nswp/submission",
        files={"xml_submission_file": ("s.xml", xml.encode(), "text/xml")},
    )
    assert with_token.status_code == 201
    other = xml.replace(good_eats["uid"], "aNotDeployedAtAll000000").replace(
        good_eats["deployment__uuid"], "0" * 32
    )
    assert kobo.submit(other).status_code == 404


def test_archived_form_refuses_submissions(kobo, good_eats):
    kobo.api.patch(
        f"{kobo.url}/api/v2/assets/{good_eats['uid']}/deployment/", json={"active": False}
    )
    response = kobo.submit(kobo.good_eats_xml(good_eats, 1))
    assert response.status_code == 405
    assert "Form is not active" in response.text


def test_attachments_are_listed_and_downloadable(kobo, good_eats):
    xml = kobo.good_eats_xml(good_eats, 3).replace(
        "<food_photo />", "<food_photo>meal.jpg</food_photo>"
    )
    assert kobo.submit(xml, **{"meal.jpg": b"\xff\xd8jpegbytes"}).status_code == 201
    record = kobo.api.get(kobo.data_url(good_eats["uid"])).json()["results"][0]
    (attachment,) = record["_attachments"]
    assert attachment["media_file_basename"] == "meal.jpg"
    assert attachment["question_xpath"] == "food_photo"
    assert attachment["mimetype"] == "image/jpeg"
    assert attachment["filename"].endswith(f"/{record['_uuid']}/meal.jpg")
    assert kobo.api.get(attachment["download_url"]).content == b"\xff\xd8jpegbytes"
    assert kobo.submit(xml, **{"meal.jpg": b"\xff\xd8jpegbytes"}).status_code == 202


def test_submission_date_attribute_backdates_the_record(kobo, good_eats):
    xml = kobo.good_eats_xml(good_eats, 2).replace(
        f'id="{good_eats["uid"]}"', f'id="{good_eats["uid"]}" submissionDate="2020-05-01T10:00:00"'
    )
    assert kobo.submit(xml).status_code == 201
    record = kobo.api.get(kobo.data_url(good_eats["uid"])).json()["results"][0]
    assert record["_submission_time"] == "2020-05-01T10:00:00"
    query = '{"_submission_time": {"$lt": "2021-01-01T00:00:00"}}'
    assert (
        kobo.api.get(kobo.data_url(good_eats["uid"]), params={"query": query}).json()["count"] == 1
    )
