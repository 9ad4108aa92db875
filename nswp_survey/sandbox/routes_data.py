"""/api/v2/assets/{uid}/data/ views (kpi/views/v2/data.py DataViewSet)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from .ids import drf_datetime, utcnow
from .openrosa import remove_uuid_prefix
from .paging import DEFAULT_LIMIT, MAX_LIMIT, Paginator, positive_int
from .query import UnsupportedQuery
from .routes_assets import get_asset
from .submissions import VALIDATION_LABELS
from .web import ApiError, Request, Response, json_response, not_found, raw_json, server_error

if TYPE_CHECKING:
    from .app import SandboxApp

XML_TYPE = "application/xml; charset=utf-8"


def _deployed_asset(app: SandboxApp, req: Request, uid: str) -> dict[str, Any]:
    asset = get_asset(app, req, uid, html_404=True)
    if asset.get("deployment") is None:  # ObjectDeploymentDoesNotExist
        raise ApiError(400, {"detail": "The specified asset has not been deployed"})
    return asset


def _loads(params: dict[str, str], name: str, default: Any) -> Any:
    if name not in params:
        return default
    try:
        return json.loads(params[name])
    except ValueError as err:
        raise ApiError(400, {name: "Value must be valid JSON."}) from err


def _list_params(req: Request, fmt: str) -> dict[str, Any]:
    """DataViewSet._filter_mongo_query then validate_submission_list_params, in KPI's order."""
    params = req.params()
    params.pop("format", None)
    limit = DEFAULT_LIMIT
    if "limit" in params:
        try:
            limit = positive_int(params["limit"], strict=True, cutoff=MAX_LIMIT)
        except ValueError as err:
            raise ApiError(400, {"limit": "A positive integer is required"}) from err
    if "count" in params:
        raise ApiError(400, {"count": "This param is not implemented. Use `count` property of "
                                      "the response instead."})  # fmt: skip
    if fmt == "xml":
        if "sort" in params:
            raise ApiError(400, {"sort": "This param is not supported in `XML` format"})
        if "fields" in params:
            raise ApiError(400, {"fields": "This is not supported in `XML` format"})
    query = _loads(params, "query", {})
    sort = _loads(params, "sort", {})
    try:
        start = positive_int(params.get("start", 0))
    except ValueError as err:
        raise ApiError(400, {"start": "A positive integer is required."}) from err
    fields = _loads(params, "fields", [])
    if not isinstance(sort, dict) or not isinstance(fields, list):
        raise server_error()  # MongoHelper would fail on `.items()` / `.append()`
    try:
        sort = {str(k): int(v) for k, v in sort.items()}
    except (TypeError, ValueError) as err:
        raise server_error() from err
    return {"query": query, "sort": sort, "fields": fields, "start": start, "limit": limit}


def data_list(app: SandboxApp, req: Request, uid: str, suffix: str | None = None) -> Response:
    asset = _deployed_asset(app, req, uid)
    fmt = (suffix or "").lstrip(".") or req.param("format") or "json"
    p = _list_params(req, fmt)
    try:
        count, texts, ids = app.submissions.query(
            asset["uid"], p["query"], p["sort"], p["fields"], p["start"], p["limit"]
        )
    except UnsupportedQuery as err:
        raise ApiError(400, ["Unsupported query"]) from err
    except (TypeError, AttributeError) as err:  # e.g. query=[1,2]: `query.update` fails
        raise server_error() from err
    pager = Paginator(req)
    pager.window(count)
    next_link, previous = pager.next_link(), pager.previous_link()
    if fmt == "xml":
        return _xml_page(app, count, next_link, previous, ids)
    head = json.dumps(
        {"count": count, "next": next_link, "previous": previous}, separators=(",", ":")
    )
    return raw_json(200, head[:-1] + ',"results":[' + ",".join(texts) + "]}")


def _xml_page(
    app: SandboxApp, count: int, nxt: str | None, prev: str | None, ids: list[int]
) -> Response:
    """SubmissionXMLRenderer: the stored instance XML of each record, in a <root>."""
    items = [re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", x) for x in app.store.xml_for_ids(ids)]
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><root><count>{count}</count>'
        f"<next>{escape(str(nxt))}</next><previous>{escape(str(prev))}</previous><results>\n"
        + "\n".join(items)
        + ("\n" if items else "")
        + "</results></root>"
    )
    return Response(200, body.encode(), {"Content-Type": XML_TYPE})


