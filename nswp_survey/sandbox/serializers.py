"""Asset, version and deployment JSON in KPI's serializer shapes.

Key sets and order follow `kpi/serializers/v2/asset.py` (AssetSerializer,
AssetListSerializer), `kpi/serializers/v2/asset_version.py` and
`kpi/serializers/v2/deployment.py`, checked against the recordings.
"""

from __future__ import annotations

from typing import Any

from .storage import Storage

# kpi/constants.py ASSIGNABLE_PERMISSIONS_BY_TYPE for surveys, with their labels.
_PERMISSIONS = [
    ("view_asset", "View form"),
    ("change_asset", "Edit form"),
    ("manage_asset", "Manage project"),
    ("add_submissions", "Add submissions"),
    ("view_submissions", "View submissions"),
    ("partial_submissions", {
        "default": "Act on submissions only from specific users",
        "view_submissions": "View submissions only from specific users",
        "change_submissions": "Edit submissions only from specific users",
        "delete_submissions": "Delete submissions only from specific users",
        "validate_submissions": "Validate submissions only from specific users",
    }),
    ("change_submissions", "Edit submissions"),
    ("delete_submissions", "Delete submissions"),
    ("validate_submissions", "Validate submissions"),
]  # fmt: skip
# The owner's assignments, alphabetical by codename as the recordings list them.
OWNER_PERMISSIONS = [
    ("add_submissions", "Add submissions"),
    ("change_asset", "Edit form"),
    ("change_submissions", "Edit submissions"),
    ("delete_submissions", "Delete submissions"),
    ("manage_asset", "Manage project"),
    ("validate_submissions", "Validate submissions"),
    ("view_asset", "View form"),
    ("view_submissions", "View submissions"),
]
_EFFECTIVE = ["change_asset", "add_submissions", "view_asset", "view_submissions",
              "change_submissions", "manage_asset", "delete_submissions",
              "validate_submissions", "delete_asset"]  # fmt: skip


class Links:
    """Absolute URLs on the request's host; `?format=json` is kept as DRF's reverse does."""

    def __init__(self, base: str, fmt: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.suffix = f"?format={fmt}" if fmt else ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}{self.suffix}"

    def asset(self, uid: str) -> str:
        return self.url(f"/api/v2/assets/{uid}/")


def version_labels(versions: list[dict[str, Any]]) -> dict[str, str]:
    """AssetVersionListSerializer._build_version_labels: "2" deployed, "2.3" drafts."""
    labels: dict[str, str] = {}
    major = minor = 0
    for version in sorted(versions, key=lambda v: (v["date_modified"], v["pk"])):
        if version["deployed"]:
            major, minor = major + 1, 0
            labels[version["uid"]] = str(major)
        else:
            minor += 1
            labels[version["uid"]] = f"{major}.{minor}"
    return labels


def version_json(
    links: Links, asset_uid: str, version: dict[str, Any], labels: dict[str, str],
    with_content: bool = False,
) -> dict[str, Any]:  # fmt: skip
    out = {
        "uid": version["uid"],
        "url": links.url(f"/api/v2/assets/{asset_uid}/versions/{version['uid']}/"),
        "content_hash": version["content_hash"],
        # get_date_deployed: `obj.deployed and obj.date_modified` -> false when a draft
        "date_deployed": version["date_modified"] if version["deployed"] else False,
        "date_modified": version["date_modified"],
        "version_number": labels[version["uid"]],
    }
    if with_content:
        out["content"] = version["content"]
    return out


def _deployment_fields(asset: dict[str, Any], store: Storage) -> dict[str, Any]:
    dep = asset.get("deployment")
    count = store.count(asset["uid"], [], []) if dep else 0
    return {
        "has_deployment": dep is not None,
        "deployed_version_id": dep["version_id"] if dep else None,
        "deployment__active": bool(dep and dep["active"]),
        "deployment__submission_count": count,
        "deployment__last_submission_time": store.last_submission_time(asset["uid"]),
        "deployment__encrypted": False,
        "deployment__uuid": dep["uuid"] if dep else None,
    }


def deployment_status(asset: dict[str, Any]) -> str:
    """Asset.set_deployment_status (kpi/models/asset.py); non-surveys have none ('-')."""
    if asset["asset_type"] != "survey":
        return "-"
    dep = asset.get("deployment")
    if dep is None:
        return "draft"
    return "deployed" if dep["active"] else "archived"


def _permissions(links: Links, asset: dict[str, Any]) -> list[dict[str, Any]]:
    owner = asset["owner"]
    return [
        {
            "url": links.url(f"/api/v2/assets/{asset['uid']}/permission-assignments/{uid}/"),
            "user": links.url(f"/api/v2/users/{owner}/"),
            "permission": links.url(f"/api/v2/permissions/{codename}/"),
            "label": label,
        }
        for (codename, label), uid in zip(OWNER_PERMISSIONS, asset["permission_uids"], strict=True)
    ]


def _common(links: Links, asset: dict[str, Any], versions: list[dict[str, Any]]) -> dict[str, Any]:
    uid = asset["uid"]
    asset_url = links.asset(uid)
    return {
        "url": asset_url,
        "owner": links.url(f"/api/v2/users/{asset['owner']}/"),
        "owner__username": asset["owner"],
        "version_id": versions[0]["uid"] if versions else None,
        # `'%s.%s' % (asset_url.rstrip('/'), fmt)`: with ?format=json nothing is stripped
        "downloads": [
            {"format": fmt, "url": f"{asset_url.rstrip('/')}.{fmt}"} for fmt in ("xls", "xml")
        ],
        "data": links.url(f"/api/v2/assets/{uid}/data/"),
    }


