"""Fault injection: scripted faults, seeded rates, latency, control and stats endpoints."""

from __future__ import annotations

import json
import time

import pytest
import requests

from nswp_survey.sandbox import Faults, SandboxServer


def _fresh_get(kobo, path: str = "/api/v2/assets/") -> requests.Response:
    """A new connection per call, so a dropped one does not spoil the next."""
    headers = {"Authorization": f"Token {kobo.server.token}", "Connection": "close"}
    return requests.get(kobo.url + path, headers=headers, timeout=10)


def test_scripted_statuses(kobo):
    kobo.server.set_faults(Faults(script=["503", "500", "502", "504", "429", "ok"]))
    unavailable = _fresh_get(kobo)
    assert unavailable.status_code == 503
    assert "nginx" in unavailable.text
    server_error = _fresh_get(kobo)
    assert server_error.status_code == 500
    assert server_error.json() == {"error": "Server Error (500)"}
    assert _fresh_get(kobo).status_code == 502
    assert _fresh_get(kobo).status_code == 504
    throttled = _fresh_get(kobo)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.json() == {"detail": "Request was throttled. Expected available in 1 second."}
    assert _fresh_get(kobo).status_code == 200  # "ok"
    assert _fresh_get(kobo).status_code == 200  # script exhausted, no rates


def test_drop_before_any_byte(kobo):
    kobo.server.set_faults(Faults(script=["drop"]))
    with pytest.raises(requests.ConnectionError):
        _fresh_get(kobo)
    assert _fresh_get(kobo).status_code == 200


def test_drop_midbody_after_full_content_length(kobo, good_eats):
    kobo.server.set_faults(Faults(script=["drop_midbody"]))
    xml = kobo.good_eats_xml(good_eats, 1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        kobo.submit(xml)
    # the server did process it: a retry is an identical duplicate
    assert kobo.submit(xml).status_code == 202


def test_html_login_page_and_truncated_json(kobo):
    kobo.server.set_faults(Faults(script=["html", "truncate"]))
    html = _fresh_get(kobo)
    assert html.status_code == 200
    assert html.headers["Content-Type"].startswith("text/html")
    truncated = _fresh_get(kobo)
    assert truncated.status_code == 200
    assert int(truncated.headers["Content-Length"]) == len(truncated.content)
    with pytest.raises(ValueError):
        truncated.json()


def test_seeded_rates_are_deterministic(kobo):
    def run() -> list[int]:
        kobo.server.set_faults(Faults(error_rate=0.3, throttle_rate=0.2, seed=7))
        return [_fresh_get(kobo).status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert set(first) - {200, 429, 500, 502, 503, 504} == set()
    assert 200 in first and any(s != 200 for s in first)


def test_latency_is_added(kobo):
    started = time.perf_counter()
    _fresh_get(kobo)
    baseline = time.perf_counter() - started
    kobo.server.set_faults(Faults(latency=0.2))
    started = time.perf_counter()
    assert _fresh_get(kobo).status_code == 200
    assert time.perf_counter() - started >= 0.2 > baseline


def test_control_endpoint_and_stats(kobo):
    control = f"{kobo.url}/__sandbox__/faults"
    assert requests.post(control, json={"script": ["503"]}, timeout=10).status_code == 401
    set_faults = kobo.api.post(control, json={"script": ["503", "429"], "seed": 1})
    assert set_faults.status_code == 200
    assert set_faults.json()["script"] == ["503", "429"]
    assert kobo.api.post(control, json={"nonsense": 1}).status_code == 400
    assert kobo.api.get(control).json()["script"] == ["503", "429"]  # control is never faulted
    assert _fresh_get(kobo).status_code == 503
    assert kobo.api.delete(f"{kobo.url}/__sandbox__/stats").status_code == 204
    kobo.api.post(control, json={})
    _fresh_get(kobo)
    _fresh_get(kobo, "/api/v2/imports/i0000000000000000000000/")
    kobo.api.head(f"{kobo.url}/submission")
    stats = kobo.api.get(f"{kobo.url}/__sandbox__/stats").json()
    assert stats["total"] == 3
    assert stats["by_kind"] == {"assets": 1, "imports": 1, "submission": 1}


def test_faults_given_at_construction_and_ingest_is_not_faulted():
    with SandboxServer(faults=Faults(script=["503"])) as server:
        assert server.injector.faults.script == ["503"]
        assert server.ingest_xml(b"<x/>")["status"] == 404  # no form: the OpenRosa path
        response = requests.get(f"{server.url}/api/v2/assets/", timeout=10)
        assert response.status_code == 503
        stats = requests.get(
            f"{server.url}/__sandbox__/stats",
            headers={"Authorization": f"Token {server.token}"},
            timeout=10,
        )
        assert json.loads(stats.text)["faults"] == {"503": 1}
