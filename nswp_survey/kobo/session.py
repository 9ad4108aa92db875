"""The one HTTP session to a Kobo (KPI) server: auth, timeouts, bounded retries, status checks.

`KoboSession.request` is the only place that sends requests, and `status.raise_for_kobo` the
only place that turns a status code into an exception. Retry policy (`KoboSession.request`):

- at most `settings.max_retries` retries (`max_retries + 1` attempts) per call;
- retried causes: connection errors, timeouts, dropped connections, bodies cut short (and a
  GET's truncated or invalid JSON), and the statuses 429, 500, 502, 503, 504 (a caller may
  narrow them: redeploy leaves out 500, KPI's answer to a stale version_id);
- only for requests that are safe to repeat: GET, HEAD, OPTIONS, PUT, PATCH, DELETE, or a
  POST the caller marks `idempotent=True` (the OpenRosa submission, keyed by instanceID).
  Any other request (a POST, or one the caller marks `idempotent=False` such as the bulk
  delete) is retried only when it provably never reached the server (the connection could
  not be opened) or on 429 (the server refused to process it);
- TLS failures and other request errors (a bad URL, a redirect loop) are never retried;
- the wait before retry n is `backoff * 2**(n-1)`, plus up to 25 % random jitter, capped
  at `MAX_BACKOFF` seconds; a `Retry-After` header (seconds or HTTP-date) replaces it,
  capped at `MAX_RETRY_AFTER` seconds.

The token travels only in the `Authorization` header, only to the configured hosts, and never
appears in a log line, an exception message or a repr.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.exceptions import (
    ChunkedEncodingError,
    ConnectTimeout,
    ContentDecodingError,
    RequestException,
    SSLError,
)

from nswp_survey.config import KoboSettings
from nswp_survey.errors import (
    KoboError,
    KoboResponseError,
    KoboUnavailableError,
    redact_url,
)
from nswp_survey.kobo.status import (
    RetryableBodyError,
    describe_exception,
    describe_status,
    json_of,
    raise_for_kobo,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 120.0
JITTER = 0.25
CONNECT_TIMEOUT = 10.0
# Network failures worth another try: refused/reset/dropped connections, timeouts, cut bodies.
RETRYABLE_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    ChunkedEncodingError,
    ContentDecodingError,
)


def _package_version() -> str:
    try:
        return metadata.version("nswp-survey")
    except metadata.PackageNotFoundError:  # running from a bare checkout
        return "0+unknown"


USER_AGENT = f"nswp-survey/{_package_version()}"


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> _Origin:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        return cls(scheme, (parts.hostname or "").lower(), port)


class KoboSession:
    """Sends requests to one Kobo server with the token, a timeout and bounded retries.

    Example:
        with KoboSession(settings) as session:
            assets = session.request_json("GET", "/api/v2/assets/", params={"limit": 10})
    """

    def __init__(
        self,
        settings: KoboSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        http: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.url.rstrip("/")
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = http or requests.Session()
        self._http.headers["User-Agent"] = USER_AGENT
        self._http.headers["Accept"] = "application/json"
        if settings.token:
            self._http.headers["Authorization"] = f"Token {settings.token}"
        self._origins = {_Origin.of(self.base_url), _Origin.of(settings.submission_url)}

    # -- plumbing -------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"KoboSession(url={redact_url(self.base_url)!r})"

    def __enter__(self) -> KoboSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def url(self, path_or_url: str) -> str:
        """Absolute URL for a path relative to kobo.url, or a checked absolute URL.

        An absolute URL must point to kobo.url's host or the OpenRosa host: the token is
        never sent anywhere else. A plain-http link to our own https host (a KPI behind a
        proxy that forgets X-Forwarded-Proto) is upgraded to https.
        """
        if not urlsplit(path_or_url).scheme:
            return urljoin(self.base_url + "/", path_or_url.lstrip("/"))
        origin = _Origin.of(path_or_url)
        if origin in self._origins:
            return path_or_url
        upgraded = _Origin("https", origin.host, 443)
        if origin.scheme == "http" and origin.port == 80 and upgraded in self._origins:
            parts = urlsplit(path_or_url)
            netloc = parts.netloc.removesuffix(":80")
            return urlunsplit(("https", netloc, parts.path, parts.query, parts.fragment))
        raise KoboResponseError(
            f"refusing to call {redact_url(path_or_url)}: it is neither on "
            f"{redact_url(self.base_url)} nor on the OpenRosa host, the only places that may "
            "receive the token; check kobo.url",
            url=path_or_url,
        )

    def is_trusted(self, url: str) -> bool:
        """True if `url` may receive the token (see `url`)."""
        try:
            self.url(url)
        except KoboResponseError:
            return False
        return True

    # -- requests -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        retry_statuses: Iterable[int] = DEFAULT_RETRY_STATUS,
        hints: Mapping[int, str] | None = None,
        stream: bool = False,
        consume: Callable[[requests.Response], T] | None = None,
    ) -> Any:
        """Send one request with retries; return `consume(response)` (default: the response).

        `idempotent` defaults to True for every method but POST. `consume` runs inside the
        retry loop, so a consumer that raises `RetryableBodyError` (a body cut short) gets
        the request repeated when the request is safe to repeat. `hints` add a sentence
        per status to the error message (see `raise_for_kobo`).
        """
        method = method.upper()
        url = self.url(path_or_url)
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        statuses = frozenset(retry_statuses) if safe else frozenset({429})
        attempts = self.settings.max_retries + 1
        timeout = (min(CONNECT_TIMEOUT, self.settings.timeout), self.settings.timeout)
        shown = redact_url(url)
        last_cause = ""
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = self._http.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    files=files,
                    headers=dict(headers or {}),
                    timeout=timeout,
                    stream=stream,
                )
            except SSLError as err:
                raise KoboError(
                    f"the TLS connection for {method} {shown} failed ({describe_exception(err)}): "
                    "check kobo.url and the server's certificate",
                    url=url,
                ) from err
            except RETRYABLE_ERRORS as err:
                last_cause = describe_exception(err)
                if not (safe or _never_reached_server(err)):
                    raise KoboUnavailableError(
                        f"{method} {shown} failed ({last_cause}) and was not retried because "
                        "the server may have acted on it; check the server before trying again",
                        url=url,
                    ) from err
                if attempt < attempts:
                    self._wait(
                        self._backoff(attempt), method, shown, attempt + 1, attempts, last_cause
                    )
                    continue
                raise KoboUnavailableError(
                    f"gave up on {method} {shown} after {attempts} attempts; last cause: "
                    f"{last_cause}; the Kobo server may be down or unreachable, try again later",
                    url=url,
                ) from err
            except RequestException as err:  # a bad URL, too many redirects: retrying won't help
                raise KoboError(
                    f"{method} {shown} failed ({describe_exception(err)}): check kobo.url",
                    url=url,
                ) from err
            elapsed_ms = (time.monotonic() - started) * 1000
            log.debug(
                "%s %s -> %d in %.0f ms (attempt %d/%d)",
                method,
                shown,
                response.status_code,
                elapsed_ms,
                attempt,
                attempts,
            )
            if response.status_code in statuses:
                last_cause = describe_status(response)
                if attempt < attempts:
                    delay = _retry_after(response)
                    if delay is None:
                        delay = self._backoff(attempt)
                    response.close()
                    self._wait(delay, method, shown, attempt + 1, attempts, last_cause)
                    continue
                raise KoboUnavailableError(
                    f"gave up on {method} {shown} after {attempts} attempts; last cause: "
                    f"{last_cause}; the Kobo server may be overloaded, try again later",
                    status=response.status_code,
                    url=url,
                )
            raise_for_kobo(response, hints=hints, retried=safe)
            if consume is None:
                return response
            try:
                return consume(response)
            except RetryableBodyError as err:
                last_cause = str(err)
                if not safe or attempt == attempts:
                    raise KoboResponseError(f"{last_cause}; try again", url=url) from err
                self._wait(self._backoff(attempt), method, shown, attempt + 1, attempts, last_cause)
            finally:
                if stream:
                    response.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def request_json(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        """Send a request and return its JSON body (None for 204 or an empty body).

        A 2xx body that is not JSON raises `KoboResponseError`; for GET, a truncated or
        invalid JSON body is first retried within the bound.
        """
        retry_body = method.upper() in ("GET", "HEAD")
        return self.request(method, path_or_url, consume=lambda r: json_of(r, retry_body), **kwargs)

    def get_json(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and return the JSON body."""
        return self.request_json("GET", path_or_url, params=params)

    def _wait(
        self, seconds: float, method: str, shown: str, attempt: int, attempts: int, cause: str
    ) -> None:
        # A warning, so that a terminal does not sit silent through a minute of backoff
        # against a server that is down (and the scheduler's log shows the flaky nights).
        log.warning(
            "%s %s: %s; retrying in %.1f s (attempt %d of %d)",
            method, shown, cause, seconds, attempt, attempts,
        )  # fmt: skip
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff * 2.0 ** (attempt - 1)
        return min(MAX_BACKOFF, base * (1 + JITTER * self._rng.random()))


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP-date), capped; None if absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _never_reached_server(err: BaseException) -> bool:
    """True when the connection could not even be opened, so the server saw nothing."""
    if isinstance(err, ConnectTimeout):
        return True
    seen: set[int] = set()
    todo: list[BaseException] = [err]
    while todo:
        exc = todo.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        names = {cls.__name__ for cls in type(exc).__mro__}
        if names & {"NewConnectionError", "NameResolutionError", "ConnectTimeoutError"}:
            return True
        todo.extend(a for a in exc.args if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            nested = getattr(exc, attr, None)
            if isinstance(nested, BaseException):
                todo.append(nested)
    return False
