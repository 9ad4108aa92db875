"""Request/response plumbing shared by the route modules (a small DRF stand-in)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from .storage import dumps

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
# kpi's handler for unknown nested resources answers plain text/html (recorded
# auth/unknown_asset_data_404.json), even to Accept: application/json.
HTML_NOT_FOUND = b"Resource not found (404)"


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    base_url: str
    user: str | None = None
    _form: tuple[dict[str, str], dict[str, list[Upload]]] | None = None

    def param(self, name: str) -> str | None:
        """Django's QueryDict: the last value of a repeated key."""
        value = None
        for key, item in self.query:
            if key == name:
                value = item
        return value

    def params(self) -> dict[str, str]:
        """`request.GET.dict()`."""
        return dict(self.query)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def form(self) -> tuple[dict[str, str], dict[str, list[Upload]]]:
        if self._form is None:
            self._form = parse_form(self.header("content-type") or "", self.body)
        return self._form

    def data(self) -> Any:
        """DRF `request.data`: JSON, urlencoded or multipart; {} when empty."""
        ctype = (self.header("content-type") or "").split(";")[0].strip().lower()
        if not self.body:
            return {}
        if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return self.form()[0]
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise ApiError(400, {"detail": f"JSON parse error - {err}"}) from err


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An error answer; `body` is JSON-encoded unless it is already bytes."""

    def __init__(
        self, status: int, body: Any, content_type: str = JSON_TYPE,
        headers: dict[str, str] | None = None, allow: bool = True,
    ) -> None:  # fmt: skip
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}
        self.allow = allow


def json_response(status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, dumps(value).encode(), {"Content-Type": JSON_TYPE, **(headers or {})})


def raw_json(status: int, text: str) -> Response:
    return Response(status, text.encode(), {"Content-Type": JSON_TYPE})


def not_found() -> ApiError:
    return ApiError(404, {"detail": "Not found."})


def server_error() -> ApiError:
    """KPI's JSON 500 (recorded deployment_patch_stale_version.json), no Allow header."""
    return ApiError(500, {"error": "Server Error (500)"}, allow=False)


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, list[Upload]]]:
    """multipart/form-data or urlencoded -> (fields, files)."""
    fields: dict[str, str] = {}
    files: dict[str, list[Upload]] = {}
    if content_type.lower().startswith("application/x-www-form-urlencoded"):
        fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return fields, files
    if not content_type.lower().startswith("multipart/"):
        return fields, files
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            upload = Upload(filename, part.get_content_type(), payload)
            files.setdefault(str(name), []).append(upload)
        else:
            charset = part.get_content_charset() or "utf-8"
            fields[str(name)] = payload.decode(charset, "replace")
    return fields, files
