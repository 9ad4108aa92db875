"""Configuration: a TOML file plus the environment, resolved into frozen dataclasses.

Lookup order for the file: `--config PATH`, then `$NSWP_CONFIG`, then `config/nswp-survey.toml`
in the working directory; with none of them the built-in defaults stand (they suit the demo).
The Kobo API token is never read from the TOML file itself: it comes from `$NSWP_KOBO_TOKEN`
or from a file named by `kobo.token_file` that only its owner may read. A kobo.url on this
machine (a sandbox) keeps its own database, `data/nswp-survey-sandbox.db`, unless database.url
is set: practice never lands in the real database.
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nswp_survey.errors import ConfigError, redact_url

TOKEN_ENV = "NSWP_KOBO_TOKEN"
CONFIG_ENV = "NSWP_CONFIG"
DEFAULT_CONFIG_PATH = Path("config/nswp-survey.toml")
DEFAULT_DATABASE_URL = "sqlite:///data/nswp-survey.db"
# The languages the tool writes titles and labels in (NSWP publishes in these five); the
# export's phrase tables and the catalogue's titles have one entry for each.
LANGUAGES = ("en", "fr", "es", "ru", "zh")
# The default for a kobo.url on this machine (a sandbox): practice never lands in the real
# database unless database.url says so.
SANDBOX_DATABASE_URL = "sqlite:///data/nswp-survey-sandbox.db"
HOSTED_OPENROSA = {
    "https://kf.kobotoolbox.org": "https://kc.kobotoolbox.org",
    "https://eu.kobotoolbox.org": "https://kc-eu.kobotoolbox.org",
}


def mask_token(token: str | None) -> str:
    """Show that a token is set without showing it: the last 4 characters at most."""
    if not token:
        return "(not set)"
    return f"****{token[-4:]}" if len(token) >= 20 else "****"


@dataclass(frozen=True)
class KoboSettings:
    """How to reach the Kobo (KPI) server."""

    url: str = "https://kf.kobotoolbox.org"
    asset_uids: tuple[str, ...] = ()
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None
    openrosa_url: str | None = None
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0
    page_size: int = 1000
    allow_insecure_http: bool = False

    def __post_init__(self) -> None:
        url = self.url.rstrip("/")
        object.__setattr__(self, "url", url)
        for key, value in (("kobo.url", url), ("kobo.openrosa_url", self.openrosa_url)):
            _check_server_address(key, value or "")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(
                f"kobo.url must start with https:// (or http:// for this machine), "
                f"not {redact_url(url)!r}"
            )
        for key, value in (("kobo.url", url), ("kobo.openrosa_url", self.openrosa_url)):
            if (
                value
                and value.startswith("http://")
                and not (self.allow_insecure_http or _is_loopback_url(value))
            ):
                raise ConfigError(
                    f"{key} {value} is plain http to a non-local host: the token would travel "
                    "unencrypted; use https:// or set kobo.allow_insecure_http = true"
                )
        if not (math.isfinite(self.timeout) and math.isfinite(self.backoff)):
            raise ConfigError("kobo.timeout and kobo.backoff must be numbers of seconds")
        if self.timeout <= 0 or self.max_retries < 0 or self.backoff < 0:
            raise ConfigError("kobo.timeout must be > 0, kobo.max_retries and kobo.backoff >= 0")
        if not 1 <= self.page_size <= 30000:
            raise ConfigError("kobo.page_size must be between 1 and 30000")

    @property
    def submission_url(self) -> str:
        """Base URL of the OpenRosa endpoints (formList, submission).

        On the hosted servers they live on the KoboCAT host (the URL KoboCollect is given);
        self-hosted deployments serve them from the KPI host unless told otherwise.
        """
        if self.openrosa_url:
            return self.openrosa_url.rstrip("/")
        return HOSTED_OPENROSA.get(self.url, self.url)


@dataclass(frozen=True)
class DatabaseSettings:
    """Where submissions are stored: a SQLite file by default, PostgreSQL when shared."""

    url: str = DEFAULT_DATABASE_URL

    def __post_init__(self) -> None:
        shown = redact_url(self.url, keep_user=True)
        if not self.url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ConfigError(
                f"database.url must start with sqlite:// or postgresql:// (got {shown!r})"
            )
        parts = urlsplit(self.url)
        if self.url.startswith("sqlite://") and parts.path.strip("/") in ("", ":memory:"):
            # an in-memory database would be gone, with everything synced, at exit
            raise ConfigError(
                "database.url needs a file: sqlite:///data/nswp-survey.db (relative to the "
                "current folder) or sqlite:////absolute/path.db"
            )
        if parts.netloc.count("@") > 1:  # the driver would cut the password
            raise ConfigError(
                f"the password in database.url ({shown}) contains '@': write it as %40"
            )


@dataclass(frozen=True)
class SyncSettings:
    """When and how syncs run."""

    interval_minutes: int = 60
    cron: str | None = None
    overlap: int = 1000
    reconcile_every: int = 24
    # download attachment files into this folder (owner-only) after each sync; None: don't
    attachments_dir: str | None = None

    def __post_init__(self) -> None:
        if self.interval_minutes < 1:
            raise ConfigError("sync.interval_minutes must be at least 1")
        if self.overlap < 0 or self.reconcile_every < 0:
            raise ConfigError("sync.overlap and sync.reconcile_every must be >= 0")
        if self.cron:  # checked here, so that doctor and config show refuse it too
            from apscheduler.triggers.cron import CronTrigger  # (only when a cron is set)

            try:
                CronTrigger.from_crontab(self.cron, timezone="UTC")
            except ValueError as err:
                raise ConfigError(
                    f"sync.cron {self.cron!r} is not a cron expression ({err}): five fields, "
                    "minute hour day month weekday, e.g. '0 3 * * *'"
                ) from err


@dataclass(frozen=True)
class ExportSettings:
    """Where exports go and how they protect small numbers."""

    dir: str = "exports"
    min_cell: int = 3
    # "": each region in its publication languages (export.PUBLICATION_LANGUAGES)
    language: str = ""
    min_cell_high: int = 5
    # ISO 3166 alpha-3 codes left out of public packs altogether (domain.md §6: members in
    # countries with "undesirable / foreign agent" style laws, e.g. Russia in 2025)
    withhold_countries: tuple[str, ...] = ("RUS",)

    def __post_init__(self) -> None:
        # as the form's choices spell them: "rus" would match no response and withhold nothing
        codes = tuple(dict.fromkeys(c.strip().upper() for c in self.withhold_countries))
        object.__setattr__(self, "withhold_countries", codes)
        bad = [c for c in codes if len(c) != 3 or not c.isalpha()]
        if bad:
            raise ConfigError(
                f"export.withhold_countries must be ISO 3166 alpha-3 codes, not {bad[0]!r}"
            )
        language = self.language.strip().lower()
        object.__setattr__(self, "language", language)
        if language and language not in LANGUAGES:
            raise ConfigError(
                f"export.language {language!r} is not a language the exports are written in: "
                f"use one of {', '.join(LANGUAGES)}, or leave it unset (each region in its "
                "publication languages)"
            )
        if self.min_cell < 1:
            raise ConfigError("export.min_cell must be at least 1")
        if self.min_cell_high < self.min_cell:
            raise ConfigError("export.min_cell_high must be at least export.min_cell")


@dataclass(frozen=True)
class RegisterSettings:
    """How `members import` guards the member register."""

    # A file that would mark more than this share of the active members as left (because
    # they are missing from it) is refused unless --replace or --partial says what it is.
    # The whole register marks as left only the organisations that went since the last
    # import, a handful; a file filtered to one region, one sheet of several or a cut-off
    # copy leaves out far more. 0 refuses any such leaving, 1 never refuses.
    max_left_share: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.max_left_share <= 1:  # (also refuses nan)
            raise ConfigError(
                f"register.max_left_share must be between 0 and 1 (a share: 0.1 = 10%), "
                f"not {self.max_left_share}"
            )


@dataclass(frozen=True)
class Settings:
    """The whole resolved configuration; `source` names the file it came from, if any."""

    kobo: KoboSettings = field(default_factory=KoboSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    register: RegisterSettings = field(default_factory=RegisterSettings)
    source: str | None = None
    # the keys the file set ("kobo.url", ...): a default is not a choice the user made
    configured: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Plain nested dict for display; the token appears masked."""
        out: dict[str, dict[str, Any]] = {}
        for section in ("kobo", "database", "sync", "export", "register"):
            obj = getattr(self, section)
            out[section] = {f.name: getattr(obj, f.name) for f in fields(obj)}
        out["kobo"]["token"] = mask_token(self.kobo.token)
        out["database"]["url"] = redact_url(self.database.url, keep_user=True)
        out["kobo"]["asset_uids"] = list(self.kobo.asset_uids)
        out["export"]["withhold_countries"] = list(self.export.withhold_countries)
        return out


