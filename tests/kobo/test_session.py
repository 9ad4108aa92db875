"""KoboSession: headers, URL joining, status mapping, retries and their waits."""

from __future__ import annotations

import email.utils
import logging
import random
import time

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from nswp_survey.config import KoboSettings
from nswp_survey.errors import (
    KoboAuthError,
    KoboError,
    KoboHTTPError,
    KoboNotFoundError,
    KoboResponseError,
    KoboUnavailableError,
)
from nswp_survey.kobo import KoboClient, KoboSession
from nswp_survey.kobo.session import MAX_BACKOFF, MAX_RETRY_AFTER, USER_AGENT

BASE = "https://kobo.example.org"
ASSETS = f"{BASE}/api/v2/assets/"
ONE = f"{BASE}/api/v2/assets/aXNkhESxKtiPDPuBLygopT/"
DATA = f"{ONE}data/"
PAGE = {"count": 0, "next": None, "previous": None, "results": []}


def connect_error(url: str = ONE) -> requests.ConnectionError:
    """What requests raises when the TCP connection cannot be opened."""
    reason = NewConnectionError(
        object(), "Failed to establish a new connection: [Errno 111] refused"
    )
    return requests.ConnectionError(MaxRetryError(None, url, reason))


def dropped_connection() -> requests.ConnectionError:
    """What requests raises when the server hangs up after the request was sent."""
    return requests.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    )


# -- what every request carries --------------------------------------------------------------
def test_requests_carry_token_accept_user_agent_and_timeout(client, kobo, settings):
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/")
    sent = kobo.calls[0].request
    assert sent.headers["Authorization"] == f"Token {settings.token}"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("nswp-survey/0.")
    assert sent.req_kwargs["timeout"] == (7.0, 7.0)


def test_no_token_means_no_authorization_header(kobo, sleeps):
    session = KoboSession(KoboSettings(url=BASE), sleep=sleeps.append)
    kobo.get(ASSETS, json=PAGE)
    session.get_json("/api/v2/assets/")
    assert "Authorization" not in kobo.calls[0].request.headers


def test_relative_paths_join_onto_a_base_url_with_a_path(kobo, sleeps):
    session = KoboSession(KoboSettings(url=f"{BASE}/kobo/", token="t" * 40), sleep=sleeps.append)
    assert session.url("/api/v2/assets/") == f"{BASE}/kobo/api/v2/assets/"
    assert session.url("api/v2/assets/") == f"{BASE}/kobo/api/v2/assets/"


def test_absolute_url_to_another_host_is_refused_before_sending(client, kobo):
    with pytest.raises(KoboResponseError) as caught:
        client.session.get_json("https://evil.example.net/api/v2/assets/")
    assert str(caught.value) == (
        "refusing to call https://evil.example.net/api/v2/assets/: it is neither on "
        "https://kobo.example.org nor on the OpenRosa host, the only places that may receive "
        "the token; check kobo.url"
    )
    assert len(kobo.calls) == 0


def test_plain_http_link_to_our_https_host_is_upgraded(client):
    assert client.session.url("http://kobo.example.org/api/v2/x/?a=1") == (
        "https://kobo.example.org/api/v2/x/?a=1"
    )


# -- status mapping --------------------------------------------------------------------------
def test_401_invalid_token_raises_auth_error_naming_the_env_var(client, kobo):
    kobo.get(
        ASSETS,
        status=401,
        json={"detail": "Invalid token."},
        headers={"WWW-Authenticate": "Session"},
    )
    with pytest.raises(KoboAuthError) as caught:
        client.session.get_json("/api/v2/assets/")
    assert str(caught.value) == (
        "the Kobo server refused the token, answering 401 (Invalid token.): check NSWP_KOBO_TOKEN"
    )
    assert caught.value.status == 401
    assert caught.value.exit_code == 3


def test_401_without_a_token_says_to_set_one(kobo, sleeps):
    session = KoboSession(KoboSettings(url=BASE), sleep=sleeps.append)
    kobo.get(ASSETS, status=401, json={"detail": "Authentication credentials were not provided."})
    with pytest.raises(KoboAuthError) as caught:
        session.get_json("/api/v2/assets/")
    assert str(caught.value) == (
        "the Kobo server wants a token, answering 401 (Authentication credentials were not "
        "provided.): set NSWP_KOBO_TOKEN"
    )


