"""The sandbox application: authentication and routing, independent of the HTTP server."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from . import routes_assets, routes_data, routes_openrosa
from .assets import AssetService
from .ids import make_uid
from .storage import Storage, dumps
from .submissions import SubmissionService
from .web import HTML_NOT_FOUND, HTML_TYPE, JSON_TYPE, ApiError, Request, Response

log = logging.getLogger(__name__)

Handler = Callable[..., Response]
_UID = r"(?P<uid>[^/.]+)"
_A = r"^/api/v2/assets/"
# (pattern, allowed methods as DRF lists them in `Allow`, {method: handler}, path kind)
ROUTES: list[tuple[re.Pattern[str], str, dict[str, Handler], str]] = [
    (re.compile(r"^/api/v2/assets/?$"), "GET, POST, HEAD, OPTIONS",
     {"GET": routes_assets.asset_list, "POST": routes_assets.asset_create}, "assets"),
    (re.compile(_A + _UID + r"/$"), "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
     dict.fromkeys(("GET", "PATCH", "PUT", "DELETE"), routes_assets.asset_detail), "asset"),
    (re.compile(_A + _UID + r"/deployment/$"), "GET, POST, PATCH, HEAD, OPTIONS",
     dict.fromkeys(("GET", "POST", "PATCH"), routes_assets.deployment), "deployment"),
    (re.compile(_A + _UID + r"/versions/$"), "GET, POST, HEAD, OPTIONS",
     dict.fromkeys(("GET", "POST"), routes_assets.versions), "versions"),
    (re.compile(_A + _UID + r"/versions/(?P<vuid>[^/]+)/$"),
     "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
     dict.fromkeys(("GET", "PUT", "PATCH", "DELETE"), routes_assets.versions), "versions"),
    (re.compile(_A + _UID + r"/history/$"), "GET, HEAD, OPTIONS",
     {"GET": routes_assets.history}, "history"),
    (re.compile(_A + _UID + r"/data(?P<suffix>\.json|\.xml)?/?$"), "GET, HEAD, OPTIONS",
     {"GET": routes_data.data_list}, "data"),
    (re.compile(_A + _UID + r"/data/bulk/$"), "PATCH, DELETE, OPTIONS",
     dict.fromkeys(("PATCH", "DELETE"), routes_data.data_bulk), "data_bulk"),
    (re.compile(_A + _UID + r"/data/validation_statuses/$"), "PATCH, DELETE, OPTIONS",
     dict.fromkeys(("PATCH", "DELETE"), routes_data.validation_statuses), "validation"),
    (re.compile(_A + _UID + r"/data/(?P<pk>[^/]+)/validation_status/$"),
     "GET, PATCH, DELETE, HEAD, OPTIONS",
     dict.fromkeys(("GET", "PATCH", "DELETE"), routes_data.validation_status), "validation"),
    (re.compile(_A + _UID + r"/data/(?P<pk>[^/]+)/duplicate/$"), "POST, OPTIONS",
     {"POST": routes_data.duplicate}, "data_duplicate"),
    (re.compile(_A + _UID + r"/data/(?P<pk>[^/]+)/attachments/(?P<att>[^/]+)/"
                r"(?:(?P<size>large|medium|small)/)?$"), "GET, HEAD, OPTIONS",
     {"GET": routes_data.attachment}, "attachment"),
    (re.compile(_A + _UID + r"/data/(?P<pk>[^/.]+)(?P<suffix>\.json|\.xml)?/$"),
     "GET, DELETE, HEAD, OPTIONS",
     dict.fromkeys(("GET", "DELETE"), routes_data.data_detail), "data_detail"),
    (re.compile(r"^/api/v2/imports/$"), "GET, POST, HEAD, OPTIONS",
     {"POST": routes_assets.import_create}, "imports"),
    (re.compile(r"^/api/v2/imports/(?P<uid>[^/]+)/$"), "GET, HEAD, OPTIONS",
     {"GET": routes_assets.import_detail}, "imports"),
    (re.compile(r"^/token/?$"), "GET, POST, DELETE, HEAD, OPTIONS",
     dict.fromkeys(("GET", "POST", "DELETE"), routes_assets.token), "token"),
    (re.compile(r"^/(?:[^/]+/)?submission/?$"), "POST, HEAD, OPTIONS",
     dict.fromkeys(("POST", "HEAD"), routes_openrosa.submission), "submission"),
    (re.compile(r"^/(?:[^/]+/)?formList/?$"), "GET, HEAD, OPTIONS",
     {"GET": routes_openrosa.form_list}, "formList"),
    (re.compile(r"^/forms/(?P<pk>\d+)/form\.xml$"), "GET, HEAD, OPTIONS",
     {"GET": routes_openrosa.form_xml}, "forms"),
]  # fmt: skip


def path_kind(path: str) -> str:
    for pattern, _allow, _handlers, kind in ROUTES:
        if pattern.match(path):
            return kind
    return "other"


class SandboxApp:
    def __init__(self, store: Storage, username: str, password: str, token: str) -> None:
        self.store = store
        self.username = username
        self.password = password
        self.token = token
        self.user_uid = make_uid("u")
        self.assets = AssetService(store, username)
        self.submissions = SubmissionService(store, self.assets, username)

    def rotate_token(self) -> None:
        self.token = secrets.token_hex(20)

    def authenticate(self, header: str | None) -> str | None:
        """DEFAULT_AUTHENTICATION_CLASSES (kobo/settings/base.py): Session, Basic, Token, OAuth2.

        A bad token or password raises 401 {"detail"} with `WWW-Authenticate: Session`
        (the first class's header); unknown schemes such as `Bearer junk` are anonymous.
        """
        if not header:
            return None
        scheme, _, credentials = header.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "token":
            if not credentials or " " in credentials:
                raise _auth_failed("Invalid token header. No credentials provided.")
            if hmac.compare_digest(credentials.encode(), self.token.encode()):
                return self.username
            raise _auth_failed("Invalid token.")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credentials).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError) as err:
                raise _auth_failed(
                    "Invalid basic header. Credentials not correctly base64 encoded."
                ) from err
            if user == self.username and hmac.compare_digest(
                password.encode(), self.password.encode()
            ):
                return self.username
            raise _auth_failed("Invalid username/password.")
        return None

    def dispatch(self, req: Request) -> Response:
        """Route, authenticate, run the view; ApiError becomes the DRF-style answer."""
        for pattern, allow, handlers, _kind in ROUTES:
            match = pattern.match(req.path)
            if match is None:
                continue
            try:
                req.user = self.authenticate(req.header("authorization"))
                method = "GET" if req.method == "HEAD" and "GET" in handlers else req.method
                if req.method == "OPTIONS":
                    return Response(200, b"", {"Allow": allow, "Content-Type": JSON_TYPE})
                handler = handlers.get(method)
                if handler is None:
                    raise ApiError(405, {"detail": f'Method "{req.method}" not allowed.'})
                kwargs = {k: v for k, v in match.groupdict().items() if v is not None}
                response = handler(self, req, **kwargs)
            except ApiError as err:
                response = _error_response(err)
                if err.allow and err.status < 500:
                    response.headers.setdefault("Allow", allow)
                return response
            response.headers.setdefault("Allow", allow)
            return response
        return Response(404, HTML_NOT_FOUND, {"Content-Type": HTML_TYPE})


def _auth_failed(detail: str) -> ApiError:
    return ApiError(401, {"detail": detail}, headers={"WWW-Authenticate": "Session"})


def _error_response(err: ApiError) -> Response:
    body: Any = err.body
    data = body if isinstance(body, bytes) else dumps(body).encode()
    return Response(err.status, data, {"Content-Type": err.content_type, **err.headers})
