"""The OpenRosa endpoints KoboCollect uses: formList, the XForm download, /submission.

They live on the OpenRosa host (`settings.submission_url`: kc.* on the hosted servers, the
KPI host itself when self-hosted). Token auth works there too.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping
from xml.etree.ElementTree import Element, ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from nswp_survey.errors import KoboResponseError, redact_url
from nswp_survey.kobo.models import FormListEntry, SubmissionResult
from nswp_survey.kobo.session import KoboSession

OPENROSA_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "Accept": "text/xml, application/xml;q=0.9, */*;q=0.1",
}
XFORMS_LIST_NS = "{http://openrosa.org/xforms/xformsList}"
SUBMISSION_HINTS = {
    409: (
        "the server already holds different data under this instanceID; give changed data "
        "a new instanceID (and meta/deprecatedID for an edit)"
    ),
    410: "this edit's meta/deprecatedID was replaced by a later edit; edit the latest version",
    404: "the server knows no such form or meta/deprecatedID; check the form id and deprecatedID",
    400: "check the submission XML (the root id, meta/instanceID)",
}
_MESSAGE = re.compile(r"(?is)<message\b[^>]*>(.*?)</message>")
_INSTANCE_ID = re.compile(r'(?i)\binstanceID="([^"]*)"')


AttachmentData = bytes | tuple[bytes, str]


class OpenRosaService:
    """Post submissions and read forms the way KoboCollect does.

    Example:
        result = client.openrosa.submit(xml_bytes)
        assert result.created or result.duplicate
    """

    def __init__(self, session: KoboSession) -> None:
        self.session = session
        self.base_url = session.settings.submission_url.rstrip("/")

    def submit(
        self, xml_bytes: bytes, attachments: Mapping[str, AttachmentData] | None = None
    ) -> SubmissionResult:
        """POST one instance (multipart `xml_submission_file` + attachment files).

        201 means created, 202 an identical duplicate (so a retry is harmless: the server
        keys submissions by instanceID). 409/410/404/400 raise with the server's message.
        """
        files: list[tuple[str, tuple[str, bytes, str]]] = [
            ("xml_submission_file", ("submission.xml", xml_bytes, "text/xml"))
        ]
        for name, value in (attachments or {}).items():
            content, mimetype = value if isinstance(value, tuple) else (value, _guess(name))
            files.append((name, (name, content, mimetype)))
        response = self.session.request(
            "POST",
            f"{self.base_url}/submission",
            files=files,
            headers=OPENROSA_HEADERS,
            idempotent=True,
            hints=SUBMISSION_HINTS,
        )
        text = response.text
        message = _MESSAGE.search(text)
        instance = _INSTANCE_ID.search(text)
        return SubmissionResult(
            status=response.status_code,
            message=" ".join(message.group(1).split()) if message else "",
            instance_id=instance.group(1) if instance else None,
        )

    def form_list(self) -> list[FormListEntry]:
        """The forms this account may fill in (GET /formList)."""
        response = self.session.request(
            "GET", f"{self.base_url}/formList", headers=OPENROSA_HEADERS
        )
        root = _parse_xml(response, "the form list")
        entries = []
        for node in root.iter(f"{XFORMS_LIST_NS}xform"):
            values = {
                child.tag.removeprefix(XFORMS_LIST_NS): (child.text or "").strip() for child in node
            }
            entries.append(
                FormListEntry(
                    form_id=values.get("formID", ""),
                    name=values.get("name", ""),
                    version=values.get("version") or None,
                    hash=values.get("hash") or None,
                    download_url=values.get("downloadUrl", ""),
                    manifest_url=values.get("manifestUrl") or None,
                )
            )
        return entries

    def download_xform(self, download_url: str) -> str:
        """The XForm XML served to Collect (a formList `downloadUrl`, e.g. /forms/4/form.xml)."""
        response: requests.Response = self.session.request(
            "GET", download_url, headers=OPENROSA_HEADERS
        )
        _parse_xml(response, "the XForm")
        return response.text


def _parse_xml(response: requests.Response, what: str) -> Element:
    """Parse an XML body (with defusedxml: no entity tricks) or raise KoboResponseError."""
    if response.encoding is None:
        response.encoding = "utf-8"
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip() or "no type"
    shown = redact_url(response.url)
    if "html" in content_type:
        raise KoboResponseError(
            f"expected {what} (XML) from {shown}, got {content_type} (a login page?): "
            "check kobo.url and kobo.openrosa_url",
            url=response.url,
        )
    try:
        root: Element = SafeET.fromstring(response.content)
    except (ParseError, DefusedXmlException) as err:
        raise KoboResponseError(
            f"expected {what} (XML) from {shown}, got a body that is not XML ({err})",
            url=response.url,
        ) from err
    return root


def _guess(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
