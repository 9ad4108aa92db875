"""OpenRosaService: /submission answers, formList and the XForm download."""

from __future__ import annotations

import pytest

from nswp_survey.config import KoboSettings
from nswp_survey.errors import KoboAuthError, KoboHTTPError, KoboNotFoundError, KoboResponseError
from nswp_survey.kobo import KoboClient

BASE = "https://kobo.example.org"
SUBMIT = f"{BASE}/submission"
XML = b'<aXNk id="aXNk"><meta><instanceID>uuid:e1e1</instanceID></meta></aXNk>'
XML_TYPE = "text/xml; charset=utf-8"


def openrosa_message(text: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8' ?>\n"
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response">\n'
        f'        <message nature="">{text}</message>\n</OpenRosaResponse>'
    )


CREATED = (
    '<OpenRosaResponse xmlns="http://openrosa.org/http/response">\n'
    "    <message>Successful submission.</message>\n"
    '    <submissionMetadata xmlns="http://www.opendatakit.org/xforms" id="aXNk" '
    'instanceID="uuid:e1e1" submissionDate="2026-11-24T06:12:16.947527+00:00" isComplete="true"/>\n'
    "</OpenRosaResponse>\n"
)


def test_submit_posts_multipart_with_openrosa_header_and_token(client, kobo, settings):
    kobo.post(SUBMIT, status=201, body=CREATED, content_type=XML_TYPE)
    result = client.openrosa.submit(XML, attachments={"photo.jpg": b"\xff\xd8"})
    sent = kobo.calls[0].request
    assert sent.headers["X-OpenRosa-Version"] == "1.0"
    assert sent.headers["Authorization"] == f"Token {settings.token}"
    assert b'name="xml_submission_file"; filename="submission.xml"' in sent.body
    assert XML in sent.body
    assert b'name="photo.jpg"; filename="photo.jpg"' in sent.body
    assert b"Content-Type: image/jpeg" in sent.body
    assert result.created and not result.duplicate
    assert result.status == 201
    assert result.message == "Successful submission."
    assert result.instance_id == "uuid:e1e1"


def test_identical_duplicate_is_202(client, kobo):
    kobo.post(
        SUBMIT, status=202, body=openrosa_message("Duplicate Instance"), content_type=XML_TYPE
    )
    result = client.openrosa.submit(XML)
    assert result.duplicate and not result.created
    assert result.message == "Duplicate Instance"


def test_submission_is_retried_on_503_since_instance_id_makes_it_idempotent(client, kobo, sleeps):
    kobo.post(SUBMIT, status=503, body="busy", content_type="text/plain")
    kobo.post(
        SUBMIT, status=202, body=openrosa_message("Duplicate Instance"), content_type=XML_TYPE
    )
    assert client.openrosa.submit(XML).duplicate
    assert sleeps == [1.0]


@pytest.mark.parametrize(
    ("status", "text", "error", "advice"),
    [
        (
            409,
            "Submission with this instance ID already exists",
            KoboHTTPError,
            "the server already holds different data under this instanceID; give changed data "
            "a new instanceID (and meta/deprecatedID for an edit)",
        ),
        (
            410,
            "Invalid submission - deprecatedID refers to an old version",
            KoboHTTPError,
            "this edit's meta/deprecatedID was replaced by a later edit; edit the latest version",
        ),
        (
            404,
            "Invalid submission - deprecatedID not found",
            KoboNotFoundError,
            "the server knows no such form or meta/deprecatedID; check the form id and "
            "deprecatedID",
        ),
        (
            400,
            "Instance ID is required",
            KoboHTTPError,
            "check the submission XML (the root id, meta/instanceID)",
        ),
    ],
    ids=["409", "410", "404", "400"],
)
def test_rejected_submissions_raise_typed_errors_with_the_openrosa_message(
    client, kobo, status, text, error, advice
):
    kobo.post(SUBMIT, status=status, body=openrosa_message(text), content_type=XML_TYPE)
    with pytest.raises(error) as caught:
        client.openrosa.submit(XML)
    assert type(caught.value) is error
    assert f"({status} {text}): {advice}" in str(caught.value)
    assert str(caught.value).startswith(
        f"not found on the Kobo server: POST {SUBMIT}"
        if status == 404
        else f"the Kobo server rejected POST {SUBMIT}"
    )
    assert len(kobo.calls) == 1


