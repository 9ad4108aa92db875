"""The token never appears in a log line, an exception message or a repr, whatever happens."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from nswp_survey.kobo import Attachment, KoboClient

BASE = "https://kobo.example.org"
UID = "aXNkhESxKtiPDPuBLygopT"
ONE = f"{BASE}/api/v2/assets/{UID}/"
DATA = f"{ONE}data/"
PAGE = {"count": 1, "next": None, "previous": None, "results": []}


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(object(), "Failed to establish a new connection: [Errno 111]")
    return requests.ConnectionError(MaxRetryError(None, DATA, reason))


Scenario = Callable[[KoboClient, object, str, object], object]


def s_success(client, kobo, token, tmp_path):
    kobo.get(DATA, json={**PAGE, "results": [{"_id": 1, "_uuid": "u1"}]})
    return list(client.submissions.iter_submissions(UID))


def s_401(client, kobo, token, tmp_path):
    kobo.get(ONE, status=401, json={"detail": "Invalid token."})
    return client.assets.get(UID)


def s_403(client, kobo, token, tmp_path):
    kobo.get(ONE, status=403, json={"detail": "You do not have permission."})
    return client.assets.get(UID)


def s_404_html(client, kobo, token, tmp_path):
    kobo.get(DATA, status=404, body="Resource not found (404)", content_type="text/html")
    return list(client.submissions.iter_submissions(UID))


def s_400_fields(client, kobo, token, tmp_path):
    kobo.get(DATA, status=400, json={"limit": "A positive integer is required"})
    return list(client.submissions.iter_submissions(UID))


def s_server_echoes_token(client, kobo, token, tmp_path):
    kobo.get(ONE, status=400, json={"detail": f"key {token} is not valid here"})
    return client.assets.get(UID)


def s_server_echoes_token_on_5xx(client, kobo, token, tmp_path):
    kobo.get(
        ONE, status=503, body=f"<html><title>busy {token}</title></html>", content_type="text/html"
    )
    return client.assets.get(UID)


def s_429(client, kobo, token, tmp_path):
    kobo.get(ONE, status=429, headers={"Retry-After": "1"})
    return client.assets.get(UID)


def s_connection_refused(client, kobo, token, tmp_path):
    kobo.get(DATA, body=refused())
    return list(client.submissions.iter_submissions(UID))


def s_read_timeout_on_post(client, kobo, token, tmp_path):
    kobo.post(f"{BASE}/api/v2/assets/", body=requests.ReadTimeout("read timed out"))
    return client.assets.create("x")


def s_login_page(client, kobo, token, tmp_path):
    kobo.get(ONE, body="<html><title>Log in</title></html>", content_type="text/html")
    return client.assets.get(UID)


def s_truncated(client, kobo, token, tmp_path):
    kobo.get(ONE, body='{"uid": "a', content_type="application/json")
    return client.assets.get(UID)


def s_foreign_next(client, kobo, token, tmp_path):
    kobo.get(DATA, json={**PAGE, "next": "https://evil.example.net/x"})
    return list(client.submissions.iter_submissions(UID))


def s_stale_redeploy(client, kobo, token, tmp_path):
    kobo.patch(f"{ONE}deployment/", status=500, json={"error": "Server Error (500)"})
    return client.assets.redeploy(UID, "vOLD")


def s_import_error(client, kobo, token, tmp_path):
    kobo.post(f"{BASE}/api/v2/imports/", status=201, json={"uid": "i1", "status": "processing"})
    kobo.get(
        f"{BASE}/api/v2/imports/i1/",
        json={"uid": "i1", "status": "error", "messages": {"error": "bad", "error_type": "X"}},
    )
    return client.assets.import_xlsform(b"PK..", name="x")


def s_openrosa_409(client, kobo, token, tmp_path):
    kobo.post(
        f"{BASE}/submission",
        status=409,
        content_type="text/xml",
        body=(
            "<OpenRosaResponse><message>Submission with this instance ID already exists"
            "</message></OpenRosaResponse>"
        ),
    )
    return client.openrosa.submit(b"<x/>")


def s_token_endpoint(client, kobo, token, tmp_path):
    kobo.get(f"{BASE}/token/", json={"token": token})
    return client.check_token()


def s_download(client, kobo, token, tmp_path):
    kobo.get(
        f"{DATA}7/attachments/a1/",
        body=b"x",
        headers={"Content-Length": "9"},
        content_type="image/png",
    )
    attachment = Attachment.from_json(
        {"download_url": f"{DATA}7/attachments/a1/", "filename": "p.png", "uid": "a1"}
    )
    return client.submissions.download_attachment(attachment, tmp_path)


SCENARIOS = [
    s_success,
    s_401,
    s_403,
    s_404_html,
    s_400_fields,
    s_server_echoes_token,
    s_server_echoes_token_on_5xx,
    s_429,
    s_connection_refused,
    s_read_timeout_on_post,
    s_login_page,
    s_truncated,
    s_foreign_next,
    s_stale_redeploy,
    s_import_error,
    s_openrosa_409,
    s_token_endpoint,
    s_download,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__[2:] for s in SCENARIOS])
def test_token_never_leaks(scenario, client, kobo, settings, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)  # every logger: ours, requests', urllib3's
    token = settings.token
    texts: list[str] = [repr(client), repr(client.session), repr(settings), str(settings)]
    try:
        result = scenario(client, kobo, token, tmp_path)
        texts.append(repr(result))
    except Exception as err:
        chain: BaseException | None = err
        while chain is not None:
            texts += [
                str(chain),
                repr(chain),
                str(getattr(chain, "url", "")),
                str(getattr(chain, "detail", "")),
            ]
            chain = chain.__cause__ or chain.__context__
    texts.append(caplog.text)
    texts += [r.getMessage() for r in caplog.records]
    assert any(texts), "nothing was checked"
    for text in texts:
        assert token not in text
    assert len(kobo.calls) >= (0 if scenario is s_foreign_next else 1)
    # ...while the token did go where it belongs: the Authorization header.
    assert all(c.request.headers["Authorization"] == f"Token {token}" for c in kobo.calls)


def test_reprs_of_models_do_not_include_raw_bodies(make_record):
    from nswp_survey.kobo import Submission

    sub = Submission.from_json(make_record(1, secret_field="do-not-print"))
    assert "do-not-print" not in repr(sub)
