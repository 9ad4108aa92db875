"""SubmissionService: cursor paging, single reads, deletes, validation, attachment downloads."""

from __future__ import annotations

import json
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from responses import matchers

from nswp_survey.errors import (
    KoboHTTPError,
    KoboNotFoundError,
    KoboResponseError,
    KoboUnavailableError,
)
from nswp_survey.kobo import Attachment
from nswp_survey.kobo.submissions import build_data_params

BASE = "https://kobo.example.org"
UID = "aXNkhESxKtiPDPuBLygopT"
DATA = f"{BASE}/api/v2/assets/{UID}/data/"


def sent_params(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def attachment(url: str = f"{DATA}7/attachments/attX/", **changes) -> Attachment:
    raw = {
        "download_url": url,
        "mimetype": "image/jpeg",
        "filename": "kobotest/attachments/78ad/0a2a/IMG_1.jpg",
        "media_file_basename": "IMG_1.jpg",
        "uid": "attX",
    }
    raw.update(changes)
    return Attachment.from_json(raw)


# -- paging -------------------------------------------------------------------------------------
def test_iter_pages_sends_the_id_cursor_sorted_with_compact_json(
    client, kobo, make_page, make_record
):
    kobo.get(DATA, json=make_page([make_record(1110), make_record(1111)]))
    pages = list(client.submissions.iter_pages(UID, after_id=1109))
    assert sent_params(kobo.calls[0]) == {
        "query": '{"_id":{"$gt":1109}}',
        "sort": '{"_id":1}',
        "limit": "1000",
    }
    assert [s.id for s in pages[0].results] == [1110, 1111]


def test_iter_pages_merges_an_extra_query_and_fields(client, kobo, make_page, make_record):
    kobo.get(DATA, json=make_page([make_record(5)]))
    list(
        client.submissions.iter_pages(
            UID,
            after_id=4,
            query={"food_type": {"$in": ["lunch"]}},
            fields=["_id", "_uuid"],
            page_size=50,
        )
    )
    params = sent_params(kobo.calls[0])
    assert json.loads(params["query"]) == {"food_type": {"$in": ["lunch"]}, "_id": {"$gt": 4}}
    assert params["fields"] == '["_id","_uuid"]'
    assert params["limit"] == "50"


def test_an_extra_query_on_id_is_combined_with_and():
    params = build_data_params(after_id=10, query={"_id": {"$in": [9, 14]}}, page_size=5)
    assert json.loads(params["query"]) == {
        "$and": [{"_id": {"$in": [9, 14]}}, {"_id": {"$gt": 10}}]
    }


def test_without_cursor_or_query_no_query_param_is_sent():
    assert build_data_params(page_size=100) == {"sort": '{"_id":1}', "limit": "100"}


def test_page_size_must_be_positive():
    with pytest.raises(ValueError, match="page_size must be at least 1"):
        build_data_params(page_size=0)


def test_iter_submissions_flattens_pages_following_next(client, kobo, make_page, make_record):
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"sort": '{"_id":1}', "limit": "2"})],
        json=make_page(
            [make_record(1), make_record(2)],
            count=3,
            next_url=f"{DATA}?limit=2&sort=%7B%22_id%22%3A1%7D&start=2",
        ),
    )
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"sort": '{"_id":1}', "limit": "2", "start": "2"})],
        json=make_page([make_record(3)], count=3),
    )
    assert [s.id for s in client.submissions.iter_submissions(UID, page_size=2)] == [1, 2, 3]


def test_data_of_an_undeployed_asset_is_an_http_error(client, kobo):
    kobo.get(DATA, status=400, json={"detail": "The specified asset has not been deployed"})
    with pytest.raises(KoboHTTPError, match=r"\(400 The specified asset has not been deployed\)"):
        list(client.submissions.iter_submissions(UID))


def test_data_of_an_unknown_asset_is_not_found_even_as_html(client, kobo):
    kobo.get(
        DATA, status=404, body="Resource not found (404)", content_type="text/html; charset=utf-8"
    )
    with pytest.raises(KoboNotFoundError, match=r"\(404 Resource not found \(404\)\)"):
        list(client.submissions.iter_submissions(UID))