_SECTIONS: dict[str, type] = {
    "kobo": KoboSettings,
    "database": DatabaseSettings,
    "sync": SyncSettings,
    "export": ExportSettings,
    "register": RegisterSettings,
}
# Keys the file may not hold: the token belongs in the environment or an owner-only file.
_FORBIDDEN = {("kobo", "token")}


def _check_server_address(key: str, url: str) -> None:
    """Refuse a server address that carries more than the address, without quoting it.

    Kobo takes the API token in a request header only: a token or password written into the
    URL (`https://TOKEN@host`, `https://user:pw@host`, `?token=...`) would not log in (the
    HTTP library would send it as Basic auth instead of the token), and it would be printed
    wherever the address is shown and stored with every form the database records.
    """
    if "@" in url:
        raise ConfigError(
            f"{key} must not contain '@' (a user name, password or token before the host): "
            f"remove it; the API token goes in ${TOKEN_ENV} or kobo.token_file, never in the URL"
        )
    if "?" in url or "#" in url:
        raise ConfigError(
            f"{key} must be the server's address alone (e.g. https://kf.kobotoolbox.org), "
            f"without '?...' or '#...'; the API token goes in ${TOKEN_ENV} or kobo.token_file"
        )


def _is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The file to read: explicit path, then $NSWP_CONFIG, then the default if it exists."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read the configuration file (if any) and the environment into `Settings`."""
    config_path = find_config_path(path)
    raw: dict[str, Any] = {}
    if config_path is not None:
        if not config_path.is_file():
            raise ConfigError(f"configuration file {config_path} does not exist")
        try:
            raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{config_path}: not valid TOML: {err}") from err
        except UnicodeDecodeError as err:
            raise ConfigError(
                f"{config_path}: not UTF-8 text ({err.reason}); save it as UTF-8"
            ) from err
    return settings_from_dict(raw, source=str(config_path) if config_path else None)


