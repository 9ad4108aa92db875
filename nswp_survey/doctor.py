"""`nswp-survey doctor`: check the set-up and say what to fix, one line per check.

Checks run in order and a failed one does not stop the others, except that the server checks
need a configuration and a token. Nothing here changes the server or the database.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from nswp_survey.config import Settings, load_settings
from nswp_survey.errors import ConfigError, KoboAuthError, KoboError, NswpError
from nswp_survey.export.withhold import check_withheld_countries
from nswp_survey.kobo import KoboClient

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def run_checks(config_path: str | None) -> list[Check]:
    """Every check, in order; never raises for a problem it can describe."""
    try:
        settings = load_settings(config_path)
        check_withheld_countries(settings.export.withhold_countries, source=settings.source)
    except ConfigError as err:
        return [Check("configuration", "fail", str(err), "correct the file, then run again")]
    checks = [
        Check(
            "configuration",
            "ok",
            f"read {settings.source}" if settings.source else "no file; built-in defaults",
            ""
            if settings.source
            else "copy config/nswp-survey.example.toml to "
            "config/nswp-survey.toml to set the server and forms",
        ),
        check_transport(settings),
        check_token(settings),
        *check_server(settings),
        check_database(settings),
        *check_folders(settings),
        check_java(),
    ]
    return checks


def check_folders(settings: Settings) -> list[Check]:
    """The export folder, and the attachments folder when set, must be owner-only."""
    folders = [("exports", settings.export.dir)]
    if settings.sync.attachments_dir:
        folders.append(("attachments", settings.sync.attachments_dir))
    checks = []
    for name, folder in folders:
        path = Path(folder)
        if not path.exists():
            checks.append(Check(name, "ok", f"{path} will be created owner-only"))
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            fix = f"chmod 700 {path} (and its subfolders)"
            checks.append(Check(name, "fail", f"{path} is open to others (mode {mode:o})", fix))
        else:
            checks.append(Check(name, "ok", f"{path} is owner-only"))
    return [*checks, *check_export_leftovers(Path(settings.export.dir))]


def check_export_leftovers(folder: Path) -> list[Check]:
    """Temporary folders a killed export left in the export folder (export/staging.py)."""
    from nswp_survey.export.staging import leftovers

    try:
        found = leftovers(folder)
    except OSError:  # a folder we cannot read: check_folders says what it can
        return []
    if not found:  # none, or an export is writing there now
        return []
    return [
        Check(
            "export leftovers",
            "warn",
            f"{len(found)} temporary folder(s) of an interrupted export in {folder}: "
            + ", ".join(p.name for p in found),
            "run nswp-survey export again: it finishes or removes them first",
        )
    ]


def check_transport(settings: Settings) -> Check:
    url = settings.kobo.url
    if url.startswith("https://"):
        return Check("encryption", "ok", f"{url} uses https")
    return Check(
        "encryption",
        "warn",
        f"{url} is plain http (allowed for this machine or by kobo.allow_insecure_http)",
        "use https:// for any server that is not on this machine",
    )


def check_token(settings: Settings) -> Check:
    if settings.kobo.token:
        return Check("token", "ok", "set (from NSWP_KOBO_TOKEN or kobo.token_file; not shown)")
    return Check(
        "token",
        "fail",
        "no Kobo API token",
        "set NSWP_KOBO_TOKEN or kobo.token_file (Kobo: Account settings > Security > API key)",
    )


def check_server(settings: Settings) -> list[Check]:
    """Reach the server with the token, then look at each configured form."""
    if not settings.kobo.token:
        return [Check("server", "warn", "not checked: no token")]
    checks: list[Check] = []
    try:
        with KoboClient(replace(settings.kobo, max_retries=1)) as client:
            assets = client.assets.list()
            checks.append(
                Check(
                    "server", "ok", f"{settings.kobo.url} accepts the token ({len(assets)} forms)"
                )
            )
            checks.extend(_check_form(client, uid) for uid in settings.kobo.asset_uids)
    except KoboAuthError as err:
        checks.append(Check("server", "fail", str(err), "check the token and kobo.url"))
    except KoboError as err:
        checks.append(Check("server", "fail", str(err), "check kobo.url and the network"))
    if not settings.kobo.asset_uids:
        checks.append(
            Check("forms", "warn", "no form configured", "set kobo.asset_uids (or run deploy)")
        )
    return checks


def _check_form(client: KoboClient, uid: str) -> Check:
    try:
        asset = client.assets.get(uid)
    except KoboError as err:
        return Check(f"form {uid}", "fail", str(err), "check kobo.asset_uids")
    if not asset.has_deployment:
        return Check(f"form {uid}", "warn", f"{asset.name!r} is not deployed", "deploy it")
    return Check(
        f"form {uid}",
        "ok",
        f"{asset.name!r} deployed, {asset.submission_count or 0} submissions on the server",
    )


def check_database(settings: Settings) -> Check:
    url = settings.database.url
    if not url.startswith("sqlite"):
        return _check_database_connects(settings)
    path = Path(url.split("///", 1)[-1])
    if not path.exists():
        return Check("database", "ok", f"{path} will be created owner-only on the first sync")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check(
            "database",
            "fail",
            f"{path} is readable by others (mode {mode:o})",
            f"chmod 600 {path}",
        )
    return _check_database_connects(settings)


def _check_database_connects(settings: Settings) -> Check:
    from nswp_survey.store import current_version, make_engine
    from nswp_survey.store.migrations import MIGRATIONS

    try:
        engine = make_engine(settings.database.url)
        try:
            version = current_version(engine)
        finally:
            engine.dispose()
    except (NswpError, OSError) as err:
        return Check("database", "fail", str(err), "check database.url")
    except Exception as err:
        return Check("database", "fail", str(err).splitlines()[0], "check database.url")
    latest = max(m.version for m in MIGRATIONS)
    if version < latest:
        return Check(
            "database",
            "warn",
            f"schema version {version} of {latest}",
            "the next sync migrates it (or run nswp-survey sync)",
        )
    return Check("database", "ok", f"reachable, schema version {version}, owner-only")


def check_java() -> Check:
    java = shutil.which("java")
    if java is None:
        return Check(
            "java",
            "fail",
            "java not found: ODK Validate cannot run, so forms check is incomplete",
            "apt-get install default-jre-headless",
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    first = (out.stderr or out.stdout).splitlines()[0] if (out.stderr or out.stdout) else "?"
    return Check("java", "ok", f"{first.strip()} (for ODK Validate)")