# -- one submission ----------------------------------------------------------------------------
def test_get_by_id_and_by_prefixed_uuid(client, kobo, make_record):
    kobo.get(f"{DATA}15/", json=make_record(15))
    kobo.get(f"{DATA}20bd097c-b74c-57f3-8764-22226bbca152/", json=make_record(15))
    assert client.submissions.get(UID, 15).id == 15
    assert client.submissions.get(UID, "uuid:20bd097c-b74c-57f3-8764-22226bbca152").id == 15


def test_get_missing_is_not_found(client, kobo):
    kobo.get(f"{DATA}29/", status=404, json={"detail": "Not found."})
    with pytest.raises(KoboNotFoundError, match=r"\(404 Not found\.\)"):
        client.submissions.get(UID, 29)


def test_delete_and_delete_missing(client, kobo):
    kobo.delete(f"{DATA}29/", status=204)
    kobo.delete(f"{DATA}29/", status=404, json={"detail": "Not found."})
    assert client.submissions.delete(UID, 29) is True
    assert client.submissions.delete(UID, 29, missing_ok=True) is False
    with pytest.raises(KoboNotFoundError):
        client.submissions.delete(UID, 29)


def test_bulk_delete_wraps_ids_in_payload_and_returns_the_count(client, kobo):
    kobo.delete(
        f"{DATA}bulk/",
        json={"detail": "2 submissions have been deleted"},
        match=[matchers.json_params_matcher({"payload": {"submission_ids": [39, 40]}})],
    )
    assert client.submissions.bulk_delete(UID, [39, 40]) == 2


def test_bulk_delete_of_nothing_sends_nothing(client, kobo):
    assert client.submissions.bulk_delete(UID, []) == 0
    assert len(kobo.calls) == 0


def test_bulk_delete_with_an_unknown_id_fails_whole(client, kobo):
    kobo.delete(
        f"{DATA}bulk/", status=400, json={"detail": "One or more submission ids are invalid"}
    )
    with pytest.raises(KoboHTTPError, match=r"\(400 One or more submission ids are invalid\)"):
        client.submissions.bulk_delete(UID, [39, 999999])


