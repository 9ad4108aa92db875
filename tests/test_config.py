from __future__ import annotations

import os
from pathlib import Path

import pytest

from nswp_survey.config import (
    DEFAULT_DATABASE_URL,
    KoboSettings,
    load_settings,
    mask_token,
    settings_from_dict,
)
from nswp_survey.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "0123456789abcdef0123456789abcdef01234567"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nswp.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file() -> None:
    settings = load_settings()
    assert settings.source is None
    assert settings.kobo.url == "https://kf.kobotoolbox.org"
    assert settings.database.url == DEFAULT_DATABASE_URL
    assert settings.kobo.token is None


def test_example_config_is_valid_and_documents_every_key() -> None:
    example = REPO_ROOT / "config" / "nswp-survey.example.toml"
    settings = load_settings(example)
    assert settings.source == str(example)
    text = example.read_text(encoding="utf-8")
    for section, values in settings.as_dict().items():
        assert f"[{section}]" in text
        for key in values:
            if key != "token":
                assert key in text, f"{section}.{key} is not documented in the example"


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[kobo]\nurl = "https://eu.kobotoolbox.org"\nasset_uid = "a1"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(path) in str(info.value)
    assert "unknown key kobo.asset_uid" in str(info.value)


def test_unknown_section_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown section \[kobbo\]"):
        load_settings(write(tmp_path, "[kobbo]\n"))


def test_wrong_type_names_key_and_type(tmp_path: Path) -> None:
    path = write(tmp_path, '[sync]\ninterval_minutes = "hourly"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "sync.interval_minutes must be int, not str" in message
    assert str(path) in message


def test_bool_is_not_accepted_as_number(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kobo\.timeout"):
        load_settings(write(tmp_path, "[kobo]\ntimeout = true\n"))


def test_asset_uids_must_be_strings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kobo\.asset_uids must be a list of strings"):
        load_settings(write(tmp_path, "[kobo]\nasset_uids = [1, 2]\n"))


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[kobo\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_token_in_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NSWP_KOBO_TOKEN"):
        load_settings(write(tmp_path, f'[kobo]\ntoken = "{TOKEN}"\n'))


def test_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSWP_KOBO_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.kobo.token == TOKEN
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.as_dict())
    assert settings.as_dict()["kobo"]["token"] == "****4567"


def test_token_file_must_be_owner_only(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    os.chmod(token_file, 0o644)
    path = write(tmp_path, f'[kobo]\ntoken_file = "{token_file}"\n')
    with pytest.raises(ConfigError, match="chmod 600"):
        load_settings(path)
    os.chmod(token_file, 0o600)
    assert load_settings(path).kobo.token == TOKEN


def test_environment_token_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-file-token-000000000000000000000000")
    os.chmod(token_file, 0o600)
    monkeypatch.setenv("NSWP_KOBO_TOKEN", TOKEN)
    settings = load_settings(write(tmp_path, f'[kobo]\ntoken_file = "{token_file}"\n'))
    assert settings.kobo.token == TOKEN


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[kobo]\nurl = "https://eu.kobotoolbox.org/"\n')
    monkeypatch.setenv("NSWP_CONFIG", str(path))
    settings = load_settings()
    assert settings.kobo.url == "https://eu.kobotoolbox.org"
    assert settings.source == str(path)


def test_plain_http_refused_except_loopback() -> None:
    with pytest.raises(ConfigError, match="unencrypted"):
        KoboSettings(url="http://kobo.example.org")
    assert KoboSettings(url="http://127.0.0.1:8000").url == "http://127.0.0.1:8000"
    assert KoboSettings(url="http://kobo.example.org", allow_insecure_http=True)


def test_openrosa_host_follows_hosted_servers() -> None:
    assert KoboSettings().submission_url == "https://kc.kobotoolbox.org"
    assert KoboSettings(url="https://eu.kobotoolbox.org").submission_url == (
        "https://kc-eu.kobotoolbox.org"
    )
    assert KoboSettings(url="https://kobo.ngo.org").submission_url == "https://kobo.ngo.org"


def test_database_url_scheme_checked() -> None:
    with pytest.raises(ConfigError, match=r"database\.url"):
        settings_from_dict({"database": {"url": "mysql://x"}})


def test_mask_token() -> None:
    assert mask_token(None) == "(not set)"
    assert mask_token("short") == "****"
    assert mask_token(TOKEN) == "****4567"


def test_plain_http_openrosa_host_is_refused_too() -> None:
    with pytest.raises(ConfigError, match=r"kobo\.openrosa_url http://kc\.example\.org"):
        KoboSettings(url="https://kf.example.org", openrosa_url="http://kc.example.org")
