"""Kobo projects (assets): list, read, create, import an XLSForm, deploy, versions, history."""

from __future__ import annotations

import builtins
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from nswp_survey.errors import KoboImportError, KoboNotFoundError, KoboResponseError
from nswp_survey.kobo.models import (
    Asset,
    AssetVersion,
    Deployment,
    HistoryEntry,
    ImportTask,
)
from nswp_survey.kobo.pagination import iter_pages
from nswp_survey.kobo.session import DEFAULT_RETRY_STATUS, KoboSession

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_TYPE = "application/vnd.ms-excel"
STALE_VERSION_HINT = (
    "the form changed on the server since it was read (KPI answers 500 to a stale "
    "version_id); re-read the asset and retry"
)
ALREADY_DEPLOYED_HINT = "the project is already deployed; redeploy it instead"
NOT_DEPLOYED_HINT = "the project has no deployment yet; deploy it first"


class AssetService:
    """The `/api/v2/assets/` and `/api/v2/imports/` endpoints.

    Example:
        uid = client.assets.import_xlsform("forms/survey.xlsx", name="NSWP survey 2026")
        client.assets.deploy(uid)
    """

    def __init__(
        self, session: KoboSession, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.session = session
        self._sleep = sleep

    # -- assets -----------------------------------------------------------------------------
    def list(
        self, asset_type: str | None = "survey", *, q: str | None = None
    ) -> builtins.list[Asset]:
        """Every asset of `asset_type` visible to the token (all pages); `q` adds a KPI search."""
        terms = [t for t in (f"asset_type:{asset_type}" if asset_type else None, q) if t]
        params = {"q": " AND ".join(terms)} if terms else None
        return [
            Asset.from_json(raw)
            for page in iter_pages(self.session, "/api/v2/assets/", params)
            for raw in page.results
        ]

    def get(self, uid: str) -> Asset:
        """One asset with its content; KoboNotFoundError if it is unknown or not shared."""
        return Asset.from_json(self.session.get_json(self._asset_path(uid)))

    def create(self, name: str, asset_type: str = "survey") -> Asset:
        """Create an empty asset (POST; retried only if it never reached the server)."""
        body = self.session.request_json(
            "POST", "/api/v2/assets/", json_body={"name": name, "asset_type": asset_type}
        )
        return Asset.from_json(body)

    def update(
        self, uid: str, *, name: str | None = None, content: Mapping[str, Any] | None = None
    ) -> Asset:
        """PATCH the name and/or KPI JSON content; a content change makes a new version_id."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if content is not None:
            changes["content"] = dict(content)
        if not changes:
            raise ValueError("update() needs a name or content")
        body = self.session.request_json("PATCH", self._asset_path(uid), json_body=changes)
        return Asset.from_json(body)

    # -- XLSForm import -------------------------------------------------------------------
    def import_xlsform(
        self,
        source: str | os.PathLike[str] | bytes,
        name: str,
        destination_uid: str | None = None,
        poll_interval: float = 1.0,
        timeout: float = 300.0,
    ) -> str:
        """Import an XLSForm and return the asset uid it created (or replaced the form of).

        Sends `library=false` (without it KPI imports a multi-row survey as a *block*) and,
        with `destination_uid`, replaces that asset's form. Polls the import task every
        `poll_interval` seconds; an `error` status raises KoboImportError with the server's
        error type and text. The form itself is compiled only at deploy time.
        """
        task = self.start_import(source, name, destination_uid=destination_uid)
        task = self.wait_for_import(task.uid, poll_interval=poll_interval, timeout=timeout)
        if not task.asset_uid:
            raise KoboResponseError(
                f"import task {task.uid} completed but named no asset: check the project "
                "list in the Kobo web UI"
            )
        return task.asset_uid

    def start_import(
        self,
        source: str | os.PathLike[str] | bytes,
        name: str,
        *,
        destination_uid: str | None = None,
    ) -> ImportTask:
        """POST the workbook to `/api/v2/imports/` (multipart) and return the new task."""
        content, filename = _read_workbook(source, name)
        data = {"name": name, "library": "false"}
        if destination_uid:
            data["destination"] = self.session.url(self._asset_path(destination_uid))
        body = self.session.request_json(
            "POST",
            "/api/v2/imports/",
            data=data,
            files={"file": (filename, content, _workbook_type(content, filename))},
        )
        task = ImportTask.from_json(body)
        if not task.uid:
            raise KoboResponseError("the Kobo server accepted the import but sent no task uid")
        return task

    def get_import(self, task_uid: str) -> ImportTask:
        """The import task's current state."""
        return ImportTask.from_json(self.session.get_json(f"/api/v2/imports/{task_uid}/"))

    def wait_for_import(
        self, task_uid: str, *, poll_interval: float = 1.0, timeout: float = 300.0
    ) -> ImportTask:
        """Poll an import task until `complete`; raise KoboImportError on `error` or timeout."""
        if poll_interval <= 0 or timeout < 0:
            raise ValueError("poll_interval must be > 0 and timeout >= 0")
        polls = math.ceil(timeout / poll_interval)
        deadline = time.monotonic() + timeout
        for poll in range(polls + 1):
            task = self.get_import(task_uid)
            if task.status == "complete":
                return task
            if task.status == "error":
                what = ": ".join(t for t in (task.error_type, task.error) if t) or "no details"
                raise KoboImportError(
                    f"the Kobo server could not import the XLSForm (task {task_uid}): {what}; "
                    "fix the workbook and import it again"
                )
            if poll == polls or time.monotonic() > deadline:
                break
            self._sleep(poll_interval)
        raise KoboImportError(
            f"import task {task_uid} is still '{task.status}' after {timeout:.0f} s: the "
            "server may be busy; check the project list in the Kobo web UI before retrying"
        )

    # -- deployment -------------------------------------------------------------------------
    def get_deployment(self, uid: str) -> Deployment | None:
        """The asset's deployment, or None when it has none (KPI answers 404)."""
        try:
            body = self.session.get_json(f"{self._asset_path(uid)}deployment/")
        except KoboNotFoundError:
            return None
        return Deployment.from_json(body)

    def deploy(self, uid: str) -> Deployment:
        """First deployment: POST {"active": true}. Form errors come back as KoboHTTPError."""
        body = self.session.request_json(
            "POST",
            f"{self._asset_path(uid)}deployment/",
            json_body={"active": True},
            hints={405: ALREADY_DEPLOYED_HINT},
        )
        return Deployment.from_json(body)

    def redeploy(self, uid: str, version_id: str) -> Deployment:
        """Deploy the asset's current version: PATCH {"active": true, "version_id": ...}.

        KPI deploys only its latest version and answers 500 to any other `version_id`; that
        500 is not retried but reported as a stale form (KoboHTTPError).
        """
        body = self.session.request_json(
            "PATCH",
            f"{self._asset_path(uid)}deployment/",
            json_body={"active": True, "version_id": version_id},
            retry_statuses=DEFAULT_RETRY_STATUS - {500},
            hints={500: STALE_VERSION_HINT, 405: NOT_DEPLOYED_HINT},
        )
        return Deployment.from_json(body)

    # -- versions and history -------------------------------------------------------------
    def list_versions(
        self, uid: str, *, deployed: bool | None = None
    ) -> builtins.list[AssetVersion]:
        """Every saved version, newest first; `deployed=True` keeps deployed ones only."""
        # KPI's filter wants 'True'/'False': lowercase 'true' answers 500.
        params = None if deployed is None else {"deployed": "True" if deployed else "False"}
        return [
            AssetVersion.from_json(raw)
            for page in iter_pages(self.session, f"{self._asset_path(uid)}versions/", params)
            for raw in page.results
        ]

    def get_version(self, uid: str, version_uid: str) -> AssetVersion:
        """One version with its `content` (the form as it was: labels old submissions)."""
        path = f"{self._asset_path(uid)}versions/{version_uid}/"
        return AssetVersion.from_json(self.session.get_json(path))

    def iter_history(self, uid: str, *, action: str | None = None) -> Iterator[HistoryEntry]:
        """Project history log entries, e.g. action='delete-submission' (needs manage_asset)."""
        params = {"q": f"action:{action}"} if action else None
        for page in iter_pages(self.session, f"{self._asset_path(uid)}history/", params):
            for raw in page.results:
                yield HistoryEntry.from_json(raw)

    @staticmethod
    def _asset_path(uid: str) -> str:
        if not uid or "/" in uid:
            raise ValueError(f"not an asset uid: {uid!r}")
        return f"/api/v2/assets/{uid}/"


def _read_workbook(source: str | os.PathLike[str] | bytes, name: str) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        content = bytes(source)
        suffix = ".xls" if content.startswith(b"\xd0\xcf\x11\xe0") else ".xlsx"
        return content, f"{name}{suffix}"
    path = Path(source)
    return path.read_bytes(), path.name


def _workbook_type(content: bytes, filename: str) -> str:
    if filename.lower().endswith(".xls") or content.startswith(b"\xd0\xcf\x11\xe0"):
        return XLS_TYPE
    return XLSX_TYPE


__all__ = ["AssetService"]