def test_403_raises_auth_error_about_permissions(client, kobo):
    kobo.get(ONE, status=403, json={"detail": "You do not have permission to perform this action."})
    with pytest.raises(KoboAuthError) as caught:
        client.session.get_json(ONE)
    assert str(caught.value) == (
        f"the Kobo server refused GET {ONE} for this account (403 (You do not have permission "
        "to perform this action.)): check the project's sharing permissions and NSWP_KOBO_TOKEN"
    )
    assert caught.value.status == 403


def test_404_json_raises_not_found(client, kobo):
    kobo.get(ONE, status=404, json={"detail": "Not found."})
    with pytest.raises(KoboNotFoundError) as caught:
        client.session.get_json(ONE)
    assert str(caught.value) == (
        f"not found on the Kobo server: GET {ONE} (404 Not found.): check the uid and that this "
        "token's account can see the project"
    )
    assert caught.value.url == ONE


def test_404_text_html_on_data_of_unknown_asset_raises_not_found(client, kobo):
    # Recorded: /data/ of an unknown asset answers text/html even with Accept: application/json.
    kobo.get(
        DATA, status=404, body="Resource not found (404)", content_type="text/html; charset=utf-8"
    )
    with pytest.raises(KoboNotFoundError) as caught:
        client.session.get_json(DATA)
    assert "(404 Resource not found (404))" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            {"detail": "The specified asset has not been deployed"},
            "The specified asset has not been deployed",
        ),
        (
            {"error": "There is no survey element with this name."},
            "There is no survey element with this name.",
        ),
        ({"limit": "A positive integer is required"}, "limit: A positive integer is required"),
        ({"payload": ["This field is required."]}, "payload: This field is required."),
        ({"a": ["x"], "b": "y"}, "a: x; b: y"),
    ],
    ids=["detail", "error", "field", "field-list", "two-fields"],
)
def test_400_carries_the_servers_words(client, kobo, body, said):
    kobo.get(DATA, status=400, json=body)
    with pytest.raises(KoboHTTPError) as caught:
        client.session.get_json(DATA)
    assert str(caught.value) == f"the Kobo server rejected GET {DATA} (400 {said})"
    assert caught.value.detail == said
    assert caught.value.status == 400
    assert len(kobo.calls) == 1  # a 4xx is never retried


def test_405_is_an_http_error(client, kobo):
    kobo.post(
        f"{ONE}deployment/",
        status=405,
        json={"detail": "Use PATCH to update an existing deployment"},
    )
    with pytest.raises(KoboHTTPError) as caught:
        client.session.request_json("POST", f"{ONE}deployment/", json_body={"active": True})
    assert "(405 Use PATCH to update an existing deployment)" in str(caught.value)


# -- 2xx bodies that are not the JSON we need ---------------------------------------------
def test_html_login_page_on_200_raises_response_error_without_retry(client, kobo):
    kobo.get(
        ASSETS, body="<html><title>Log in | KoboToolbox</title></html>", content_type="text/html"
    )
    with pytest.raises(KoboResponseError) as caught:
        client.session.get_json("/api/v2/assets/")
    assert str(caught.value) == (
        f"expected JSON from {ASSETS}, got text/html (a login page?): check kobo.url"
    )
    assert len(kobo.calls) == 1


def test_truncated_json_is_retried_then_succeeds(client, kobo, sleeps):
    kobo.get(ASSETS, body='{"count": 0, "next": nu', content_type="application/json")
    kobo.get(ASSETS, json=PAGE)
    assert client.session.get_json("/api/v2/assets/") == PAGE
    assert len(kobo.calls) == 2
    assert sleeps == [1.0]


def test_truncated_json_beyond_the_bound_raises_response_error(client, kobo, sleeps):
    kobo.get(ASSETS, body='{"count": 0, "next": nu', content_type="application/json")
    with pytest.raises(KoboResponseError) as caught:
        client.session.get_json("/api/v2/assets/")
    message = str(caught.value)
    assert message.startswith(
        f"expected JSON from {ASSETS}, got a truncated or invalid JSON body (23 bytes: "
    )
    assert message.endswith("; try again")
    assert len(kobo.calls) == 4
    assert sleeps == [1.0, 2.0, 4.0]