def settings_from_dict(raw: dict[str, Any], *, source: str | None = None) -> Settings:
    """Build `Settings` from a parsed TOML mapping; every bad key or type names itself."""
    where = source or "configuration"
    sections: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{where}: unknown section [{name}] (known: {', '.join(_SECTIONS)})")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{name}] must be a table")
        sections[name] = _build_section(name, value, where)
    kobo: KoboSettings = sections.get("kobo") or _build_section("kobo", {}, where)
    kobo = replace(kobo, token=_resolve_token(kobo, where))
    configured = frozenset(f"{name}.{key}" for name, values in raw.items() for key in values)
    database = sections.get("database", DatabaseSettings())
    if "database.url" not in configured and "kobo.url" in configured and _is_loopback_url(kobo.url):
        database = DatabaseSettings(SANDBOX_DATABASE_URL)
    return Settings(
        kobo=kobo,
        database=database,
        sync=sections.get("sync", SyncSettings()),
        export=sections.get("export", ExportSettings()),
        register=sections.get("register", RegisterSettings()),
        source=source,
        configured=configured,
    )


def _build_section(name: str, values: dict[str, Any], where: str) -> Any:
    cls = _SECTIONS[name]
    allowed = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if (name, key) in _FORBIDDEN:
            raise ConfigError(
                f"{where}: {name}.{key} must not be written in a file that may be shared; "
                f"set ${TOKEN_ENV} or kobo.token_file instead"
            )
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown key {name}.{key} (known: {', '.join(sorted(allowed))})"
            )
        kwargs[key] = _coerce(name, key, value, allowed[key].type, where)
    try:
        return cls(**kwargs)
    except ConfigError as err:  # a value out of range: say which file holds it
        raise ConfigError(f"{where}: {err}") from err


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "str | None": (str,),
    "float": (int, float),
    "int": (int,),
    "bool": (bool,),
    "tuple[str, ...]": (list,),
}


def _coerce(section: str, key: str, value: Any, annotation: Any, where: str) -> Any:
    expected = _TYPES[str(annotation)]
    ok = isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected)
    if not ok:
        kinds = " or ".join("list of strings" if t is list else t.__name__ for t in expected)
        raise ConfigError(
            f"{where}: {section}.{key} must be {kinds}, not {type(value).__name__} ({value!r})"
        )
    if list in expected:
        if not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {section}.{key} must be a list of strings")
        return tuple(value)
    return float(value) if float in expected else value


def _resolve_token(kobo: KoboSettings, where: str) -> str | None:
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return _checked_token(env, f"${TOKEN_ENV}")
    if not kobo.token_file:
        return None
    try:
        path = Path(kobo.token_file).expanduser()
    except RuntimeError as err:  # "~someone" who is not a user here
        raise ConfigError(f"{where}: kobo.token_file {kobo.token_file}: {err}") from err
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"{where}: kobo.token_file {path} is readable by others; run: chmod 600 {path}"
            )
        token = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ConfigError(
            f"{where}: kobo.token_file {path} cannot be read ({err.strerror})"
        ) from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{where}: kobo.token_file {path} is not a text file") from err
    if not token:
        raise ConfigError(f"{where}: kobo.token_file {path} is empty")
    return _checked_token(token, f"kobo.token_file {path}")


def _checked_token(token: str, source: str) -> str:
    """The token, if it is one printable ASCII word: anything else would break the HTTP
    header, and the error the HTTP library raises then quotes the header, token included."""
    if not all("!" <= ch <= "~" for ch in token):
        raise ConfigError(
            f"the token in {source} has a space, line break or non-ASCII character inside: "
            "a Kobo API key is one line of letters and digits"
        )
    return token