def test_anonymous_submission_is_an_auth_error(kobo, sleeps):
    client = KoboClient(KoboSettings(url=BASE), sleep=sleeps.append)
    kobo.post(
        SUBMIT,
        status=401,
        content_type=XML_TYPE,
        body=(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            "<root><detail>Authentication credentials were not provided.</detail></root>"
        ),
    )
    with pytest.raises(KoboAuthError) as caught:
        client.openrosa.submit(XML)
    assert str(caught.value) == (
        "the Kobo server wants a token, answering 401 (Authentication credentials were not "
        "provided.): set NSWP_KOBO_TOKEN"
    )


def test_hosted_servers_take_submissions_on_the_kc_host(kobo, sleeps):
    client = KoboClient(
        KoboSettings(url="https://kf.kobotoolbox.org", token="t" * 40), sleep=sleeps.append
    )
    kobo.post(
        "https://kc.kobotoolbox.org/submission", status=201, body=CREATED, content_type=XML_TYPE
    )
    assert client.openrosa.submit(XML).created


FORM_LIST = (
    '<?xml version="1.0" encoding="utf-8"?>\n<xforms xmlns="http://openrosa.org/xforms/xformsList">'
    "<xform><formID>aB5tPkhiBVMKmqPP8TRsGi</formID><name>Sens test</name>"
    "<majorMinorVersion>1 (2026-11-24 06:16:37)</majorMinorVersion>"
    "<version>1 (2026-11-24 06:16:37)</version>"
    "<hash>md5:16ea1a4968593b0f6cbdcc0b62444d56</hash><descriptionText>Sens test</descriptionText>"
    f"<downloadUrl>{BASE}/forms/4/form.xml</downloadUrl>"
    f"<manifestUrl>{BASE}/xformsManifest/4</manifestUrl>"
    "</xform></xforms>"
)


def test_form_list_parses_each_form(client, kobo):
    kobo.get(f"{BASE}/formList", body=FORM_LIST, content_type=XML_TYPE)
    [form] = client.openrosa.form_list()
    assert form.form_id == "aB5tPkhiBVMKmqPP8TRsGi"
    assert form.name == "Sens test"
    assert form.version == "1 (2026-11-24 06:16:37)"
    assert form.hash == "md5:16ea1a4968593b0f6cbdcc0b62444d56"
    assert form.download_url == f"{BASE}/forms/4/form.xml"
    assert form.manifest_url == f"{BASE}/xformsManifest/4"


def test_download_xform_returns_the_xml(client, kobo):
    xform = (
        '<?xml version="1.0" encoding="utf-8"?>\n<h:html xmlns:h="http://www.w3.org/1999/xhtml"/>'
    )
    kobo.get(f"{BASE}/forms/4/form.xml", body=xform, content_type=XML_TYPE)
    assert client.openrosa.download_xform(f"{BASE}/forms/4/form.xml") == xform


def test_form_list_as_a_login_page_raises(client, kobo):
    kobo.get(f"{BASE}/formList", body="<html><body>Log in</body></html>", content_type="text/html")
    with pytest.raises(KoboResponseError) as caught:
        client.openrosa.form_list()
    assert str(caught.value) == (
        f"expected the form list (XML) from {BASE}/formList, got text/html (a login page?): "
        "check kobo.url and kobo.openrosa_url"
    )


def test_form_list_that_is_not_xml_raises(client, kobo):
    kobo.get(f"{BASE}/formList", body="{not xml", content_type="text/xml")
    with pytest.raises(KoboResponseError, match="got a body that is not XML"):
        client.openrosa.form_list()


def test_form_list_with_entity_tricks_is_refused(client, kobo):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xforms>&b;</xforms>'
    )
    kobo.get(f"{BASE}/formList", body=bomb, content_type=XML_TYPE)
    with pytest.raises(KoboResponseError, match="got a body that is not XML"):
        client.openrosa.form_list()