def test_body_cut_short_by_the_connection_is_retried(client, kobo):
    kobo.get(
        ASSETS,
        body=b'{"count": 0}',
        headers={"Content-Length": "500"},
        content_type="application/json",
    )
    kobo.get(ASSETS, json=PAGE)
    assert client.session.get_json("/api/v2/assets/") == PAGE
    assert len(kobo.calls) == 2


def test_invalid_json_on_a_patch_is_not_retried(client, kobo):
    kobo.patch(ONE, body="{oops", content_type="application/json")
    with pytest.raises(KoboResponseError):
        client.session.request_json("PATCH", ONE, json_body={"name": "x"})
    assert len(kobo.calls) == 1


def test_204_and_empty_bodies_are_none(client, kobo):
    kobo.delete(f"{DATA}29/", status=204)
    assert client.session.request_json("DELETE", f"{DATA}29/") is None


# -- retries ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_then_succeeds(client, kobo, sleeps, status):
    kobo.get(
        ASSETS, status=status, body="<html><title>Bad</title></html>", content_type="text/html"
    )
    kobo.get(ASSETS, status=status, json={"error": "Server Error (500)"})
    kobo.get(ASSETS, json=PAGE)
    assert client.session.get_json("/api/v2/assets/") == PAGE
    assert len(kobo.calls) == 3
    assert sleeps == [1.0, 2.0]


def test_5xx_beyond_the_bound_raises_unavailable_after_max_retries_plus_one(client, kobo, sleeps):
    kobo.get(
        ASSETS,
        status=502,
        body="<html><title>502 Bad Gateway</title></html>",
        content_type="text/html",
    )
    with pytest.raises(KoboUnavailableError) as caught:
        client.session.get_json("/api/v2/assets/")
    assert len(kobo.calls) == client.settings.max_retries + 1 == 4
    assert sleeps == [1.0, 2.0, 4.0]
    assert str(caught.value) == (
        f"gave up on GET {ASSETS} after 4 attempts; last cause: 502 Bad Gateway; the Kobo "
        "server may be overloaded, try again later"
    )
    assert caught.value.status == 502


def test_max_retries_zero_means_one_attempt(kobo, sleeps):
    session = KoboSession(
        KoboSettings(url=BASE, token="t" * 40, max_retries=0), sleep=sleeps.append
    )
    kobo.get(ASSETS, status=503, json={"detail": "busy"})
    with pytest.raises(KoboUnavailableError, match=r"after 1 attempts; last cause: 503 busy"):
        session.get_json("/api/v2/assets/")
    assert len(kobo.calls) == 1
    assert sleeps == []


def test_429_honours_retry_after_seconds(client, kobo, sleeps):
    kobo.get(
        ASSETS, status=429, json={"detail": "Request was throttled."}, headers={"Retry-After": "7"}
    )
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/")
    assert sleeps == [7.0]


def test_429_honours_retry_after_http_date(client, kobo, sleeps):
    when = email.utils.formatdate(time.time() + 40, usegmt=True)
    kobo.get(ASSETS, status=429, json={"detail": "Throttled"}, headers={"Retry-After": when})
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/")
    assert len(sleeps) == 1
    assert 38.0 <= sleeps[0] <= 40.0


