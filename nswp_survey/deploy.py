"""Deploy an XLSForm to Kobo: check it, create or replace it, redeploy, and record it.

A form is identified by its settings `form_id`: the first deploy creates a project (asset);
later deploys of a workbook with the same `form_id` replace that asset's form and redeploy
it, so the asset uid stays and submissions made with older versions stay with the form.
Each deployed version is recorded in the store (`form_version`: the version's KPI content,
our workbook hash, Kobo's version number, the time), which is also how the next deploy
knows what is already live. The hash covers the workbook's cell values, not the file's
bytes, so re-saving a workbook in Excel is not a change.

Example:
    result = deploy_form(client, engine, Path("forms/annual_member_survey.xlsx"))
    print(result.action, result.asset_uid, result.version_uid)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from nswp_survey.errors import (
    FormValidationError,
    KoboNotFoundError,
    KoboResponseError,
    NswpError,
)
from nswp_survey.forms.check import check_form
from nswp_survey.forms.content import workbook_from_content
from nswp_survey.forms.diff import FormDiff, diff_forms
from nswp_survey.forms.workbook import Workbook, load_workbook
from nswp_survey.kobo import Asset, KoboClient
from nswp_survey.store import (
    forms_of_server,
    load_form_versions,
    record_form_version,
    transaction,
    upsert_form,
    utcnow,
)
from nswp_survey.store.models import FormVersion

ACTIONS = ("created", "redeployed", "unchanged", "would create", "would redeploy")


@dataclass(frozen=True)
class DeployResult:
    """What `deploy_form` did (or, with dry_run, would do).

    `action` is one of ACTIONS; `asset_uid` is None only for "would create";
    `form_version` is the workbook's settings `version`; `content_hash` the workbook hash.
    """

    action: str
    asset_uid: str | None
    version_uid: str | None
    form_version: str | None
    content_hash: str
    deployed_at: datetime | None
    form_id: str | None = None

    @property
    def sent(self) -> bool:
        """Whether the server's form changed."""
        return self.action in ("created", "redeployed")


def workbook_hash(book: Workbook) -> str:
    """sha256 of the workbook's cell values (sheets by name, rows in order, columns by
    header): formatting, blank rows and column order do not count, nor does re-saving."""
    canonical = {
        name: [dict(sorted(row.values.items())) for row in sheet.rows]
        for name, sheet in sorted(book.sheets.items())
    }
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def form_settings(book: Workbook) -> dict[str, str]:
    """The settings sheet's first row ({} when there is none)."""
    sheet = book.sheet("settings")
    return dict(sheet.rows[0].values) if sheet and sheet.rows else {}


def _content_form_id(content: dict[str, Any] | None) -> str | None:
    settings = (content or {}).get("settings") or {}
    if not isinstance(settings, dict):
        return None
    value = settings.get("id_string") or settings.get("form_id")
    return str(value) if value else None


def find_deployed_asset(engine: Engine, server_url: str, form_id: str) -> str | None:
    """The asset on `server_url` most recently deployed from a workbook with `form_id`,
    as recorded in the store (the content of its latest recorded deployed version)."""
    best: tuple[datetime, str] | None = None
    with transaction(engine) as conn:
        for uid in forms_of_server(conn, server_url):
            deployed = [v for v in load_form_versions(conn, uid) if v.date_deployed]
            if not deployed or not deployed[0].content_json:
                continue
            latest = deployed[0]
            if _content_form_id(json.loads(latest.content_json or "null")) != form_id:
                continue
            if best is None or latest.date_deployed > best[0]:  # type: ignore[operator]
                best = (latest.date_deployed, uid)  # type: ignore[assignment]
    return best[1] if best else None


def asset_for_form(engine: Engine, server_url: str, form_path: Path) -> str | None:
    """The asset last deployed from a workbook with `form_path`'s settings form_id, if any."""
    form_id = form_settings(load_workbook(Path(form_path))).get("form_id")
    return find_deployed_asset(engine, server_url, form_id) if form_id else None


def _live_version(engine: Engine, asset: Asset, digest: str) -> FormVersion | None:
    """The recorded deployment the server is running, if it was made from this workbook."""
    with transaction(engine) as conn:
        deployed = [v for v in load_form_versions(conn, asset.uid) if v.date_deployed]
    if deployed and deployed[0].workbook_hash == digest:
        if asset.deployed_version_id == deployed[0].version_uid:
            return deployed[0]
    return None


def _server_asset(client: KoboClient, name: str, form_id: str) -> Asset | None:
    """The newest survey asset on the server named `name` whose form has `form_id`."""
    found: list[Asset] = []
    for listed in client.assets.list():
        if listed.name != name:
            continue
        asset = client.assets.get(listed.uid)
        if _content_form_id(asset.content) == form_id:
            found.append(asset)
    found.sort(key=lambda a: a.date_modified or datetime.min.replace(tzinfo=UTC), reverse=True)
    return found[0] if found else None


