"""Flattening a Kobo submission into answers and repeat instances (pure, no database)."""

from __future__ import annotations

from nswp_survey.store.answers import FlatAnswer, RepeatNode, flatten_submission


def test_kobo_properties_are_not_answers() -> None:
    raw = {
        "_id": 7,
        "_uuid": "u",
        "__version__": "v1",
        "_version_": "v0",
        "_attachments": [{"uid": "att"}],
        "_geolocation": [1.0, 2.0],
        "_status": "submitted_via_web",
        "_submission_time": "2026-03-01T12:00:00",
        "_validation_status": {},
        "_submitted_by": None,
        "_xform_id_string": "aX",
        "_tags": [],
        "_notes": [],
        "formhub/uuid": "f" * 32,
        "meta/instanceID": "uuid:u",
        "meta/rootUuid": "uuid:u",
        "meta/deprecatedID": "uuid:t",
        "start": "2026-03-01T11:00:00.000+01:00",
        "org/name": "Sisters",
    }
    nodes, answers = flatten_submission(raw)
    assert nodes == []
    assert answers == [
        FlatAnswer(None, "start", "2026-03-01T11:00:00.000+01:00"),
        FlatAnswer(None, "org/name", "Sisters"),
    ]


def test_values_that_are_not_strings_are_kept_as_json() -> None:
    raw = {"n": 6, "ok": True, "gone": None, "many": ["a", "b"], "empty": [], "obj": {"k": "ü"}}
    _, answers = flatten_submission(raw)
    assert [(a.path, a.value) for a in answers] == [
        ("n", "6"),
        ("ok", "true"),
        ("gone", None),
        ("many", '["a","b"]'),
        ("obj", '{"k":"ü"}'),
    ]


def test_repeats_and_nested_repeats_become_linked_nodes() -> None:
    raw = {
        "law_change": [
            {"law_change/what": "decrim", "law_change/steps": [{"law_change/steps/s": "1"}]},
            {"law_change/what": "policy"},
        ],
        "after": "x",
    }
    nodes, answers = flatten_submission(raw)
    assert nodes == [
        RepeatNode("law_change", 0, None, 0),
        RepeatNode("law_change/steps", 0, 0, 1),
        RepeatNode("law_change", 1, None, 0),
    ]
    assert answers == [
        FlatAnswer(0, "law_change/what", "decrim"),
        FlatAnswer(1, "law_change/steps/s", "1"),
        FlatAnswer(2, "law_change/what", "policy"),
        FlatAnswer(None, "after", "x"),
    ]
