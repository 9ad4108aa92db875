"""A file-backed sandbox keeps assets, records and the `_id` sequence across restarts."""

from __future__ import annotations

import requests

from nswp_survey.sandbox import SandboxServer


def test_file_database_survives_a_restart(tmp_path):
    db_path = tmp_path / "sandbox.sqlite3"
    token = "a" * 40
    with SandboxServer(db_path=db_path, token=token) as first:
        api = requests.Session()
        api.headers["Authorization"] = f"Token {token}"
        content = {"survey": [{"type": "text", "name": "q", "label": "Q"}]}
        uid = api.post(
            f"{first.url}/api/v2/assets/",
            json={"name": "Kept", "asset_type": "survey", "content": content},
            timeout=10,
        ).json()["uid"]
        asset = api.post(
            f"{first.url}/api/v2/assets/{uid}/deployment/", json={"active": True}, timeout=10
        ).json()["asset"]
        xml = (
            f'<{uid} id="{uid}"><formhub><uuid>{asset["deployment__uuid"]}</uuid></formhub>'
            f"<q>kept</q><meta><instanceID>uuid:{{}}</instanceID></meta></{uid}>"
        )
        first_id = first.ingest_xml(xml.format("11111111-0000-4000-8000-000000000000").encode())
    with SandboxServer(db_path=db_path, token=token) as second:
        response = requests.get(
            f"{second.url}/api/v2/assets/{uid}/data/",
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        ).json()
        assert response["results"][0]["q"] == "kept"
        assert response["results"][0]["_id"] == first_id["_id"]
        second_id = second.ingest_xml(xml.format("22222222-0000-4000-8000-000000000000").encode())
        assert second_id["_id"] == first_id["_id"] + 1
    assert db_path.exists()
