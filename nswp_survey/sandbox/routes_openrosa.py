"""OpenRosa endpoints: /submission, /formList, /forms/{pk}/form.xml (kobo/apps/openrosa)."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

from . import openrosa
from .submissions import Attachment
from .web import ApiError, Request, Response

if TYPE_CHECKING:
    from .app import SandboxApp

_SUBMISSION_ALLOW = "POST, HEAD, OPTIONS"


def _challenge() -> dict[str, str]:
    """django-digest's challenge, as recorded in openrosa_submit_anonymous_401.json."""
    nonce = f"{time.time():.7f}:{secrets.token_hex(2).upper()}:{secrets.token_hex(16)}"
    return {
        "WWW-Authenticate": (
            f'Digest realm="DJANGO", qop="auth", nonce="{nonce}", '
            f'opaque="{secrets.token_hex(16).upper()}", algorithm="MD5", stale="false"'
        )
    }


def _require_user(req: Request) -> None:
    if req.user is None:
        raise ApiError(
            401,
            openrosa.drf_xml("Authentication credentials were not provided."),
            content_type=openrosa.XML_CONTENT_TYPE,
            headers=_challenge(),
        )


def submission(app: SandboxApp, req: Request) -> Response:
    """XFormSubmissionApi: HEAD -> 204, POST multipart `xml_submission_file` (+ files)."""
    headers = {
        "Content-Type": openrosa.XML_CONTENT_TYPE,
        **openrosa.OPENROSA_HEADERS,
        "Allow": _SUBMISSION_ALLOW,
    }
    location = {"Location": f"{req.base_url}{req.path}"}
    _require_user(req)
    if req.method == "HEAD":
        return Response(204, b"", {**headers, **location})
    if req.method != "POST":
        raise ApiError(
            405,
            openrosa.drf_xml(f'Method "{req.method}" not allowed.'),
            content_type=openrosa.XML_CONTENT_TYPE,
        )
    _fields, files = req.form()
    xml_files = files.pop("xml_submission_file", [])
    if not xml_files:
        body = openrosa.response_xml("No XML submission file.")
        return Response(400, body, headers)
    attachments = [
        Attachment(upload.filename.rsplit("/", 1)[-1], upload.content_type, upload.data)
        for uploads in files.values()
        for upload in uploads
    ]
    result = app.submissions.ingest(xml_files[0].data, attachments, submitted_by=req.user)
    out = dict(headers)
    if result.status in (201, 202, 409):  # logger_tools sets Location on these
        out.update(location)
    return Response(result.status, result.body, out)


def form_list(app: SandboxApp, req: Request) -> Response:
    """XFormListApi: active deployed forms, `downloadUrl` = /forms/{pk}/form.xml."""
    _require_user(req)
    forms = []
    for asset in sorted(app.assets.deployed_assets(), key=lambda a: -a["deployment"]["formid"]):
        dep = asset["deployment"]
        if not dep["active"]:
            continue
        forms.append({
            "id": asset["uid"], "name": asset["name"], "version": dep["version_label"],
            "hash": dep["hash"], "download_url": f"{req.base_url}/forms/{dep['formid']}/form.xml",
            "manifest_url": f"{req.base_url}/xformsManifest/{dep['formid']}",
        })  # fmt: skip
    return Response(
        200,
        openrosa.form_list_xml(forms),
        {"Content-Type": openrosa.XML_CONTENT_TYPE, **openrosa.OPENROSA_HEADERS},
    )


def form_xml(app: SandboxApp, req: Request, pk: str) -> Response:
    """The deployed XForm (recorded openrosa/form_xml_5_languages.json)."""
    for asset in app.assets.deployed_assets():
        if str(asset["deployment"]["formid"]) == pk:
            return Response(
                200,
                asset["deployment"]["xml"].encode(),
                {"Content-Type": openrosa.XML_CONTENT_TYPE, **openrosa.OPENROSA_HEADERS},
            )
    raise ApiError(404, openrosa.drf_xml("Not found."), content_type=openrosa.XML_CONTENT_TYPE)
