"""The data list endpoint: paging, `next`/`previous`, query, sort, fields and errors.

These tests only read, so they share one module-scoped server with 2,500 submissions.
"""

from __future__ import annotations

import json
from urllib.parse import quote


def _get(kobo, asset, params: str = ""):
    return kobo.api.get(kobo.data_url(asset["uid"]) + params)


def test_default_page_follows_next_through_every_record(seeded):
    kobo, asset, ids = seeded
    url = kobo.data_url(asset["uid"])
    first = kobo.api.get(url).json()
    assert first["count"] == 2500
    assert len(first["results"]) == 100
    assert first["next"] == f"{url}?limit=100&start=100"
    assert first["previous"] is None
    seen, pages, next_url = [], 0, url + "?limit=1000"
    while next_url:
        page = kobo.api.get(next_url).json()
        seen += [r["_id"] for r in page["results"]]
        pages += 1
        next_url = page["next"]
    assert pages == 3
    assert seen == ids
    last = kobo.api.get(url + "?limit=1000&start=2000").json()
    assert last["previous"] == f"{url}?limit=1000&start=1000"
    second = kobo.api.get(url + "?limit=1000&start=1000").json()
    assert second["previous"] == f"{url}?limit=1000"


def test_limit_is_capped_and_validated(seeded):
    kobo, asset, _ids = seeded
    capped = _get(kobo, asset, "?limit=30000").json()
    assert len(capped["results"]) == 1000
    assert capped["next"].endswith("?limit=1000&start=1000")
    for bad in ("0", "-5", "abc"):
        response = _get(kobo, asset, f"?limit={bad}")
        assert response.status_code == 400
        assert response.json() == {"limit": "A positive integer is required"}
    start = _get(kobo, asset, "?start=-1&limit=5")
    assert start.json() == {"start": "A positive integer is required."}
    count = _get(kobo, asset, "?count=1")
    assert count.status_code == 400
    assert "count" in count.json()


def test_start_past_the_end_and_offset_page_params(seeded):
    kobo, asset, ids = seeded
    url = kobo.data_url(asset["uid"])
    beyond = _get(kobo, asset, "?start=5000&limit=100").json()
    assert beyond["results"] == [] and beyond["next"] is None
    assert beyond["previous"] == f"{url}?limit=100&start=4900"
    offset = _get(kobo, asset, "?offset=1000&limit=3").json()
    assert [r["_id"] for r in offset["results"]] == ids[:3]  # offset is not the Mongo start
    assert offset["next"] == f"{url}?limit=3&offset=1000&start=1003"
    assert offset["previous"] == f"{url}?limit=3&offset=1000&start=997"
    page = _get(kobo, asset, "?page=2&limit=3").json()
    assert page["next"] == f"{url}?limit=3&page=2&start=103"


def test_cursor_query_with_sort_keeps_params_in_next(seeded):
    kobo, asset, ids = seeded
    query = json.dumps({"_id": {"$gt": ids[1000]}})
    sort = json.dumps({"_id": 1})
    body = kobo.api.get(
        kobo.data_url(asset["uid"]), params={"query": query, "sort": sort, "limit": "50"}
    ).json()
    assert body["count"] == 1499
    assert [r["_id"] for r in body["results"]] == ids[1001:1051]
    assert body["next"] == (
        f"{kobo.data_url(asset['uid'])}?limit=50&query={quote(query, safe='').replace('%20', '+')}"
        f"&sort={quote(sort, safe='').replace('%20', '+')}&start=50"
    )
    desc = _get(kobo, asset, '?sort={"_id": -1}&limit=5').json()
    assert [r["_id"] for r in desc["results"]] == ids[::-1][:5]


