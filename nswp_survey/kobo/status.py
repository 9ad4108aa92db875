"""What a Kobo answer means: data, or the one exception that says what went wrong.

`raise_for_kobo` is the only place a status code becomes an exception; `server_message`
pulls the server's own words out of a JSON, XML or HTML body, in one line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import requests
from requests.exceptions import ChunkedEncodingError, RequestException

from nswp_survey.config import TOKEN_ENV
from nswp_survey.errors import (
    KoboAuthError,
    KoboHTTPError,
    KoboNotFoundError,
    KoboResponseError,
    redact_url,
)

DETAIL_MAX_CHARS = 300


class RetryableBodyError(Exception):
    """Raised by a response consumer when the body was cut short and a retry may help."""


def raise_for_kobo(
    response: requests.Response,
    *,
    hints: Mapping[int, str] | None = None,
    retried: bool = True,
) -> None:
    """Raise the right `KoboError` for a 4xx/5xx response; do nothing otherwise.

    401/403 -> KoboAuthError, 404 -> KoboNotFoundError, any other 4xx or 5xx ->
    KoboHTTPError carrying the server's own words in `detail`. The message says what
    happened, then what to do; a hint for the status replaces the default advice.
    """
    status = response.status_code
    if status < 400:
        return
    request = response.request
    url = response.url or (request.url if request is not None else "") or ""
    shown = redact_url(url)
    method = (request.method if request is not None else None) or "GET"
    detail = server_message(response)
    said = describe_status(response, detail)
    if status in (401, 403) and detail:
        said = f"{status} ({detail})"
    sent_token = bool(request is not None and request.headers.get("Authorization"))
    # Phrased so that errors.redact_text, which masks the word after "token ", keeps them.
    if status == 401 and sent_token:
        what, advice = f"the Kobo server refused the token, answering {said}", f"check {TOKEN_ENV}"
    elif status == 401:
        what, advice = f"the Kobo server wants a token, answering {said}", f"set {TOKEN_ENV}"
    elif status == 403:
        what = f"the Kobo server refused {method} {shown} for this account ({said})"
        advice = f"check the project's sharing permissions and {TOKEN_ENV}"
    elif status == 404:
        what = f"not found on the Kobo server: {method} {shown} ({said})"
        advice = "check the uid and that this token's account can see the project"
    elif status >= 500:
        what = f"the Kobo server failed on {method} {shown} ({said})"
        advice = (
            "it was not retried because the server may have acted on it; check the server "
            "before trying again"
            if not retried
            else "try again later"
        )
    else:
        what = f"the Kobo server rejected {method} {shown} ({said})"
        advice = ""
    advice = (hints or {}).get(status) or advice
    message = f"{what}: {advice}" if advice else what
    if status in (401, 403):
        raise KoboAuthError(message, status=status, url=url)
    if status == 404:
        raise KoboNotFoundError(message, status=status, url=url)
    raise KoboHTTPError(message, status=status, url=url, detail=detail)


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")
_XML_MESSAGE = re.compile(r"(?is)<(message|detail)\b[^>]*>(.*?)</\1>")


def server_message(response: requests.Response) -> str:
    """The server's own explanation in one line: JSON detail/error/fields, XML message, text."""
    try:
        text = response.text
    except (RequestException, RuntimeError):  # body already consumed or cut
        text = ""
    content_type = response.headers.get("Content-Type", "")
    message = ""
    if text.strip():
        try:
            message = _json_message(json.loads(text))
        except (ValueError, RecursionError):  # (nested too deep to decode: read it as text)
            if "xml" in content_type or text.lstrip().startswith("<?xml"):
                found = _XML_MESSAGE.search(text)
                message = found.group(2) if found else _TAG.sub(" ", text)
            else:
                title = _TITLE.search(text)
                message = title.group(1) if title else _TAG.sub(" ", text)
    message = _SPACE.sub(" ", message).strip()
    if not message:
        message = response.reason or ""
    secret = _sent_token(response)
    if secret:  # a server that echoes the token back must not put it in our messages
        message = message.replace(secret, "***")
    if len(message) > DETAIL_MAX_CHARS:
        message = message[: DETAIL_MAX_CHARS - 1] + "…"
    return message


def _sent_token(response: requests.Response) -> str | None:
    request = response.request
    header = request.headers.get("Authorization", "") if request is not None else ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "token" or not value.strip():
        return None
    return value.strip()


def describe_status(response: requests.Response, detail: str | None = None) -> str:
    """'404 Not found.': the status code and the server's words, without repeating the code."""
    detail = server_message(response) if detail is None else detail
    code = str(response.status_code)
    return detail if detail.startswith(code) else f"{code} {detail}".strip()


def _json_message(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("detail", "error", "message"):
            if key in body and body[key] not in (None, "", [], {}):
                value = _json_message(body[key])
                if key == "error" and body.get("error_type"):
                    value = f"{body['error_type']}: {value}"
                return value
        return "; ".join(f"{k}: {_json_message(v)}" for k, v in body.items())
    if isinstance(body, list):
        return "; ".join(_json_message(v) for v in body)
    return "" if body is None else str(body)


def json_of(response: requests.Response, retry_body: bool) -> Any:
    if response.status_code == 204 or response.request.method == "HEAD":
        return None
    try:
        content = response.content
    except (ChunkedEncodingError, requests.ConnectionError) as err:
        raise RetryableBodyError(
            f"the answer from {redact_url(response.url)} was cut short ({describe_exception(err)})"
        ) from err
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except RecursionError as err:  # the decoder recurses once per level: 100,000 levels...
        raise KoboResponseError(
            f"expected JSON from {redact_url(response.url)}, got a body nested too deeply to "
            f"read ({len(content)} bytes): the server's answer is broken",
            status=response.status_code,
            url=response.url,
        ) from err
    except ValueError as err:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip() or "no type"
        shown = redact_url(response.url)
        if "html" in content_type:
            raise KoboResponseError(
                f"expected JSON from {shown}, got {content_type} (a login page?): check kobo.url",
                status=response.status_code,
                url=response.url,
            ) from err
        if "json" not in content_type:
            raise KoboResponseError(
                f"expected JSON from {shown}, got {content_type}: check kobo.url",
                status=response.status_code,
                url=response.url,
            ) from err
        cause = (
            f"expected JSON from {shown}, got a truncated or invalid JSON body "
            f"({len(content)} bytes: {err})"
        )
        if retry_body:
            raise RetryableBodyError(cause) from err
        raise KoboResponseError(cause, status=response.status_code, url=response.url) from err


_OBJECT_REPR = re.compile(r"<[^<>]* object at 0x[0-9a-f]+>:?\s*")


def describe_exception(err: BaseException) -> str:
    """A short one-line description of a requests exception: its class and innermost reason."""
    inner: BaseException = err
    for _ in range(5):
        nested = next((a for a in inner.args if isinstance(a, BaseException)), None)
        nested = getattr(nested, "reason", None) or nested
        if not isinstance(nested, BaseException):
            break
        inner = nested
    text = _OBJECT_REPR.sub("", str(inner)).strip(" '\"()")
    text = _SPACE.sub(" ", text)[:DETAIL_MAX_CHARS]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