def _submission_id(app: SandboxApp, asset: dict[str, Any], pk: str) -> int:
    sub_id = app.submissions.get_id(asset["uid"], pk)
    if sub_id is None:  # Http404 from _get_submission_by_id_or_root_uuid
        raise not_found()
    return sub_id


def data_detail(
    app: SandboxApp, req: Request, uid: str, pk: str, suffix: str | None = None
) -> Response:
    asset = _deployed_asset(app, req, uid)
    sub_id = _submission_id(app, asset, pk)
    if req.method == "DELETE":
        doc = json.loads(app.store.get_doc(asset["uid"], sub_id) or "{}")
        app.store.delete_submissions([sub_id])
        _log(app, asset, "delete-submission", doc)
        return Response(204)
    fmt = (suffix or "").lstrip(".") or req.param("format") or "json"
    if fmt == "xml":
        return Response(200, (app.store.get_xml(sub_id) or "").encode(), {"Content-Type": XML_TYPE})
    return raw_json(200, app.store.get_doc(asset["uid"], sub_id) or "{}")


def _log(app: SandboxApp, asset: dict[str, Any], action: str, doc: dict[str, Any],
         status: str | None = None) -> None:  # fmt: skip
    """Project history (kobo/apps/audit_log): root_uuid without 'uuid:' prefix."""
    submission: dict[str, Any] = {}
    if status is not None:
        submission["status"] = status
    submission["root_uuid"] = remove_uuid_prefix(doc.get("meta/rootUuid", ""))
    submission["submitted_by"] = doc.get("_submitted_by")
    app.store.add_audit_log(asset["uid"], action, {
        "source": "nswp-sandbox", "asset_uid": asset["uid"], "ip_address": "127.0.0.1",
        "submission": submission, "log_subtype": "project", "project_owner": app.username,
    }, drf_datetime(utcnow().replace(microsecond=0)))  # fmt: skip


def _payload(req: Request, needs_status: bool = False) -> dict[str, Any]:
    """DataBulkActionsValidator (kpi/serializers/v2/data.py)."""
    data = req.data()
    if not isinstance(data, dict) or "payload" not in data:
        raise ApiError(400, {"payload": ["This field is required."]})
    payload = data["payload"]
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError as err:
            raise ApiError(400, {"payload": ["Value must be valid JSON."]}) from err
    if not isinstance(payload, dict):
        raise server_error()
    if "submission_ids" in payload:
        try:
            ids = [int(i) for i in set(payload["submission_ids"])]
        except (TypeError, ValueError) as err:
            raise ApiError(
                400, {"payload": ["`submission_ids` must only contain integer values"]}
            ) from err
        if not ids:
            raise ApiError(400, {"payload": ["`submission_ids` must contain at least one value"]})
        payload["submission_ids"] = sorted(ids)
    elif "query" not in payload and not payload.get("confirm", False):
        raise ApiError(400, {"payload": ["Confirmation is required"]})
    if needs_status and "validation_status.uid" not in payload:
        raise ApiError(400, {"payload": ["`validation_status.uid` is required"]})
    return payload


def _target_ids(app: SandboxApp, asset: dict[str, Any], payload: dict[str, Any]) -> list[int]:
    """The whole batch is rejected if one id is not in the project (InvalidSubmissionIdsError)."""
    if "submission_ids" in payload:
        ids = payload["submission_ids"]
        if app.store.existing_ids(asset["uid"], ids) != set(ids):
            raise ApiError(400, {"detail": "One or more submission ids are invalid"})
        return ids
    query = payload.get("query", {}) if "query" in payload else {}
    try:
        return app.submissions.matching_ids(asset["uid"], query)
    except UnsupportedQuery as err:
        raise ApiError(400, ["Unsupported query"]) from err
    except (TypeError, AttributeError) as err:
        raise server_error() from err


