"""/api/v2/assets/, /deployment/, /versions/, /imports/, /history/ and /token/ views."""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from . import serializers
from .assets import ASSET_TYPES, ServerError, project_settings
from .ids import drf_datetime, make_uid, utcnow
from .paging import Paginator
from .web import (
    HTML_NOT_FOUND,
    HTML_TYPE,
    ApiError,
    Request,
    Response,
    json_response,
    not_found,
    server_error,
)
from .xform import DeployError

if TYPE_CHECKING:
    from .app import SandboxApp


def links(req: Request) -> serializers.Links:
    return serializers.Links(req.base_url, req.param("format"))


def require_user(req: Request) -> str:
    """DRF NotAuthenticated: 401 with `WWW-Authenticate: Session` (kpi/authentication.py)."""
    if req.user is None:
        raise ApiError(
            401,
            {"detail": "Authentication credentials were not provided."},
            headers={"WWW-Authenticate": "Session"},
        )
    return req.user


def get_asset(app: SandboxApp, req: Request, uid: str, html_404: bool = False) -> dict[str, Any]:
    """Private assets are 404 to anyone but the owner (kpi/permissions.py)."""
    asset = app.store.get_asset(uid)
    if asset is None and html_404:
        # AssetNestedObjectViewsetMixin: an unknown parent uid is a plain Django 404
        raise ApiError(404, HTML_NOT_FOUND, content_type=HTML_TYPE, allow=False)
    if asset is None or req.user is None:
        raise not_found()
    return asset