def test_bulk_delete_is_not_retried_once_it_may_have_reached_the_server(client, kobo):
    # A repeat would name ids already gone, and KPI rejects the whole batch.
    kobo.delete(f"{DATA}bulk/", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(KoboUnavailableError, match="was not retried"):
        client.submissions.bulk_delete(UID, [1])
    assert len(kobo.calls) == 1


# -- validation status ----------------------------------------------------------------------
def test_set_validation_status(client, kobo):
    answer = {
        "timestamp": 1795500866,
        "uid": "validation_status_approved",
        "by_whom": "kobotest",
        "label": "Approved",
    }
    kobo.patch(
        f"{DATA}49/validation_status/",
        json=answer,
        match=[
            matchers.json_params_matcher({"validation_status.uid": "validation_status_approved"})
        ],
    )
    status = client.submissions.set_validation_status(UID, 49, "validation_status_approved")
    assert status is not None
    assert (status.uid, status.by_whom, status.label) == (
        "validation_status_approved",
        "kobotest",
        "Approved",
    )


def test_clearing_validation_status_deletes_it(client, kobo):
    kobo.delete(f"{DATA}50/validation_status/", status=204)
    assert client.submissions.set_validation_status(UID, 50, None) is None
    assert kobo.calls[0].request.method == "DELETE"


def test_invalid_validation_status_is_an_http_error(client, kobo):
    kobo.patch(
        f"{DATA}49/validation_status/",
        status=400,
        json={"detail": "Invalid validation status: `validation_status_bogus`"},
    )
    with pytest.raises(KoboHTTPError, match="Invalid validation status: `validation_status_bogus`"):
        client.submissions.set_validation_status(UID, 49, "validation_status_bogus")


def test_get_validation_status_empty_is_none(client, kobo):
    kobo.get(f"{DATA}49/validation_status/", json={})
    assert client.submissions.get_validation_status(UID, 49) is None


def test_set_validation_statuses_in_bulk(client, kobo):
    kobo.patch(
        f"{DATA}validation_statuses/",
        json={"detail": "2 submissions have been updated"},
        match=[
            matchers.json_params_matcher(
                {
                    "payload": {
                        "submission_ids": [51, 52],
                        "validation_status.uid": "validation_status_not_approved",
                    }
                }
            )
        ],
    )
    assert (
        client.submissions.set_validation_statuses(UID, [51, 52], "validation_status_not_approved")
        == 2
    )


# -- attachments -----------------------------------------------------------------------------
def test_download_attachment_streams_to_an_owner_only_file(client, kobo, tmp_path):
    kobo.get(f"{DATA}7/attachments/attX/", body=b"\xff\xd8jpeg-bytes", content_type="image/jpeg")
    dest = client.submissions.download_attachment(attachment(), tmp_path / "photo.jpg")
    assert dest == tmp_path / "photo.jpg"
    assert dest.read_bytes() == b"\xff\xd8jpeg-bytes"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert kobo.calls[0].request.headers["Authorization"].startswith("Token ")
    assert list(tmp_path.iterdir()) == [dest]


def test_download_into_a_directory_uses_the_basename(client, kobo, tmp_path):
    kobo.get(f"{DATA}7/attachments/attX/", body=b"x", content_type="image/jpeg")
    assert client.submissions.download_attachment(attachment(), tmp_path) == tmp_path / "IMG_1.jpg"


@pytest.mark.parametrize("name", ["../../IMG_1.jpg", "{tmp}/IMG_1.jpg", "..\\..\\IMG_1.jpg"])
def test_download_into_a_directory_keeps_only_the_last_part_of_a_hostile_name(
    client, kobo, tmp_path, name
):
    kobo.get(f"{DATA}7/attachments/attX/", body=b"x", content_type="image/jpeg")
    folder = tmp_path / "files"
    folder.mkdir()
    hostile = attachment(media_file_basename=name.format(tmp=tmp_path))
    saved = client.submissions.download_attachment(hostile, folder)
    assert saved == folder / "IMG_1.jpg"
    assert list(tmp_path.rglob("*")) == [folder, saved]


def test_download_into_a_directory_without_a_usable_name_is_refused(client, kobo, tmp_path):
    hostile = attachment(media_file_basename="..", uid="../..")
    with pytest.raises(KoboResponseError, match="has no usable file name"):
        client.submissions.download_attachment(hostile, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert len(kobo.calls) == 0


def test_download_over_an_existing_world_readable_file_ends_0600(client, kobo, tmp_path):
    dest = tmp_path / "photo.jpg"
    dest.write_bytes(b"old")
    dest.chmod(0o644)
    kobo.get(f"{DATA}7/attachments/attX/", body=b"new", content_type="image/jpeg")
    client.submissions.download_attachment(attachment(), dest)
    assert dest.read_bytes() == b"new"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_download_cut_short_is_retried(client, kobo, tmp_path, sleeps):
    url = f"{DATA}7/attachments/attX/"
    kobo.get(url, body=b"half", headers={"Content-Length": "8"}, content_type="image/jpeg")
    kobo.get(url, body=b"complete", content_type="image/jpeg")
    dest = client.submissions.download_attachment(attachment(), tmp_path / "a.jpg")
    assert dest.read_bytes() == b"complete"
    assert len(kobo.calls) == 2
    assert sleeps == [1.0]


def test_download_always_cut_short_leaves_no_file(client, kobo, tmp_path):
    url = f"{DATA}7/attachments/attX/"
    kobo.get(url, body=b"half", headers={"Content-Length": "8"}, content_type="image/jpeg")
    with pytest.raises(KoboResponseError, match="was cut short"):
        client.submissions.download_attachment(attachment(), tmp_path / "a.jpg")
    assert list(tmp_path.iterdir()) == []
    assert len(kobo.calls) == 4


def test_download_of_a_login_page_raises(client, kobo, tmp_path):
    kobo.get(f"{DATA}7/attachments/attX/", body="<html>login</html>", content_type="text/html")
    with pytest.raises(KoboResponseError, match=r"got text/html \(a login page\?\)"):
        client.submissions.download_attachment(attachment(), tmp_path / "a.jpg")
    assert list(tmp_path.iterdir()) == []


def test_download_from_another_host_is_refused(client, kobo, tmp_path):
    with pytest.raises(KoboResponseError, match=r"refusing to call https://files\.example\.net/x"):
        client.submissions.download_attachment(attachment("https://files.example.net/x"), tmp_path)
    assert len(kobo.calls) == 0