def asset_list_item(links: Links, asset: dict[str, Any], store: Storage) -> dict[str, Any]:
    """AssetListSerializer."""
    versions = store.versions(asset["uid"])
    common = _common(links, asset, versions)
    dep = _deployment_fields(asset, store)
    return {
        "url": common["url"],
        "date_created": asset["date_created"],
        "date_modified": asset["date_modified"],
        "date_deployed": asset["date_deployed"],
        "owner": common["owner"],
        "summary": asset["summary"],
        "owner__username": asset["owner"],
        "parent": None,
        "uid": asset["uid"],
        "tag_string": asset.get("tag_string", ""),
        "settings": asset["settings"],
        "kind": "asset",
        "name": asset["name"],
        "asset_type": asset["asset_type"],
        "version_id": common["version_id"],
        **dep,
        "deployment_status": deployment_status(asset),
        "permissions": _permissions(links, asset),
        "export_settings": [],
        "downloads": common["downloads"],
        "data": common["data"],
        "subscribers_count": 0,
        "status": "private",
        "access_types": None,
        "children": {"count": 0},
        "data_sharing": {},
        "owner_label": asset["owner"],
        "last_modified_by": asset.get("last_modified_by"),
        "created_by": None,
    }


def asset_detail(links: Links, asset: dict[str, Any], store: Storage) -> dict[str, Any]:
    """AssetSerializer."""
    uid, owner = asset["uid"], asset["owner"]
    versions = store.versions(uid)
    labels = version_labels(versions)
    deployed = [v for v in versions if v["deployed"]]
    common = _common(links, asset, versions)
    dep = _deployment_fields(asset, store)
    has_dep = asset.get("deployment") is not None
    return {
        "url": common["url"],
        "owner": common["owner"],
        "owner__username": owner,
        "parent": None,
        "settings": asset["settings"],
        "asset_type": asset["asset_type"],
        "files": [],
        "summary": asset["summary"],
        "date_created": asset["date_created"],
        "date_modified": asset["date_modified"],
        "date_deployed": asset["date_deployed"],
        "version_id": common["version_id"],
        "version__content_hash": versions[0]["content_hash"] if versions else None,
        "version_count": len(versions),
        "has_deployment": dep["has_deployment"],
        "deployed_version_id": dep["deployed_version_id"],
        "deployed_versions": {
            "count": len(deployed),
            "next": None,
            "previous": None,
            "results": [version_json(links, uid, v, labels) for v in deployed],
        },
        # No Enketo behind the sandbox: KPI then serves {} (kpi/serializers/v2/asset.py).
        "deployment__links": {},
        "deployment__active": dep["deployment__active"],
        "deployment__data_download_links": {
            "xls_legacy": f"{links.base}/{owner}/exports/{uid}/xls/",
            "csv_legacy": f"{links.base}/{owner}/exports/{uid}/csv/",
            "zip_legacy": f"{links.base}/{owner}/exports/{uid}/zip/",
            "xls": f"{links.base}/{owner}/reports/{uid}/export.xlsx",
            "csv": f"{links.base}/{owner}/reports/{uid}/export.csv",
        }
        if has_dep
        else {},
        "deployment__submission_count": dep["deployment__submission_count"],
        "deployment__last_submission_time": dep["deployment__last_submission_time"],
        "deployment__encrypted": False,
        "deployment__uuid": dep["deployment__uuid"],
        "deployment_status": deployment_status(asset),
        "report_styles": asset["report_styles"],
        "report_custom": {},
        "advanced_features": {"_version": "20250820"},
        "map_styles": {},
        "map_custom": {},
        "content": asset["content"],
        "downloads": common["downloads"],
        "embeds": [
            {"format": "xls", "url": links.url(f"/api/v2/assets/{uid}/xls/")},
            {"format": "xform", "url": links.url(f"/api/v2/assets/{uid}/xform/")},
        ],
        "analysis_form_json": {"additional_fields": []},
        "xform_link": links.url(f"/api/v2/assets/{uid}/xform/"),
        "hooks_link": links.url(f"/api/v2/assets/{uid}/hooks/"),
        "tag_string": asset.get("tag_string", ""),
        "uid": uid,
        "kind": "asset",
        "xls_link": links.url(f"/api/v2/assets/{uid}/xls/"),
        "name": asset["name"],
        "assignable_permissions": [
            {"url": links.url(f"/api/v2/permissions/{codename}/"), "label": label}
            for codename, label in _PERMISSIONS
        ],
        "permissions": _permissions(links, asset),
        "effective_permissions": [{"codename": c} for c in _EFFECTIVE],
        "exports": links.url(f"/api/v2/assets/{uid}/exports/"),
        "export_settings": [],
        "data": common["data"],
        "children": {"count": 0},
        "subscribers_count": 0,
        "status": "private",
        "access_types": None,
        "data_sharing": {},
        "paired_data": links.url(f"/api/v2/assets/{uid}/paired-data/"),
        "project_ownership": None,
        "owner_label": owner,
        "last_modified_by": asset.get("last_modified_by"),
        "created_by": None,
    }


def deployment_json(links: Links, asset: dict[str, Any], store: Storage) -> dict[str, Any]:
    """DeploymentSerializer: backend, active, version_id + the full asset."""
    dep = asset["deployment"]
    return {
        "backend": dep["backend"],
        "active": dep["active"],
        "version_id": dep["version_id"],
        "asset": asset_detail(links, asset, store),
    }