def deploy_form(
    client: KoboClient,
    engine: Engine,
    form_path: Path,
    *,
    asset_uid: str | None = None,
    dry_run: bool = False,
    odk_validate: bool = True,
) -> DeployResult:
    """Check `form_path`, then create and deploy it, or replace and redeploy its asset.

    The asset is `asset_uid`, else the one last deployed from a workbook with the same
    settings `form_id` (per the store), else a survey on the server with the same title and
    `form_id` (left by a deploy that was killed before it recorded it), else a new one.
    Nothing is sent when the form fails the check (FormValidationError lists the
    problems), when the recorded latest deployment has the same workbook hash and is what
    the server has deployed ("unchanged"), or with `dry_run` (the plan is returned).
    """
    form_path = Path(form_path)
    report = check_form(form_path, odk_validate=odk_validate)
    if not report.ok:
        raise FormValidationError(
            f"{form_path.name} has {len(report.problems)} problem(s) and was not sent to the "
            "server; fix them (nswp-survey forms check) and deploy again",
            [str(problem) for problem in report.problems],
        )
    book = load_workbook(form_path)
    settings = form_settings(book)
    digest = workbook_hash(book)
    form_id, form_version = settings.get("form_id"), settings.get("version")
    server_url = client.settings.url
    asset: Asset | None = None
    if asset_uid is None and form_id:
        found = find_deployed_asset(engine, server_url, form_id)
        if found:
            try:
                asset = client.assets.get(found)
            except KoboNotFoundError:
                asset = None  # deleted on the server: deploy it afresh
    elif asset_uid is not None:
        asset = client.assets.get(asset_uid)
    name = settings.get("form_title") or form_path.stem
    if asset is None and asset_uid is None and form_id:
        # Not in the store: a deploy killed between creating the asset and recording it
        # left it on the server; take it rather than create a second one.
        asset = _server_asset(client, name, form_id)

    def result(action: str, uid: str | None, version: str | None, at: datetime | None) -> Any:
        return DeployResult(action, uid, version, form_version, digest, at, form_id)

    live = _live_version(engine, asset, digest) if asset is not None else None
    if asset is not None and live is not None:
        return result("unchanged", asset.uid, live.version_uid, live.date_deployed)
    if dry_run:
        if asset is None:
            return result("would create", None, None, None)
        return result("would redeploy", asset.uid, asset.deployed_version_id, None)
    if asset is None:
        uid = client.assets.import_xlsform(form_path, name=name)
        deployment = client.assets.deploy(uid)
        action = "created"
    else:
        uid = client.assets.import_xlsform(form_path, name=name, destination_uid=asset.uid)
        current = client.assets.get(uid)
        if current.has_deployment:
            deployment = client.assets.redeploy(uid, current.version_id or "")
        else:
            deployment = client.assets.deploy(uid)
        action = "redeployed"
    version_uid = deployment.version_id or client.assets.get(uid).deployed_version_id
    if not version_uid:
        raise KoboResponseError(f"the server deployed {uid} but named no version of it")
    version = client.assets.get_version(uid, version_uid)
    deployed_at = version.date_deployed or utcnow()
    with transaction(engine) as conn:
        upsert_form(conn, uid, name=name, server_url=server_url)
        record_form_version(
            conn,
            uid,
            version_uid,
            version_number=version.version_number,
            content_hash=version.content_hash,
            content=version.content,
            workbook_hash=digest,
            date_deployed=deployed_at,
        )
    return result(action, uid, version_uid, deployed_at)


def load_deployed_workbook(client: KoboClient, asset_uid: str) -> Workbook:
    """The asset's deployed form version as a `Workbook` (FormValidationError if none)."""
    asset = client.assets.get(asset_uid)
    if not asset.deployed_version_id:
        raise NswpError(f"{asset_uid} has no deployed version to compare with: deploy it first")
    version = client.assets.get_version(asset_uid, asset.deployed_version_id)
    return workbook_from_content(version.content or {}, source=f"{asset_uid}@{version.uid}")


def diff_deployed(
    client: KoboClient, engine: Engine, form_path: Path, *, asset_uid: str | None = None
) -> tuple[str, FormDiff]:
    """(asset uid, changes from its deployed version to the local `form_path`).

    The asset is `asset_uid`, else the one deployed from a workbook with the same form_id.
    """
    form_path = Path(form_path)
    book = load_workbook(form_path)
    if asset_uid is None:
        asset_uid = asset_for_form(engine, client.settings.url, form_path)
        if asset_uid is None:
            form_id = form_settings(book).get("form_id") or "unset"
            raise NswpError(
                f"no deployment of {form_path.name} (form_id {form_id}) is recorded for "
                f"{client.settings.url}: pass the asset uid (--asset), or deploy it first"
            )
    return asset_uid, diff_forms(load_deployed_workbook(client, asset_uid), book)
