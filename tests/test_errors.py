from __future__ import annotations

import pytest

from nswp_survey import errors
from nswp_survey.errors import (
    ConfigError,
    FormValidationError,
    KoboAuthError,
    KoboHTTPError,
    NswpError,
    StoreError,
    SyncError,
    redact_text,
    redact_url,
)

KEY = "0123456789abcdef0123456789abcdef01234567"


def test_redact_url_drops_userinfo_and_sensitive_params() -> None:
    url = f"https://user:pw@kf.kobotoolbox.org:8443/api/v2/assets/?token={KEY}&limit=5"
    assert redact_url(url) == "https://kf.kobotoolbox.org:8443/api/v2/assets/?token=***&limit=5"


def test_redact_url_keeps_query_json_readable() -> None:
    url = 'https://kf.kobotoolbox.org/api/v2/assets/a/data/?query={"_id":{"$gt":5}}'
    assert redact_url(url) == url


@pytest.mark.parametrize(
    ("url", "keep_user", "expected"),
    [
        ("sqlite:////srv/nswp/nswp.db", True, "sqlite:////srv/nswp/nswp.db"),
        ("sqlite:///data/nswp.db", True, "sqlite:///data/nswp.db"),
        ("postgresql:///nswp?host=/run/postgresql", True, "postgresql:///nswp?host=/run/postgresql"),
        ("postgresql://nswp:pw@[::1]:5432/nswp", True, "postgresql://nswp:***@[::1]:5432/nswp"),
        ("https://u:pw@Kobo.Example.org:8443/a/?q=a%20b&Token=x#f", False,
         "https://Kobo.Example.org:8443/a/?q=a%20b&Token=***#f"),
    ],
)  # fmt: skip
def test_redact_url_keeps_everything_else_as_written(
    url: str, keep_user: bool, expected: str
) -> None:
    assert redact_url(url, keep_user=keep_user) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Authorization: Token {KEY}", "Authorization: Token ***"),
        (f"token={KEY}", "token=***"),
        (f"TOKEN: {KEY}", "TOKEN: ***"),
        ("set NSWP_KOBO_TOKEN or kobo.token_file", "set NSWP_KOBO_TOKEN or kobo.token_file"),
        ("the token was refused", "the token was refused"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_error_messages_are_redacted_at_construction() -> None:
    err = KoboHTTPError(f"boom with Token {KEY}", status=400, url=f"https://x.org/?token={KEY}")
    assert KEY not in str(err)
    assert KEY not in (err.url or "")
    assert err.status == 400


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (NswpError, 1),
        (ConfigError, 2),
        (KoboAuthError, 3),
        (KoboHTTPError, 3),
        (FormValidationError, 4),
        (SyncError, 5),
        (StoreError, 6),
    ],
)
def test_each_error_class_has_its_exit_code(cls: type[NswpError], code: int) -> None:
    assert cls.exit_code == code


def test_every_error_class_says_when_it_is_raised() -> None:
    classes = [
        obj for obj in vars(errors).values() if isinstance(obj, type) and issubclass(obj, NswpError)
    ]
    assert len(classes) >= 12
    for cls in classes:
        assert cls.__doc__ and cls.__doc__.startswith("Raised"), cls.__name__


def test_form_validation_error_carries_problems() -> None:
    err = FormValidationError("2 problems", problems=["survey!A2: x", "choices!B3: y"])
    assert err.problems == ["survey!A2: x", "choices!B3: y"]