def test_429_retry_after_in_the_past_waits_nothing(client, kobo, sleeps):
    kobo.get(ASSETS, status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/")
    assert sleeps == [0.0]


def test_429_retry_after_is_capped(client, kobo, sleeps):
    kobo.get(ASSETS, status=429, headers={"Retry-After": "86400"})
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/")
    assert sleeps == [MAX_RETRY_AFTER]


def test_429_without_retry_after_backs_off_exponentially(client, kobo, sleeps):
    kobo.get(ASSETS, status=429, json={"detail": "Throttled"})
    with pytest.raises(KoboUnavailableError) as caught:
        client.session.get_json("/api/v2/assets/")
    assert sleeps == [1.0, 2.0, 4.0]
    assert "last cause: 429 Throttled" in str(caught.value)


def test_unparseable_retry_after_falls_back_to_backoff(client, kobo, sleeps):
    kobo.get(ASSETS, status=503, headers={"Retry-After": "soon"})
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/")
    assert sleeps == [1.0]


def test_backoff_is_capped_and_jittered_within_a_quarter(kobo):
    sleeps: list[float] = []
    settings = KoboSettings(url=BASE, token="t" * 40, max_retries=8, backoff=1.0)
    session = KoboSession(settings, sleep=sleeps.append, rng=random.Random(7))
    kobo.get(ASSETS, status=503)
    with pytest.raises(KoboUnavailableError):
        session.get_json("/api/v2/assets/")
    assert len(sleeps) == 8
    for n, slept in enumerate(sleeps, start=1):
        base = 2 ** (n - 1)
        assert min(base, MAX_BACKOFF) <= slept <= min(base * 1.25, MAX_BACKOFF)
    assert sleeps[-1] == MAX_BACKOFF


@pytest.mark.parametrize(
    "error",
    [
        connect_error(),
        dropped_connection(),
        requests.ReadTimeout("read timed out"),
        requests.ConnectTimeout("connect timed out"),
        requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    ],
    ids=["connect", "dropped", "read-timeout", "connect-timeout", "chunked"],
)
def test_network_errors_on_get_are_retried_then_succeed(client, kobo, sleeps, error):
    kobo.get(ASSETS, body=error)
    kobo.get(ASSETS, json=PAGE)
    assert client.session.get_json("/api/v2/assets/") == PAGE
    assert len(kobo.calls) == 2
    assert sleeps == [1.0]


def test_connection_errors_beyond_the_bound_name_the_last_cause(client, kobo, sleeps):
    kobo.get(ASSETS, body=connect_error(ASSETS))
    with pytest.raises(KoboUnavailableError) as caught:
        client.session.get_json("/api/v2/assets/")
    assert len(kobo.calls) == 4
    assert str(caught.value) == (
        f"gave up on GET {ASSETS} after 4 attempts; last cause: ConnectionError: Failed to "
        "establish a new connection: [Errno 111] refused; the Kobo server may be down or "
        "unreachable, try again later"
    )


def test_non_idempotent_post_is_not_retried_on_502(client, kobo, sleeps):
    kobo.post(
        ASSETS,
        status=502,
        body="<html><title>502 Bad Gateway</title></html>",
        content_type="text/html",
    )
    with pytest.raises(KoboHTTPError) as caught:
        client.session.request_json("POST", ASSETS, json_body={"name": "x", "asset_type": "survey"})
    assert len(kobo.calls) == 1
    assert sleeps == []
    assert str(caught.value) == (
        f"the Kobo server failed on POST {ASSETS} (502 Bad Gateway): it was not retried "
        "because the server may have acted on it; check the server before trying again"
    )
    assert caught.value.status == 502


def test_non_idempotent_post_is_not_retried_after_a_read_timeout(client, kobo):
    kobo.post(ASSETS, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(KoboUnavailableError) as caught:
        client.session.request_json("POST", ASSETS, json_body={"name": "x"})
    assert len(kobo.calls) == 1
    assert str(caught.value) == (
        f"POST {ASSETS} failed (ReadTimeout: read timed out) and was not retried because the "
        "server may have acted on it; check the server before trying again"
    )


def test_non_idempotent_post_is_not_retried_after_a_dropped_connection(client, kobo):
    kobo.post(ASSETS, body=dropped_connection())
    with pytest.raises(KoboUnavailableError, match="was not retried"):
        client.session.request_json("POST", ASSETS, json_body={"name": "x"})
    assert len(kobo.calls) == 1


@pytest.mark.parametrize(
    "error",
    [connect_error(ASSETS), requests.ConnectTimeout("connect timed out")],
    ids=["connect-refused", "connect-timeout"],
)
def test_post_is_retried_when_it_never_reached_the_server(client, kobo, sleeps, error):
    kobo.post(ASSETS, body=error)
    kobo.post(ASSETS, status=201, json={"uid": "aNEW"})
    assert client.session.request_json("POST", ASSETS, json_body={"name": "x"}) == {"uid": "aNEW"}
    assert len(kobo.calls) == 2


def test_post_is_retried_on_429(client, kobo, sleeps):
    kobo.post(ASSETS, status=429, headers={"Retry-After": "3"})
    kobo.post(ASSETS, status=201, json={"uid": "aNEW"})
    assert client.session.request_json("POST", ASSETS, json_body={"name": "x"}) == {"uid": "aNEW"}
    assert sleeps == [3.0]


def test_post_marked_idempotent_is_retried_on_5xx(client, kobo, sleeps):
    kobo.post(ASSETS, status=503)
    kobo.post(ASSETS, status=201, json={})
    client.session.request_json("POST", ASSETS, json_body={}, idempotent=True)
    assert len(kobo.calls) == 2


def test_each_request_is_logged_at_debug_and_each_retry_warned(client, kobo, caplog):
    caplog.set_level(logging.DEBUG, logger="nswp_survey.kobo")
    kobo.get(ASSETS, status=503)
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/", params={"q": "asset_type:survey"})
    records = [r for r in caplog.records if r.name == "nswp_survey.kobo.session"]
    lines = [r.getMessage() for r in records]
    assert len(lines) == 3
    assert lines[0].startswith(f"GET {ASSETS} -> 503 in ")
    # the wait is a warning: a terminal at the default level says why it is waiting
    assert lines[1] == (
        f"GET {ASSETS}: 503 Service Unavailable; retrying in 1.0 s (attempt 2 of 4)"
    )
    assert lines[2].startswith(f"GET {ASSETS} -> 200 in ")
    assert lines[2].endswith("ms (attempt 2/4)")
    levels = [r.levelno for r in records]
    assert levels == [logging.DEBUG, logging.WARNING, logging.DEBUG]


def test_a_server_that_is_down_is_warned_at_each_retry(client, kobo, caplog, sleeps):
    caplog.set_level(logging.WARNING, logger="nswp_survey.kobo")
    kobo.get(ASSETS, body=requests.ConnectionError("Connection refused"))
    kobo.get(ASSETS, body=requests.ConnectionError("Connection refused"))
    kobo.get(ASSETS, json=PAGE)
    client.session.get_json("/api/v2/assets/")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2 == len(sleeps)
    assert "Connection refused; retrying in" in warned[0]
    assert warned[1].endswith("(attempt 3 of 4)")


def test_tls_failure_is_not_retried(client, kobo, sleeps):
    kobo.get(ASSETS, body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(KoboError) as caught:
        client.session.get_json("/api/v2/assets/")
    assert str(caught.value) == (
        f"the TLS connection for GET {ASSETS} failed (SSLError: certificate verify failed): "
        "check kobo.url and the server's certificate"
    )
    assert len(kobo.calls) == 1
    assert sleeps == []


def test_too_many_redirects_is_not_retried(client, kobo):
    kobo.get(ASSETS, body=requests.TooManyRedirects("Exceeded 30 redirects."))
    with pytest.raises(KoboError, match=r"failed \(TooManyRedirects: Exceeded 30 redirects\.\)"):
        client.session.get_json("/api/v2/assets/")
    assert len(kobo.calls) == 1


def test_client_and_session_reprs_show_the_url_only(settings):
    client = KoboClient(settings)
    assert repr(client) == "KoboClient(url='https://kobo.example.org')"
    assert repr(client.session) == "KoboSession(url='https://kobo.example.org')"


def test_client_is_a_context_manager_that_closes_its_session(settings):
    closed: list[bool] = []

    class RecordingSession(requests.Session):
        def close(self) -> None:
            closed.append(True)
            super().close()

    session = KoboSession(settings, http=RecordingSession())
    with KoboClient(settings, session=session) as client:
        assert client.session is session
    assert closed == [True]


@responses.activate
def test_check_token_passes_on_200_and_raises_auth_error_on_401(settings):
    client = KoboClient(settings, sleep=lambda _: None)
    responses.get(f"{BASE}/token/", json={"token": settings.token})
    client.check_token()
    responses.replace(
        responses.GET, f"{BASE}/token/", status=401, json={"detail": "Invalid token."}
    )
    with pytest.raises(
        KoboAuthError, match=r"refused the token, answering 401 \(Invalid token\.\)"
    ):
        client.check_token()
