"""Authentication: tokens, HTTP Basic, anonymous access, /token/."""

from __future__ import annotations

import requests


def test_bad_token_is_401_with_session_challenge(kobo):
    response = requests.get(
        f"{kobo.url}/api/v2/assets/", headers={"Authorization": "Token " + "f" * 40}, timeout=10
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response.headers["WWW-Authenticate"] == "Session"
    assert response.headers["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_anonymous_and_bearer_see_an_empty_list_and_404s(kobo, nested):
    for headers in ({}, {"Authorization": "Bearer junk"}):
        listing = requests.get(f"{kobo.url}/api/v2/assets/", headers=headers, timeout=10)
        assert listing.status_code == 200
        assert listing.json() == {"count": 0, "next": None, "previous": None, "results": []}
    detail = requests.get(f"{kobo.url}/api/v2/assets/{nested['uid']}/", timeout=10)
    assert detail.status_code == 404
    assert detail.json() == {"detail": "Not found."}
    data = requests.get(
        kobo.data_url(nested["uid"]), headers={"Accept": "application/json"}, timeout=10
    )
    assert data.status_code == 404
    assert data.json() == {"detail": "Not found."}
    mine = kobo.api.get(f"{kobo.url}/api/v2/assets/").json()
    assert mine["count"] == 1
    assert mine["results"][0]["uid"] == nested["uid"]
    assert set(mine["results"][0]) == set(
        kobo.recording("submissions/good_eats_asset_list_entry")["body"]["results"][0]
    )


def test_token_endpoint(kobo):
    anonymous = requests.get(f"{kobo.url}/token/", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    basic = requests.get(
        f"{kobo.url}/token/", auth=(kobo.server.username, kobo.server.password), timeout=10
    )
    assert basic.json() == {"token": kobo.server.token}
    assert basic.headers["Allow"] == "GET, POST, DELETE, HEAD, OPTIONS"
    wrong = requests.get(f"{kobo.url}/token/", auth=(kobo.server.username, "nope"), timeout=10)
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Invalid username/password."}


def test_basic_auth_works_on_the_api(kobo):
    response = requests.get(
        f"{kobo.url}/api/v2/assets/?q=asset_type:survey",
        auth=(kobo.server.username, kobo.server.password),
        timeout=10,
    )
    assert response.status_code == 200


def test_asset_list_pages_with_limit_and_start(kobo):
    uids = [kobo.create_asset("broken_no_survey_sheet") for _ in range(3)]
    page = kobo.api.get(f"{kobo.url}/api/v2/assets/?limit=2").json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"] == f"{kobo.url}/api/v2/assets/?limit=2&start=2"
    one = kobo.api.get(f"{kobo.url}/api/v2/assets/?q=uid:{uids[1]}").json()
    assert [a["uid"] for a in one["results"]] == [uids[1]]
