"""The one exception tree of nswp-survey.

    NswpError                     exit 1  anything the tool expected could go wrong
    ├── ConfigError               exit 2  the configuration (file, environment, token) is wrong
    ├── KoboError                 exit 3  talking to the Kobo server failed
    │   ├── KoboAuthError                 401/403: missing, wrong or insufficient token
    │   ├── KoboNotFoundError             404: unknown asset, submission or URL
    │   ├── KoboHTTPError                 any other non-2xx answer (status, url, detail)
    │   ├── KoboResponseError             2xx answer that is not the JSON we need (HTML, truncated)
    │   ├── KoboUnavailableError          still failing after the bounded retries
    │   └── KoboImportError               an XLSForm import task ended in "error"
    ├── FormValidationError       exit 4  an XLSForm has problems (carries the list)
    ├── SyncError                 exit 5  a sync could not finish (what was committed stays)
    ├── StoreError                exit 6  the database cannot be reached or used
    ├── RegisterError             exit 2  a member register file is wrong (carries the list)
    ├── IndicatorError            exit 1
    ├── ExportError               exit 1
    └── DisclosureError           exit 1  published tables would give a protected cell away

Messages are one line, say what happened and what to do, and never contain a token:
URLs in messages pass through `redact_url` first.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit

SENSITIVE_PARAMS = frozenset({"token", "access_token", "api_key", "key", "password"})
# A Kobo API key is 40 hex characters; mask any long key-shaped value after "Token", so
# ordinary sentences that mention the word token stay readable.
_TOKEN_LIKE = re.compile(r"(?i)(token\s+|token\s*[=:]\s*)[A-Za-z0-9_\-]{20,}")
# `user:secret@` after a scheme (up to the last @ before the host, as URL parsers read it)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^\s/]*@(?=[^@\s]*(?:[/\s]|$))")
_PASSWORD_PARAM = re.compile(r"(?i)([?&](?:ssl)?password=)[^&\s]+")


def redact_url(url: str, *, keep_user: bool = False) -> str:
    """Return `url` without userinfo and with sensitive query values replaced by '***'.

    `keep_user` (database URLs): keep the user name, show a password as '***'. Everything
    else stays as written (`sqlite:////abs/path.db` keeps its four slashes, `[::1]` its
    brackets), so that the URL shown still names the same file or server.
    """
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]  # host and port, as written
    if keep_user and parts.username:
        secret = ":***" if parts.password is not None else ""
        netloc = f"{parts.username}{secret}@{netloc}"
    shown = f"{parts.scheme}:" if parts.scheme else ""
    if url.removeprefix(shown).startswith("//"):  # urlunsplit drops an empty authority
        shown += f"//{netloc}"
    shown += parts.path
    if parts.query:
        shown += "?" + "&".join(_redact_param(param) for param in parts.query.split("&"))
    return shown + (f"#{parts.fragment}" if parts.fragment else "")


def _redact_param(param: str) -> str:
    name, equals, _value = param.partition("=")
    return f"{name}=***" if equals and unquote_plus(name).lower() in SENSITIVE_PARAMS else param


def redact_text(text: str) -> str:
    """Mask anything that looks like 'Token <key>' or 'token=<key>' in free text, and the
    password of a URL (`scheme://user:password@host`, `?password=...`)."""
    text = _TOKEN_LIKE.sub(lambda m: m.group(1) + "***", text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + "***@", text)
    return _PASSWORD_PARAM.sub(lambda m: m.group(1) + "***", text)


class NswpError(Exception):
    """Raised for every failure the tool anticipates; the CLI turns it into one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(redact_text(message))

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(NswpError):
    """Raised when the configuration file, an environment variable or the token is wrong."""

    exit_code = 2


class KoboError(NswpError):
    """Raised when talking to the Kobo server fails."""

    exit_code = 3

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        self.status = status
        self.url = redact_url(url) if url else None
        super().__init__(message)


class KoboAuthError(KoboError):
    """Raised on 401/403: the token is missing, wrong, or lacks permission."""


class KoboNotFoundError(KoboError):
    """Raised on 404: the asset, submission or URL does not exist (or is not visible to us)."""


class KoboHTTPError(KoboError):
    """Raised on any other non-2xx answer; `detail` holds the server's own words."""

    def __init__(
        self, message: str, *, status: int | None = None, url: str | None = None, detail: str = ""
    ):
        self.detail = detail
        super().__init__(message, status=status, url=url)


class KoboResponseError(KoboError):
    """Raised when a 2xx answer is not the JSON we need (an HTML page, a truncated body)."""


class KoboUnavailableError(KoboError):
    """Raised when the server still fails (connection, 429, 5xx) after the bounded retries."""


class KoboImportError(KoboError):
    """Raised when an XLSForm import task on the server ends with status 'error'."""


class FormValidationError(NswpError):
    """Raised when an XLSForm has problems; `problems` lists them, one line each."""

    exit_code = 4

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        super().__init__(message)


class SyncError(NswpError):
    """Raised when a sync cannot finish; pages already committed stay committed."""

    exit_code = 5


class StoreError(NswpError):
    """Raised when the database cannot be reached or used: a server that is down or refuses
    the login, a file that is locked too long or cannot be written. Every write is one
    transaction, so nothing half-written is kept."""

    exit_code = 6


class RegisterError(NswpError):
    """Raised when a member register file is refused; `problems` lists them (`row N: ...`).

    Exit 2 like other input the user must fix; nothing of the file was imported.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        super().__init__(message)


class IndicatorError(NswpError):
    """Raised when the indicator catalogue or its inputs are wrong."""


class ExportError(NswpError):
    """Raised when an export cannot be written."""


class DisclosureError(NswpError):
    """Raised when disclosure control is modelled wrongly (a relation that does not hold) or
    cannot protect a cell, or when the attacker's audit recovers a protected cell."""