def test_query_operators(seeded):
    kobo, asset, ids = seeded

    def count(query: dict) -> int:
        response = kobo.api.get(kobo.data_url(asset["uid"]), params={"query": json.dumps(query)})
        assert response.status_code == 200, response.text
        return response.json()["count"]

    assert count({"_id": {"$in": [ids[0], ids[13], 999999]}}) == 2
    assert count({"food_type": {"$in": ["lunch", "dinner"]}}) == 834
    assert count({"food_type": {"$nin": ["lunch", "dinner"]}}) == 1666
    assert count({"food_type": {"$ne": "lunch"}}) == 2083
    assert count({"description": {"$regex": "^Generated meal 11[0-9]$"}}) == 10
    assert count({"description": {"$regex": "^generated MEAL 1$", "$options": "i"}}) == 1
    assert count({"_id": {"$gte": ids[10], "$lt": ids[20]}}) == 10
    assert count({"amount": {"$gt": "2"}}) > 0  # strings compare as strings, like Mongo
    assert count({"amount": {"$gt": 2}}) == 0  # a number never matches a string value
    assert count({"food_photo": {"$exists": False}}) == 2500
    assert count({"$or": [{"_id": ids[0]}, {"_id": ids[1]}]}) == 2
    assert count({"$and": [{"food_type": "lunch"}, {"_id": {"$lte": ids[9]}}]}) == 2
    assert count({"_validation_status.uid": "validation_status_approved"}) == 0
    assert count({"_id": {"$where": "true"}}) == 0  # not whitelisted: escaped, matches nothing
    assert count({"_id": str(ids[5])}) == 1  # a scalar _id is cast to int


def test_query_sort_fields_errors(seeded):
    kobo, asset, _ids = seeded
    malformed = _get(kobo, asset, '?query={"_id": {"$gt": 5')
    assert malformed.status_code == 400
    assert malformed.json() == {"query": "Value must be valid JSON."}
    assert _get(kobo, asset, "?query=[1,2]").status_code == 500
    assert _get(kobo, asset, '?sort={"_id":').json() == {"sort": "Value must be valid JSON."}
    assert _get(kobo, asset, '?fields=["_id"').json() == {"fields": "Value must be valid JSON."}
    unsupported = _get(kobo, asset, '?query={"$in": [1]}')
    assert unsupported.status_code == 400
    assert unsupported.json() == ["Unsupported query"]


def test_fields_projection_adds_uuid_root_and_validation(seeded):
    kobo, asset, ids = seeded
    body = _get(kobo, asset, '?fields=["_id", "_uuid"]&limit=3').json()
    assert body["next"].endswith("?fields=%5B%22_id%22%2C+%22_uuid%22%5D&limit=3&start=3")
    for record, expected_id in zip(body["results"], ids, strict=False):
        assert set(record) == {"_id", "_uuid", "meta/rootUuid", "_validation_status"}
        assert record["_id"] == expected_id
        assert record["meta/rootUuid"] == f"uuid:{record['_uuid']}"
    described = _get(kobo, asset, '?fields=["description"]&limit=1').json()["results"][0]
    assert described["description"] == "Generated meal 1"


def test_multi_key_sort_and_python_paths(seeded):
    kobo, asset, _ids = seeded
    body = _get(kobo, asset, '?sort={"food_type": 1, "_id": -1}&limit=3').json()
    assert [r["food_type"] for r in body["results"]] == ["caffeination"] * 3
    assert body["results"][0]["_id"] > body["results"][1]["_id"]
    by_time = _get(kobo, asset, '?sort={"_submission_time": -1}&limit=1').json()
    assert by_time["count"] == 2500


def test_json_suffix_xml_format_and_undeployed_or_unknown_assets(seeded):
    kobo, asset, ids = seeded
    suffix = kobo.api.get(f"{kobo.url}/api/v2/assets/{asset['uid']}/data.json?limit=2").json()
    assert [r["_id"] for r in suffix["results"]] == ids[:2]
    xml = _get(kobo, asset, "?format=xml&limit=2")
    assert xml.headers["Content-Type"].startswith("application/xml")
    assert xml.text.startswith('<?xml version="1.0" encoding="utf-8"?><root><count>2500</count>')
    assert xml.text.count(f'<{asset["uid"]} id="{asset["uid"]}">') == 2
    unknown = kobo.api.get(kobo.data_url("aAAAAAAAAAAAAAAAAAAAAA"))
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"].startswith("text/html")
    assert unknown.text == "Resource not found (404)"
    draft = kobo.create_asset("nested_repeats")
    undeployed = kobo.api.get(kobo.data_url(draft))
    assert undeployed.status_code == 400
    assert undeployed.json() == {"detail": "The specified asset has not been deployed"}
