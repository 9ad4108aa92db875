"""Assets, versions, XLSForm imports and deployments (KPI's model layer, in short)."""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from typing import Any

from . import analysis
from .content import adjust_content, ensure_valid_node_names, expand_content, read_workbook
from .ids import drf_datetime, make_hex32, make_uid, utcnow
from .serializers import OWNER_PERMISSIONS
from .storage import Storage
from .xform import compile_xform

log = logging.getLogger(__name__)

ASSET_TYPES = ("text", "empty", "question", "block", "survey", "template", "collection")
_WITH_CONTENT = ("text", "empty", "question", "block", "survey", "template")


class ServerError(Exception):
    """An exception KPI does not catch: the API answers 500 {"error": "Server Error (500)"}."""


def project_settings(given: dict[str, Any] | None) -> dict[str, Any]:
    """Asset.STANDARDIZED_SETTINGS defaults; country_codes is always derived from country."""
    settings = dict(given or {})
    settings.setdefault("sector", {})
    settings.setdefault("country", [])
    settings.setdefault("description", "")
    settings.setdefault("organization", "")
    country = settings["country"] if isinstance(settings["country"], list) else []
    settings["country_codes"] = [c.get("value") for c in country if isinstance(c, dict)]
    return settings


class AssetService:
    def __init__(self, store: Storage, owner: str) -> None:
        self.store = store
        self.owner = owner
        self._deployed: list[dict[str, Any]] | None = None  # cache for submission routing

    # saving -------------------------------------------------------------------------------
    def save(
        self, asset: dict[str, Any], content: dict[str, Any] | None = None,
        filename: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Asset.save: adjust content, summary, report styles, new version if changed."""
        now = drf_datetime(utcnow())
        if content is not None and asset["asset_type"] in _WITH_CONTENT:
            content = copy.deepcopy(content)
            title = adjust_content(content, asset["asset_type"], filename)
            if title is not None:
                asset["name"] = title
            asset["summary"] = analysis.summarize(content)
            asset["content"] = analysis.jsonb_order(content)
            asset["report_styles"] = analysis.jsonb_order(
                analysis.report_styles(content, asset.get("report_styles") or {})
            )
            row_count = asset["summary"].get("row_count")
            if asset["asset_type"] in ("question", "block") and row_count:
                asset["asset_type"] = "question" if row_count == 1 else "block"
        asset["date_modified"] = now
        self.store.put_asset(asset)
        self._deployed = None
        self._version_if_changed(asset, now)
        return self.store.get_asset(asset["uid"]) or asset

    def _version_if_changed(self, asset: dict[str, Any], now: str) -> None:
        """Asset.new_version_required: name or content hash differ from the latest version."""
        if asset["asset_type"] not in _WITH_CONTENT:
            return
        digest = analysis.content_hash(asset["content"])
        versions = self.store.versions(asset["uid"])
        if (
            versions
            and versions[0]["name"] == asset["name"]
            and versions[0]["content_hash"] == digest
        ):
            return
        self.store.add_version(
            {"uid": make_uid("v"), "asset_uid": asset["uid"], "name": asset["name"],
             "content": asset["content"], "content_hash": digest, "deployed": False,
             "date_modified": now}
        )  # fmt: skip

    def create(
        self, *, name: str, asset_type: str, content: dict[str, Any] | None,
        settings: dict[str, Any] | None = None, filename: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        now = drf_datetime(utcnow())
        asset: dict[str, Any] = {
            "uid": make_uid("a"), "name": name, "asset_type": asset_type, "owner": self.owner,
            "content": {}, "settings": project_settings(settings), "summary": {},
            "report_styles": {}, "date_created": now, "date_modified": now,
            "date_deployed": None, "deployment": None, "last_modified_by": None,
            "tag_string": "",
            "permission_uids": [make_uid("p") for _ in OWNER_PERMISSIONS],
        }  # fmt: skip
        return self.save(asset, content if content is not None else {}, filename)

    # imports ------------------------------------------------------------------------------
    def run_import(self, task: dict[str, Any], data: bytes) -> None:
        """ImportTask._run_task / _parse_b64_upload; errors land in messages like KPI's."""
        messages: dict[str, Any] = {}
        try:
            messages = self._import(task, data)
            task["status"] = "complete"
        except Exception as err:
            log.debug("import %s failed: %r", task["uid"], err)
            messages = {"error_type": type(err).__name__, "error": str(err)}
            task["status"] = "error"
        task["messages"] = analysis.jsonb_order(messages)
        self.store.put_import(task)

    def _import(self, task: dict[str, Any], data: bytes) -> dict[str, Any]:
        destination = None
        if task.get("destination"):
            match = re.search(r"/api/v2/assets/([^/]+)/?", task["destination"])
            destination = self.store.get_asset(match.group(1)) if match else None
            if destination is None:  # kpi/utils/models.py resolve_url_to_asset
                raise LookupError("Asset matching query does not exist.")
        filename = re.sub(r"\.[^.]*$", "", task.get("filename") or "")
        if not data:  # ImportTask._run_task without any upload
            raise Exception(
                "ImportTask data must contain `base64Encoded`, `url`, or `single_xls_url`"
            )
        content = read_workbook(data)
        ensure_valid_node_names(content)
        library = task.get("library", True)
        if "library" in content:
            if not library:
                raise ValueError("a library cannot be imported into the form list")
            raise NotImplementedError("library collections are not supported by the sandbox")
        if "survey" not in content:
            raise SyntaxError("xls upload must have one of these sheets: survey, library")
        if destination is None:
            if task.get("desired_type"):
                asset_type = task["desired_type"]
            elif library:  # the gotcha: `library` omitted means True
                asset_type = "block" if len(content["survey"]) > 1 else "question"
            else:
                asset_type = "survey"
            asset = self.create(name="", asset_type=asset_type, content=content, filename=filename)
            return {"created": [self._import_message(asset)]}
        old_name = destination["name"]
        if not destination["name"]:
            destination["name"] = filename
        if destination["asset_type"] == "empty":
            destination["asset_type"] = "survey"
        expand_content(content)  # standardize_content_in_place before asset.content = ...
        asset = self.save(destination, content)
        versions = self.store.versions(asset["uid"])
        return {
            "updated": [self._import_message(asset)],
            "audit_logs": [{
                "asset_uid": asset["uid"], "asset_id": asset["pk"],
                "latest_version_uid": versions[0]["uid"], "ip_address": "127.0.0.1",
                "source": task.get("source"), "old_name": old_name, "new_name": asset["name"],
                "project_owner": self.owner,
            }],
        }  # fmt: skip

    def _import_message(self, asset: dict[str, Any]) -> dict[str, Any]:
        return {"uid": asset["uid"], "summary": asset["summary"], "kind": "asset",
                "owner__username": self.owner}  # fmt: skip

    # deployment ---------------------------------------------------------------------------
    def deploy(self, asset: dict[str, Any], active: bool, version_id: str | None) -> dict[str, Any]:
        """DeployableMixin.deploy: compile the latest version; only the current one deploys."""
        if asset["asset_type"] != "survey":
            raise ServerError(
                f"Only surveys may be deployed, but this asset is a {asset['asset_type']}"
            )
        versions = self.store.versions(asset["uid"])
        latest = versions[0]
        if version_id is not None and version_id != latest["uid"]:
            # DeploymentSerializer._raise_unless_current_version: NotImplementedError -> 500
            raise ServerError("Only the current version_id can be deployed")
        # Asset.version_number_and_date: deployed versions (+1 if the latest is a draft)
        count = sum(1 for v in versions if v["deployed"]) + (0 if latest["deployed"] else 1)
        modified = asset["date_modified"].replace("T", " ")[:19]
        label = f"{count} ({modified})"
        previous = asset.get("deployment") or {}
        form_uuid = previous.get("uuid") or make_hex32()
        xml = compile_xform(
            asset["content"], asset_uid=asset["uid"], title=asset["name"],
            version_uid=latest["uid"], version_label=label, form_uuid=form_uuid,
        )  # fmt: skip
        now = drf_datetime(utcnow())
        if not latest["deployed"]:
            self.store.mark_version_deployed(latest["uid"], now)
        asset["deployment"] = {
            "backend": "openrosa", "active": bool(active), "version_id": latest["uid"],
            "formid": previous.get("formid") or self.store.next_value("xform_pk"),
            "uuid": form_uuid, "version_label": label, "xml": xml,
            "hash": "md5:" + hashlib.md5(xml.encode()).hexdigest(),  # noqa: S324 - formList hash
        }  # fmt: skip
        asset["date_deployed"] = now
        asset["date_modified"] = now
        # sync_media_files_async saves the asset again: the summary is rebuilt from the
        # stored (JSONB-ordered) content, which is why its `columns` order changes.
        asset["summary"] = analysis.jsonb_order(analysis.summarize(asset["content"]))
        self.store.put_asset(asset)
        self._deployed = None
        return asset

    def set_active(self, asset: dict[str, Any], active: bool) -> dict[str, Any]:
        """OpenRosaDeploymentBackend.set_active: archive/unarchive, no compilation."""
        asset["deployment"]["active"] = bool(active)
        self.store.put_asset(asset)
        self._deployed = None
        return asset

    def forget_deployments(self) -> None:
        self._deployed = None

    def deployed_assets(self) -> list[dict[str, Any]]:
        deployed = self._deployed
        if deployed is None:
            deployed = [a for a in self.store.list_assets() if a.get("deployment")]
            self._deployed = deployed
        return deployed

    def find_deployed(self, form_uuid: str | None, id_string: str | None) -> dict[str, Any] | None:
        """get_xform_from_submission: by formhub/uuid first, then by the root `id`."""
        deployed = self.deployed_assets()
        for asset in deployed:
            if form_uuid and asset["deployment"]["uuid"] == form_uuid:
                return asset
        for asset in deployed:
            if id_string and asset["uid"] == id_string:
                return asset
        return None
