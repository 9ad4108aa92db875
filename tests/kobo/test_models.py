"""Parsing Kobo JSON into dataclasses, across the differences between KPI releases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nswp_survey.errors import KoboResponseError
from nswp_survey.kobo import (
    Asset,
    AssetVersion,
    Attachment,
    Deployment,
    HistoryEntry,
    ImportTask,
    Submission,
    ValidationStatus,
)
from nswp_survey.kobo.models import parse_datetime


def test_submission_maps_kobo_names_to_snake_case(make_record):
    record = make_record(15)
    record["meta/deprecatedID"] = "uuid:e1e1e1e1-0000-4000-8000-000000000005"
    record["meta/rootUuid"] = "uuid:20bd097c-b74c-57f3-8764-22226bbca152"
    sub = Submission.from_json(record)
    assert sub.id == 15
    assert sub.uuid == "00000000-0000-4000-8000-000000000015"
    assert sub.root_uuid == "20bd097c-b74c-57f3-8764-22226bbca152"
    assert sub.instance_id == "uuid:00000000-0000-4000-8000-000000000015"
    assert sub.deprecated_id == "uuid:e1e1e1e1-0000-4000-8000-000000000005"
    assert sub.version == "vtnjsJgfZTvGHZ8CnLgU6c"
    assert sub.submission_time == datetime(2026, 11, 24, 6, 12, 16, tzinfo=UTC)
    assert sub.validation_status is None
    assert sub.submitted_by == "kobotest"
    assert sub.xform_id_string == "aXNkhESxKtiPDPuBLygopT"
    assert sub.attachments == []
    assert sub.raw is record
    assert sub.answers["food_type"] == "deserts"
    assert "_id" not in sub.answers


def test_submission_without_root_uuid_falls_back_to_instance_id(make_record):
    record = make_record(7)
    del record["meta/rootUuid"]
    assert Submission.from_json(record).root_uuid == "00000000-0000-4000-8000-000000000007"


def test_submission_with_only_id_and_uuid_from_fields(make_record):
    # fields=["_id","_uuid"]: KPI adds meta/rootUuid and _validation_status, nothing else.
    sub = Submission.from_json(
        {"_uuid": "9d9c", "meta/rootUuid": "uuid:9d9c", "_id": 9, "_validation_status": {}}
    )
    assert (sub.id, sub.uuid, sub.root_uuid) == (9, "9d9c", "9d9c")
    assert sub.submission_time is None
    assert sub.version is None
    assert sub.instance_id is None


def test_old_release_shape_with_tags_notes_and_no_version(make_record):
    # 2017 shape (kpi/tests/test_mock_data_exports.py): _tags/_notes, no __version__ nor rootUuid.
    record = make_record(3, _tags=[], _notes=[])
    del record["__version__"]
    del record["meta/rootUuid"]
    del record["_validation_status"]
    sub = Submission.from_json(record)
    assert sub.version is None
    assert sub.validation_status is None
    assert sub.root_uuid == sub.uuid


def test_legacy_version_key_is_used_when_dunder_version_is_absent(make_record):
    record = make_record(3, _version_="vOLD")
    del record["__version__"]
    assert Submission.from_json(record).version == "vOLD"


def test_validation_status_uid_is_kept_and_empty_is_none(make_record):
    approved = {
        "timestamp": 1795500866,
        "uid": "validation_status_approved",
        "by_whom": "kobotest",
        "label": "Approved",
    }
    assert Submission.from_json(make_record(49, _validation_status=approved)).validation_status == (
        "validation_status_approved"
    )
    assert Submission.from_json(make_record(50, _validation_status={})).validation_status is None
    status = ValidationStatus.from_json(approved)
    assert status is not None
    assert status.timestamp == datetime.fromtimestamp(1795500866, UTC)
    assert ValidationStatus.from_json({}) is None


def test_attachments_are_parsed(make_record):
    raw = {
        "download_url": "https://kobo.example.org/api/v2/assets/aX/data/7/attachments/attX/",
        "mimetype": "image/jpeg",
        "filename": "kobotest/attachments/78ad/0a2a/IMG_1.jpg",
        "media_file_basename": "IMG_1.jpg",
        "uid": "attX",
        "question_xpath": "photo",
        "is_deleted": False,
    }
    sub = Submission.from_json(make_record(7, _attachments=[raw]))
    assert sub.attachments == [
        Attachment(
            uid="attX",
            filename="kobotest/attachments/78ad/0a2a/IMG_1.jpg",
            basename="IMG_1.jpg",
            mimetype="image/jpeg",
            download_url=raw["download_url"],
            question_xpath="photo",
            is_deleted=False,
            raw=raw,
        )
    ]


@pytest.mark.parametrize("bad_id", [None, "abc", True, [1]], ids=["none", "text", "bool", "list"])
def test_submission_without_a_usable_id_raises(make_record, bad_id):
    with pytest.raises(KoboResponseError, match="_id"):
        Submission.from_json(make_record(1, _id=bad_id))


def test_submission_that_is_not_an_object_raises():
    with pytest.raises(KoboResponseError, match="expected a submission as a JSON object, got list"):
        Submission.from_json([1, 2])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-24T06:12:16", datetime(2026, 11, 24, 6, 12, 16, tzinfo=UTC)),
        ("2026-11-24T06:11:17.846972Z", datetime(2026, 11, 24, 6, 11, 17, 846972, tzinfo=UTC)),
        ("2026-11-24T08:11:17+02:00", datetime(2026, 11, 24, 6, 11, 17, tzinfo=UTC)),
        (False, None),
        (None, None),
    ],
)
def test_parse_datetime_gives_aware_utc(value, expected):
    assert parse_datetime(value) == expected


def test_parse_datetime_rejects_garbage():
    with pytest.raises(KoboResponseError, match="unexpected date from the Kobo server: 'soon'"):
        parse_datetime("soon")


def test_asset_draft_and_deployed():
    draft = Asset.from_json(
        {
            "uid": "as2zqxq3pBXhHSdahcdXXP",
            "name": "Nested repeats Test",
            "asset_type": "survey",
            "version_id": "vEvRYjQexng6UUd2CWG2Jc",
            "deployed_version_id": None,
            "has_deployment": False,
            "deployment__active": False,
            "deployment_status": "draft",
            "deployment__submission_count": 0,
            "date_modified": "2026-11-24T06:11:16.834257Z",
            "owner": "http://127.0.0.1:8000/api/v2/users/kobotest/",
            "owner__username": "kobotest",
        }
    )
    assert draft.deployed_version_id is None
    assert not draft.has_deployment
    assert draft.deployment_status == "draft"
    assert draft.owner == "kobotest"
    assert draft.content is None
    assert Asset.from_json({"uid": "a1", "deployment_status": "-"}).deployment_status is None


def test_asset_version_with_date_deployed_false_is_not_deployed():
    version = AssetVersion.from_json(
        {
            "uid": "v1",
            "content_hash": "abc",
            "date_deployed": False,
            "date_modified": "2026-11-24T06:11:18.667178Z",
            "version_number": "11.4",
        }
    )
    assert version.date_deployed is None
    assert not version.deployed
    assert version.version_number == "11.4"


def test_import_task_asset_uid_from_created_or_updated_and_error_fields():
    created = ImportTask.from_json(
        {
            "status": "complete",
            "uid": "i1",
            "messages": {"created": [{"uid": "aNEW", "kind": "asset"}]},
        }
    )
    updated = ImportTask.from_json(
        {
            "status": "complete",
            "uid": "i2",
            "messages": {"updated": [{"uid": "aOLD"}], "audit_logs": []},
        }
    )
    failed = ImportTask.from_json(
        {
            "status": "error",
            "uid": "i3",
            "messages": {
                "error": "Duplicate node name: age",
                "error_type": "DuplicateNameException",
            },
        }
    )
    fresh = ImportTask.from_json(
        {"uid": "i4", "url": "https://x/api/v2/imports/i4/", "status": "processing"}
    )
    assert (created.asset_uid, updated.asset_uid, failed.asset_uid, fresh.asset_uid) == (
        "aNEW",
        "aOLD",
        None,
        None,
    )
    assert (failed.error_type, failed.error) == (
        "DuplicateNameException",
        "Duplicate node name: age",
    )
    assert fresh.messages == {}


def test_deployment_carries_its_asset():
    deployment = Deployment.from_json(
        {
            "backend": "openrosa",
            "active": True,
            "version_id": "v1",
            "asset": {"uid": "a1", "name": "x"},
        }
    )
    assert deployment.active
    assert deployment.asset is not None
    assert deployment.asset.uid == "a1"


def test_history_entry_root_uuid_has_no_prefix():
    entry = HistoryEntry.from_json(
        {
            "username": "kobotest",
            "action": "delete-submission",
            "metadata": {"submission": {"root_uuid": "a35dd972", "submitted_by": "kobotest"}},
            "date_created": "2026-11-24T06:14:27Z",
        }
    )
    assert entry.action == "delete-submission"
    assert entry.submission_root_uuid == "a35dd972"
    assert entry.date_created == datetime(2026, 11, 24, 6, 14, 27, tzinfo=UTC)