def _json_field(value: Any, name: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as err:
            raise ApiError(400, {name: ["Value must be valid JSON."]}) from err
    return value


# assets ------------------------------------------------------------------------------------
def asset_list(app: SandboxApp, req: Request) -> Response:
    """AssetViewSet.list: anonymous users see no private assets; `q=uid:` / `asset_type:`."""
    assets = app.store.list_assets() if req.user else []
    q = req.param("q") or ""
    for term in q.split():
        key, _, value = term.partition(":")
        if key in ("uid", "asset_type", "name") and value:
            assets = [a for a in assets if str(a.get(key)) == value]
    pager = Paginator(req)
    window = pager.window(len(assets))
    page = assets[window[0] : window[0] + window[1]] if window else []
    lk = links(req)
    return json_response(200, {
        "count": len(assets), "next": pager.next_link(), "previous": pager.previous_link(),
        "results": [serializers.asset_list_item(lk, a, app.store) for a in page],
    })  # fmt: skip


def asset_create(app: SandboxApp, req: Request) -> Response:
    require_user(req)
    data = req.data()
    if not isinstance(data, dict):
        raise ApiError(400, {"non_field_errors": ["Invalid data. Expected a dictionary."]})
    asset_type = data.get("asset_type")
    if asset_type is None:
        raise ApiError(400, {"asset_type": ["This field is required."]})
    if asset_type not in ASSET_TYPES:
        raise ApiError(400, {"asset_type": [f'"{asset_type}" is not a valid choice.']})
    content = _json_field(data.get("content"), "content")
    settings = _json_field(data.get("settings"), "settings")
    asset = app.assets.create(
        name=str(data.get("name") or ""), asset_type=asset_type,
        content=content if isinstance(content, dict) else None,
        settings=settings if isinstance(settings, dict) else None,
    )  # fmt: skip
    return json_response(201, serializers.asset_detail(links(req), asset, app.store))


def asset_detail(app: SandboxApp, req: Request, uid: str) -> Response:
    asset = get_asset(app, req, uid)
    if req.method in ("GET", "HEAD"):
        return json_response(200, serializers.asset_detail(links(req), asset, app.store))
    if req.method == "DELETE":  # AssetViewSet.destroy: the asset, its versions and data go
        app.store.delete_asset(asset["uid"])
        app.assets.forget_deployments()
        return Response(204)
    data = req.data()
    if not isinstance(data, dict):
        raise ApiError(400, {"non_field_errors": ["Invalid data. Expected a dictionary."]})
    content = _json_field(data.get("content"), "content") if "content" in data else None
    if "name" in data:
        asset["name"] = str(data["name"])
    if "settings" in data:
        asset["settings"] = project_settings(_json_field(data["settings"], "settings"))
    asset["last_modified_by"] = req.user
    if content is None and asset["asset_type"] in ("survey", "template", "block", "question"):
        content = asset["content"]  # a plain save still runs adjust_content_on_save
    asset = app.assets.save(asset, content if isinstance(content, dict) else None)
    return json_response(200, serializers.asset_detail(links(req), asset, app.store))


# deployment --------------------------------------------------------------------------------
def _bool(value: Any, name: str) -> bool:
    """DRF BooleanField parsing."""
    if value in (True, "true", "True", "TRUE", 1, "1", "on", "yes"):
        return True
    if value in (False, "false", "False", "FALSE", 0, "0", "off", "no"):
        return False
    raise ApiError(400, {name: ["Must be a valid boolean."]})


def deployment(app: SandboxApp, req: Request, uid: str) -> Response:
    """AssetViewSet.deployment (kpi/views/v2/asset.py) + DeploymentSerializer."""
    asset = get_asset(app, req, uid)
    lk = links(req)
    if req.method in ("GET", "HEAD"):
        if asset.get("deployment") is None:
            raise not_found()
        return json_response(200, serializers.deployment_json(lk, asset, app.store))
    data = req.data()
    if not isinstance(data, dict):
        data = {}
    fields = {k: data[k] for k in ("backend", "active", "version_id") if k in data}
    has_dep = asset.get("deployment") is not None
    try:
        if req.method == "POST":
            if asset["asset_type"] != "survey":
                raise server_error()  # BadAssetTypeException is a plain Exception
            if has_dep:
                raise ApiError(405, {"detail": "Use PATCH to update an existing deployment"})
            active = _bool(fields["active"], "active") if "active" in fields else False
            asset = app.assets.deploy(asset, active, fields.get("version_id"))
        else:
            if asset["asset_type"] != "survey":
                raise server_error()
            if not has_dep:
                raise ApiError(405, {"detail": "Use POST to create a new deployment"})
            if fields.get("backend", "openrosa") != asset["deployment"]["backend"]:
                raise ApiError(400, {"backend": [
                    "This field cannot be modified after the initial deployment."]})  # fmt: skip
            fields.pop("backend", None)
            if set(fields) == {"active"}:
                asset = app.assets.set_active(asset, _bool(fields["active"], "active"))
            else:
                active = asset["deployment"]["active"]
                if "active" in fields:
                    active = _bool(fields["active"], "active")
                asset = app.assets.deploy(asset, active, fields.get("version_id"))
    except DeployError as err:
        raise ApiError(400, {"error": str(err)}) from err
    except ServerError as err:
        raise server_error() from err
    return json_response(200, serializers.deployment_json(lk, asset, app.store))


# versions ----------------------------------------------------------------------------------
def versions(app: SandboxApp, req: Request, uid: str, vuid: str | None = None) -> Response:
    """AssetVersionViewSet: newest first; `?deployed=` goes to a Django BooleanField filter."""
    asset = get_asset(app, req, uid, html_404=True)
    if req.method not in ("GET", "HEAD"):
        raise ApiError(405, {"detail": f'Method "{req.method}" not allowed.'})
    items = app.store.versions(uid, with_content=vuid is not None)
    labels = serializers.version_labels(items)
    lk = links(req)
    if vuid is not None:
        for item in items:
            if item["uid"] == vuid:
                return json_response(200, serializers.version_json(lk, uid, item, labels, True))
        raise not_found()
    deployed = req.param("deployed")
    if deployed is not None:
        # BooleanField.to_python accepts True/False/t/f/1/0 only; "true" -> ValidationError -> 500
        if deployed in ("True", "t", "1"):
            items = [v for v in items if v["deployed"]]
        elif deployed in ("False", "f", "0"):
            items = [v for v in items if not v["deployed"]]
        else:
            raise server_error()
    pager = Paginator(req)
    window = pager.window(len(items))
    page = items[window[0] : window[0] + window[1]] if window else []
    return json_response(200, {
        "count": len(items), "next": pager.next_link(), "previous": pager.previous_link(),
        "results": [serializers.version_json(lk, asset["uid"], v, labels) for v in page],
    })  # fmt: skip


# imports -----------------------------------------------------------------------------------
def import_create(app: SandboxApp, req: Request) -> Response:
    """ImportTaskViewSet.create (kpi/views/v2/import_task.py); the task runs at once."""
    require_user(req)
    fields, files = req.form()
    task: dict[str, Any] = {
        "uid": make_uid("i"), "status": "processing", "messages": {},
        "date_created": drf_datetime(utcnow()),
        # the gotcha: `request.POST.get('library') not in ['false', False]`
        "library": fields.get("library") not in ("false", False),
        "filename": fields.get("name"), "destination": fields.get("destination"),
        "desired_type": fields.get("desired_type"), "source": req.header("user-agent"),
    }  # fmt: skip
    data = b""
    if "base64Encoded" in fields:
        encoded = fields["base64Encoded"]
        start = encoded.find("base64")
        data = base64.b64decode(encoded[start + 7 :] if start >= 0 else encoded)
    elif files.get("file"):
        data = files["file"][0].data
        if task["filename"] is None:
            task["filename"] = files["file"][0].filename
    app.store.put_import(task)
    app.assets.run_import(task, data)
    return json_response(201, {
        "uid": task["uid"], "url": links(req).url(f"/api/v2/imports/{task['uid']}/"),
        "status": "processing",
    })  # fmt: skip


def import_detail(app: SandboxApp, req: Request, uid: str) -> Response:
    require_user(req)
    task = app.store.get_import(uid)
    if task is None:
        raise not_found()
    return json_response(200, {
        "status": task["status"], "uid": task["uid"], "messages": task["messages"],
        "date_created": task["date_created"],
    })  # fmt: skip


# history + token ---------------------------------------------------------------------------
def history(app: SandboxApp, req: Request, uid: str) -> Response:
    """ProjectHistoryLogViewSet, `?q=action:<name>` only."""
    asset = get_asset(app, req, uid, html_404=True)
    match = re.search(r"action:(\S+)", req.param("q") or "")
    logs = app.store.audit_logs(asset["uid"], match.group(1) if match else None)
    pager = Paginator(req)
    window = pager.window(len(logs))
    page = logs[window[0] : window[0] + window[1]] if window else []
    user_url = links(req).url(f"/api/v2/users/{app.username}/")
    results = [
        {"user": user_url, "user_uid": app.user_uid, "username": app.username,
         "action": log["action"], "metadata": log["metadata"], "date_created": log["date_created"]}
        for log in page
    ]  # fmt: skip
    return json_response(200, {"count": len(logs), "next": pager.next_link(),
                               "previous": pager.previous_link(), "results": results})  # fmt: skip


def token(app: SandboxApp, req: Request) -> Response:
    """kpi/views/token.py: GET/POST return the token, DELETE drops it (a new one is made)."""
    require_user(req)
    if req.method == "DELETE":
        app.rotate_token()
        return Response(204)
    return json_response(200, {"token": app.token})
