"""Configuration that would leak a secret, lose data or crash is refused with one line.

Found by exploratory testing: database passwords shown by `config show` and in errors, a
token with a line break quoted by the HTTP library's error, an in-memory SQLite database
that kept nothing, and files that are not UTF-8.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nswp_survey.cli import cli
from nswp_survey.config import load_settings, settings_from_dict
from nswp_survey.doctor import run_checks
from nswp_survey.errors import ConfigError, redact_text, redact_url

PASSWORD = "S3cretPassw0rd"
TOKEN = "0123456789abcdef0123456789abcdef01234567"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nswp.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"postgresql://nswp:{PASSWORD}@db:5432/nswp", "postgresql://nswp:***@db:5432/nswp"),
        (
            "at postgresql://nswp:Pw@rd99@127.0.0.1/nswp.",
            "at postgresql://nswp:***@127.0.0.1/nswp.",
        ),
        ("postgresql://nswp@h/n?password=QueryPw123&x=1", "postgresql://nswp@h/n?password=***&x=1"),
        ("https://kf.kobotoolbox.org/api/v2/assets/", "https://kf.kobotoolbox.org/api/v2/assets/"),
        ("a sentence: with colons @ and at signs", "a sentence: with colons @ and at signs"),
    ],
)
def test_free_text_loses_url_passwords(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_a_database_url_keeps_its_user_and_loses_its_password() -> None:
    url = f"postgresql://nswp:{PASSWORD}@db:5432/nswp?sslpassword=x&password=y&sslmode=require"
    shown = redact_url(url, keep_user=True)
    assert shown == "postgresql://nswp:***@db:5432/nswp?sslpassword=x&password=***&sslmode=require"


def test_config_show_masks_the_database_password(tmp_path: Path) -> None:
    config = write(tmp_path, f'[database]\nurl = "postgresql://nswp:{PASSWORD}@127.0.0.1/nswp"\n')
    for args in (["config", "show"], ["config", "show", "--json"]):
        result = CliRunner(env={"NSWP_KOBO_TOKEN": ""}).invoke(
            cli, ["--config", str(config), *args]
        )
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output
        assert "postgresql://nswp:***@127.0.0.1/nswp" in result.output


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:"])
def test_a_sqlite_url_without_a_file_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match=r"database.url needs a file: sqlite:///data"):
        settings_from_dict({"database": {"url": url}})


def test_an_at_sign_inside_the_password_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError, match="contains '@': write it as %40") as caught:
        settings_from_dict({"database": {"url": "postgresql://nswp:Pw@rd99@127.0.0.1/nswp"}})
    assert "Pw" not in str(caught.value) and "rd99" not in str(caught.value)


def test_a_wrong_scheme_does_not_echo_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict({"database": {"url": f"mysql://nswp:{PASSWORD}@db/nswp"}})
    assert PASSWORD not in str(caught.value) and "mysql://nswp:***@db/nswp" in str(caught.value)


@pytest.mark.parametrize(
    "bad",
    [TOKEN[:20] + "\n" + TOKEN, TOKEN[:20] + "\r" + TOKEN[20:], TOKEN[:20] + " " + TOKEN[20:],
     TOKEN[:39] + "€"],
)  # fmt: skip
def test_a_token_with_a_break_or_a_strange_character_is_refused_unquoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("NSWP_KOBO_TOKEN", bad)
    with pytest.raises(ConfigError, match=r"\$NSWP_KOBO_TOKEN has a space, line break") as env:
        load_settings(None)
    monkeypatch.delenv("NSWP_KOBO_TOKEN")
    token_file = tmp_path / "token"
    token_file.write_text(bad + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    config = write(tmp_path, f'[kobo]\ntoken_file = "{token_file}"\n')
    with pytest.raises(ConfigError, match="has a space, line break or non-ASCII") as from_file:
        load_settings(config)
    for caught in (env, from_file):
        assert TOKEN[20:30] not in str(caught.value) and TOKEN[:10] not in str(caught.value)


@pytest.mark.parametrize("case", ["folder", "not text", "unknown user"])
def test_a_token_file_that_cannot_be_read_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.delenv("NSWP_KOBO_TOKEN", raising=False)
    target = tmp_path / "token"
    if case == "folder":
        target.mkdir(mode=0o700)
        where, words = str(target), "cannot be read"
    elif case == "not text":
        target.write_bytes(b"\xff\xfe\x00token")
        target.chmod(0o600)
        where, words = str(target), "is not a text file"
    else:
        where, words = "~no-such-user-here/token", "kobo.token_file ~no-such-user-here/token"
    config = write(tmp_path, f'[kobo]\ntoken_file = "{where}"\n')
    with pytest.raises(ConfigError, match=words):
        load_settings(config)


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "nswp.toml"
    path.write_bytes(b"\xff\xfe[kobo]\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_settings(path)


def test_a_value_out_of_range_names_its_file(tmp_path: Path) -> None:
    config = write(tmp_path, "[kobo]\npage_size = 0\n")
    with pytest.raises(ConfigError, match=rf"^{config}: kobo.page_size must be between"):
        load_settings(config)
    nan = write(tmp_path, "[kobo]\ntimeout = nan\n")
    with pytest.raises(ConfigError, match=r"kobo.timeout and kobo.backoff must be numbers"):
        load_settings(nan)


def test_text_in_square_brackets_is_printed_as_it_is(tmp_path: Path) -> None:
    # rich would take "[foo]" for a style and print nothing of it
    config = write(tmp_path, "[foo]\n")
    result = CliRunner(env={"NSWP_KOBO_TOKEN": ""}).invoke(
        cli, ["--config", str(config), "config", "show"]
    )
    assert result.exit_code == 2
    assert "unknown section [foo] (known: kobo, database, sync, export, register)" in result.output


def test_folders_made_for_the_database_are_owner_only_parents_included(tmp_path: Path) -> None:
    from nswp_survey.store import make_engine

    tmp_path.chmod(0o755)
    path = tmp_path / "new" / "deeper" / "nswp.db"
    make_engine(f"sqlite:///{path}").dispose()
    modes = {p.name: p.stat().st_mode & 0o777 for p in (path.parent.parent, path.parent, path)}
    assert modes == {"new": 0o700, "deeper": 0o700, "nswp.db": 0o600}
    assert tmp_path.stat().st_mode & 0o777 == 0o755  # a folder that existed is the user's


@pytest.mark.parametrize("written", ["sqlite:////ABS", "sqlite:///data/nswp-survey.db"])
def test_config_show_prints_a_sqlite_url_as_written(tmp_path: Path, written: str) -> None:
    url = written.replace("/ABS", str(tmp_path / "nswp.db"))  # four slashes: an absolute path
    config = write(tmp_path, f'[database]\nurl = "{url}"\n')
    for args in (["config", "show"], ["config", "show", "--json"]):
        result = CliRunner(env={"NSWP_KOBO_TOKEN": "", "COLUMNS": "300"}).invoke(
            cli, ["--config", str(config), *args]
        )
        assert result.exit_code == 0, result.output
        assert f'"{url}"' in result.output if "--json" in args else f" {url} " in result.output


def test_a_database_error_names_the_file_with_a_url_that_still_names_it(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    db = tmp_path / "notes.db"
    db.write_text("not a database, just a long enough line of text " * 20, encoding="utf-8")
    config = write(tmp_path, f'[database]\nurl = "sqlite:///{db}"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "sync", "status"])
    assert result.exit_code == 6, result.output
    shown = result.stderr.split("the database ", 1)[1].split(" cannot be used")[0]
    assert shown == f"sqlite:///{db}"  # sqlite:////tmp/...: the same absolute file
    assert make_url(shown).database == str(db)


@pytest.mark.parametrize("language", ["de", "english", "en-GB"])
def test_an_export_language_the_tool_does_not_have_is_refused_at_load(
    tmp_path: Path, language: str
) -> None:
    config = write(tmp_path, f'[export]\nlanguage = "{language}"\n')
    said = (
        f"export.language {language.lower()!r} is not a language the exports are written in: "
        "use one of en, fr, es, ru, zh, or leave it unset"
    )
    for args in (["config", "show"], ["export", "--region", "africa", "--year", "2025"]):
        result = CliRunner().invoke(cli, ["--config", str(config), *args])
        assert result.exit_code == 2, result.output
        assert f"error: {config}: {said}" in result.output
        assert "--lang" not in result.output  # the user did not give one
    [check] = run_checks(str(config))
    assert check.status == "fail" and said in check.detail


def test_an_export_language_is_read_in_any_case(tmp_path: Path) -> None:
    config = write(tmp_path, '[export]\nlanguage = " FR "\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert '"language": "fr"' in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--region", "africa", "--year", "2025", "--lang", "de"],
        ["indicators", "--year", "2025", "--lang", "de"],
    ],
)
def test_a_language_on_the_command_line_is_checked_too(tmp_path: Path, args: list[str]) -> None:
    config = write(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path}/n.db"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert result.exit_code == 2, result.output
    said = result.output.split("Invalid value for ")[1]
    assert said.startswith(("--lang", "'--lang'")) and "'de'" in said
    assert all(f"'{code}'" in said or f" {code}" in said for code in ("en", "fr", "es", "ru", "zh"))