def data_bulk(app: SandboxApp, req: Request, uid: str) -> Response:
    asset = _deployed_asset(app, req, uid)
    payload = _payload(req)
    if req.method == "PATCH":
        return _bulk_update(app, req, asset, payload)
    ids = _target_ids(app, asset, payload)
    docs = [json.loads(app.store.get_doc(asset["uid"], i) or "{}") for i in ids]
    deleted = app.store.delete_submissions(ids)
    for doc in docs:
        _log(app, asset, "delete-submission", doc)
    return json_response(200, {"detail": f"{deleted} submissions have been deleted"})


def _bulk_update(
    app: SandboxApp, req: Request, asset: dict[str, Any], payload: dict[str, Any]
) -> Response:
    """PATCH /data/bulk/: each record is re-submitted as an edit with a new instanceID."""
    if not payload.get("data"):
        raise ApiError(400, {"payload": ["`data` is required"]})
    ids = _target_ids(app, asset, payload)
    results = [app.submissions.edit_fields(asset, i, payload["data"], req.user) for i in ids]
    successes = sum(1 for r in results if r["status_code"] == 201)
    failures = len(results) - successes
    body = {"count": len(results), "successes": successes, "failures": failures, "results": results}
    return json_response(200, body)


def validation_status(app: SandboxApp, req: Request, uid: str, pk: str) -> Response:
    asset = _deployed_asset(app, req, uid)
    sub_id = _submission_id(app, asset, pk)
    doc = json.loads(app.store.get_doc(asset["uid"], sub_id) or "{}")
    if req.method in ("GET", "HEAD"):
        return json_response(200, doc.get("_validation_status") or {})
    if req.method == "DELETE":
        app.submissions.set_validation(asset["uid"], [sub_id], None, req.user or "")
        _log(app, asset, "modify-submission", doc, "None")
        return Response(204)
    data = req.data()
    status_uid = data.get("validation_status.uid") if isinstance(data, dict) else None
    if status_uid not in VALIDATION_LABELS:
        raise ApiError(400, {"detail": f"Invalid validation status: `{status_uid}`"})
    app.submissions.set_validation(asset["uid"], [sub_id], status_uid, req.user or "")
    _log(app, asset, "modify-submission", doc, VALIDATION_LABELS[status_uid])
    doc = json.loads(app.store.get_doc(asset["uid"], sub_id) or "{}")
    return json_response(200, doc["_validation_status"])


def validation_statuses(app: SandboxApp, req: Request, uid: str) -> Response:
    asset = _deployed_asset(app, req, uid)
    payload = _payload(req, needs_status=True)
    status_uid = payload.get("validation_status.uid")
    if req.method == "PATCH" and status_uid not in VALIDATION_LABELS:
        raise ApiError(400, {"detail": f"Invalid validation status: `{status_uid}`"})
    ids = _target_ids(app, asset, payload)
    new_status = None if req.method == "DELETE" else status_uid
    updated = app.submissions.set_validation(asset["uid"], ids, new_status, req.user or "")
    for sub_id in ids:
        doc = json.loads(app.store.get_doc(asset["uid"], sub_id) or "{}")
        label = VALIDATION_LABELS.get(new_status or "", "None")
        _log(app, asset, "modify-submission", doc, label)
    return json_response(200, {"detail": f"{updated} submissions have been updated"})


def duplicate(app: SandboxApp, req: Request, uid: str, pk: str) -> Response:
    """POST /data/{id}/duplicate/ -> 201 with the new record."""
    asset = _deployed_asset(app, req, uid)
    result = app.submissions.duplicate(asset, _submission_id(app, asset, pk), req.user)
    if result.status != 201 or result.submission_id is None:
        message = re.search(rb"<message[^>]*>(.*?)</message>", result.body)
        raise ApiError(result.status, message.group(1).decode() if message else "")
    return raw_json(201, app.store.get_doc(asset["uid"], result.submission_id) or "{}")


def attachment(
    app: SandboxApp, req: Request, uid: str, pk: str, att: str, size: str | None = None
) -> Response:
    """kpi/views/v2/attachment.py: the stored file (no thumbnails: every size is the original)."""
    asset = _deployed_asset(app, req, uid)
    sub_id = _submission_id(app, asset, pk)
    found = app.store.get_attachment(sub_id, att)
    if found is None:
        raise not_found()
    _name, mimetype, data = found
    return Response(200, data, {"Content-Type": mimetype})
