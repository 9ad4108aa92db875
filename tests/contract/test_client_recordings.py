"""Replay every recorded KPI response against the client: the recordings are the ground truth.

Each `shared/kobo-recordings/**/*.json` is registered with `responses` for its method, path and
query, then the client method that sends that request is called. A 2xx answer must parse into
the right dataclass with the body's values; any other status must raise the right error class
with the server's own words in the message. A recording that no route below knows is checked
through `session.request_json`, so a new recording is covered without new code.

Where our client deliberately sends something else than the recorded request, `DIFFERENCES`
says so, and the recorded answer is replayed against what we send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from nswp_survey.config import KoboSettings
from nswp_survey.errors import (
    KoboAuthError,
    KoboError,
    KoboHTTPError,
    KoboImportError,
    KoboNotFoundError,
    KoboResponseError,
    KoboUnavailableError,
)
from nswp_survey.kobo import (
    Asset,
    AssetVersion,
    Deployment,
    ImportTask,
    KoboClient,
    Submission,
)
from nswp_survey.kobo.pagination import iter_pages

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
RECORDINGS = SHARED / "kobo-recordings"
if not RECORDINGS.is_dir():
    pytest.skip(
        f"the recorded KPI responses are not at {RECORDINGS} (CI clones shared/ beside the repo)",
        allow_module_level=True,
    )

FILES = sorted(RECORDINGS.rglob("*.json"))
BASE = "http://127.0.0.1:8000"  # the recorded server; loopback, so plain http is allowed
TOKEN = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
MAX_RETRIES = 1
RETRYABLE = frozenset({429, 500, 502, 503, 504})

# Recordings where our client deliberately sends something else than the recorded request.
DIFFERENCES = {
    "submissions/nested_repeats_data_xml_format.json": (
        "the client reads the data API as JSON only: an XML page (?format=xml) is a "
        "KoboResponseError, never parsed"
    ),
    "nested_repeats/versions_list_deployed_true.json": (
        "list_versions(deployed=True) sends 'True', as lowercase 'true' answers 500: this "
        "answer is only checked through session.request_json"
    ),
    "deletes/bulk_delete_unwrapped_submission_ids.json": (
        "bulk_delete always wraps ids in {'payload': ...}; the recorded 400 for an unwrapped "
        "body is replayed against our wrapped request"
    ),
    "openrosa/asset_detail_custom_column.json": (
        "?format=json is not sent: the client asks for JSON with the Accept header"
    ),
    "auth/token_get_basic_format_json.json": (
        "?format=json is not sent: the client asks for JSON with the Accept header"
    ),
    "auth/token_get_basic.json": "recorded with HTTP Basic; the client sends its Token header",
    "submissions/openrosa_submit_anonymous_401.json": (
        "recorded without credentials; the client always sends its token, so the 401 reads "
        "'refused the token'"
    ),
    "nested_repeats/deployment_get_before_deploy.json": (
        "get_deployment answers None for 404 (no deployment) instead of raising"
    ),
    "broken/bad_reference_deployment_get_after_failed_deploy.json": (
        "get_deployment answers None for 404 (no deployment) instead of raising"
    ),
}
OUTCOME_NONE = {
    "nested_repeats/deployment_get_before_deploy.json",
    "broken/bad_reference_deployment_get_after_failed_deploy.json",
}
OUTCOME_RESPONSE_ERROR = {"submissions/nested_repeats_data_xml_format.json"}


# -- loading and registering ----------------------------------------------------------------
def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def rel(path: Path) -> str:
    return path.relative_to(RECORDINGS).as_posix()


def _same(recorded: str, sent: str) -> bool:
    try:
        return json.loads(recorded) == json.loads(sent)
    except ValueError:
        return recorded == sent


def query_matcher(recorded: dict[str, str], extra: frozenset[str]) -> Callable:
    """Match the recorded query: JSON values compared as JSON (whitespace aside), `format=json`
    optional (we send Accept instead), and only `extra` params (ours) beyond it."""

    def match(request: requests.PreparedRequest) -> tuple[bool, str]:
        sent = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
        for key, value in recorded.items():
            if key == "format" and value == "json" and key not in sent:
                continue
            if key not in sent or not _same(value, sent[key]):
                return False, f"query {key}={value!r} not sent (sent {sent})"
        unexpected = set(sent) - set(recorded) - extra
        if unexpected:
            return False, f"unexpected query params {sorted(unexpected)}"
        return True, ""

    return match


def register(mock: responses.RequestsMock, rec: dict[str, Any], extra: frozenset[str]) -> None:
    request = rec["request"]
    headers = {k: v for k, v in rec["headers"].items() if k.lower() != "content-type"}
    content_type = rec["headers"].get("Content-Type")
    body = rec["body"]
    text = json.dumps(body) if isinstance(body, dict | list) else body
    mock.add(
        request["method"],
        BASE + request["path"],
        body=text,
        status=rec["status"],
        headers=headers,
        content_type=content_type or "text/plain",
        match=[query_matcher(request["query"], extra)],
    )


def summary_json(rec: dict[str, Any]) -> Any:
    """The JSON body the recording says it sent (after 'JSON ' in body_summary), if any."""
    summary = rec["request"].get("body_summary") or ""
    at = summary.find("JSON {")
    if at < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(summary[at + 5 :])[0]
    except ValueError:
        return None


def server_words(rec: dict[str, Any]) -> list[str]:
    """The server's own explanation(s), found independently of the client's parser."""
    body = rec["body"]
    if isinstance(body, dict):
        for key in ("detail", "error"):
            if isinstance(body.get(key), str):
                return [body[key]]
        words = []
        for value in body.values():
            words += [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return words
    found = re.search(r"<(message|detail)\b[^>]*>(.*?)</\1>", body or "", re.S)
    if found:
        return [" ".join(found.group(2).split())]
    return [" ".join(re.sub(r"<[^>]+>", " ", body or "").split())]


# -- value checks ---------------------------------------------------------------------------
def when(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def check_asset(asset: Asset, body: dict[str, Any]) -> None:
    assert isinstance(asset, Asset)
    assert asset.uid == body["uid"]
    assert asset.name == body["name"]
    assert asset.asset_type == body["asset_type"]
    assert asset.version_id == body.get("version_id")
    assert asset.deployed_version_id == body.get("deployed_version_id")
    assert asset.has_deployment is body.get("has_deployment", False)
    assert asset.deployment_active is body.get("deployment__active", False)
    assert asset.deployment_status == body.get("deployment_status")
    assert asset.submission_count == body.get("deployment__submission_count", 0)
    assert asset.date_modified == when(body.get("date_modified"))
    assert asset.owner == body.get("owner__username")
    assert asset.content == body.get("content")
    assert asset.raw == body


def check_submission(sub: Submission, raw: dict[str, Any]) -> None:
    assert isinstance(sub, Submission)
    assert sub.id == raw["_id"]
    assert sub.uuid == raw["_uuid"]
    root = raw.get("meta/rootUuid") or raw.get("meta/instanceID") or raw["_uuid"]
    assert sub.root_uuid == root.removeprefix("uuid:")
    assert not sub.root_uuid.startswith("uuid:")
    assert sub.instance_id == raw.get("meta/instanceID")
    assert sub.deprecated_id == raw.get("meta/deprecatedID")
    assert sub.version == raw.get("__version__")
    assert sub.submission_time == when(raw.get("_submission_time"))
    if sub.submission_time is not None:
        assert sub.submission_time.tzinfo is UTC
    assert sub.validation_status == (raw.get("_validation_status") or {}).get("uid")
    assert sub.submitted_by == raw.get("_submitted_by")
    assert sub.xform_id_string == raw.get("_xform_id_string")
    assert [a.uid for a in sub.attachments] == [a["uid"] for a in raw.get("_attachments", [])]
    assert sub.raw == raw


def check_page(page: Any, body: dict[str, Any]) -> None:
    assert page.count == body["count"]
    assert page.next_url == body["next"]
    assert len(page.results) == len(body["results"])
    for sub, raw in zip(page.results, body["results"], strict=True):
        check_submission(sub, raw)


def check_version(version: AssetVersion, raw: dict[str, Any]) -> None:
    assert isinstance(version, AssetVersion)
    assert version.uid == raw["uid"]
    assert version.content_hash == raw["content_hash"]
    assert version.date_deployed == when(raw["date_deployed"])
    assert version.date_modified == when(raw["date_modified"])
    assert version.version_number == raw["version_number"]
    assert version.content == raw.get("content")


def check_deployment(deployment: Deployment, body: dict[str, Any]) -> None:
    assert isinstance(deployment, Deployment)
    assert deployment.backend == body["backend"]
    assert deployment.active is body["active"]
    assert deployment.version_id == body["version_id"]
    assert deployment.asset is not None
    check_asset(deployment.asset, body["asset"])


def check_import(task: ImportTask, body: dict[str, Any]) -> None:
    assert isinstance(task, ImportTask)
    assert task.uid == body["uid"]
    assert task.status == body["status"]
    messages = body.get("messages", {})
    created = messages.get("created") or messages.get("updated") or [{}]
    assert task.asset_uid == created[0].get("uid")
    assert task.error_type == messages.get("error_type")
    assert task.error == messages.get("error")


# -- routes: recorded request -> client call ------------------------------------------------
UID = r"(?P<uid>a[A-Za-z0-9]{21})"
ASSET = rf"/api/v2/assets/{UID}/"
Call = Callable[[KoboClient, dict[str, Any], re.Match[str]], Any]
Check = Callable[[Any, dict[str, Any], re.Match[str]], None]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    call: Call
    check: Check
    extra: frozenset[str] = frozenset()  # query params our client adds to the recorded ones
    retried: frozenset[int] = RETRYABLE  # statuses that end in KoboUnavailableError
    accepts: Callable[[dict[str, Any]], bool] = field(default=lambda rec: True)

    def matches(self, rec: dict[str, Any]) -> re.Match[str] | None:
        request = rec["request"]
        if request["method"] != self.method or not self.accepts(rec):
            return None
        return re.fullmatch(self.path, request["path"])


def data_params_typed(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The SubmissionService.iter_pages arguments that send this recorded query, if any."""
    query = dict(rec["request"]["query"])
    if query.get("format") == "json":
        del query["format"]
    if set(query) - {"query", "sort", "limit", "fields"}:
        return None
    try:
        mongo = json.loads(query["query"]) if "query" in query else None
        fields = json.loads(query["fields"]) if "fields" in query else None
        sort = json.loads(query["sort"]) if "sort" in query else {"_id": 1}
    except ValueError:
        return None
    limit = query.get("limit", "1000")
    if sort != {"_id": 1} or not limit.isdigit() or int(limit) < 1:
        return None
    if mongo is not None and not isinstance(mongo, dict):
        return None
    kwargs: dict[str, Any] = {"fields": fields, "page_size": int(limit)}
    if mongo is not None and set(mongo) == {"_id"} and set(mongo["_id"]) == {"$gt"}:
        kwargs["after_id"] = mongo["_id"]["$gt"]  # the incremental-sync cursor itself
    else:
        kwargs["query"] = mongo
    return kwargs


def import_args(rec: dict[str, Any]) -> tuple[Path, str, str | None]:
    summary = rec["request"]["body_summary"]
    workbook = re.search(r"file=@(\S+?),", summary).group(1)
    name = re.search(r"\bname=([^,\s]+)", summary).group(1)
    destination = re.search(r"destination=\S+/api/v2/assets/(a\w+)/", summary)
    return RECORDINGS / workbook, name, destination.group(1) if destination else None


def submission_xml(rec: dict[str, Any]) -> bytes:
    named = re.search(r"instances/[\w.]+\.xml", rec["request"]["body_summary"])
    if named and (RECORDINGS / named.group(0)).is_file():
        return (RECORDINGS / named.group(0)).read_bytes()
    return b'<data id="x"><meta><instanceID>uuid:x</instanceID></meta></data>'


def ids_in(rec: dict[str, Any]) -> list[int]:
    found = re.search(r'"submission_ids": \[([\d, ]+)\]', rec["request"]["body_summary"])
    return [int(n) for n in found.group(1).split(",")]


def status_in(rec: dict[str, Any]) -> str:
    return re.search(r'"validation_status\.uid": "(\w+)"', rec["request"]["body_summary"]).group(1)


def no_check(result: Any, body: Any, m: re.Match[str]) -> None:
    assert result is None


def check_history(entries: list[Any], body: dict[str, Any], m: re.Match[str]) -> None:
    assert [(e.action, e.raw) for e in entries] == [(x["action"], x) for x in body["results"]]
    for entry, raw in zip(entries, body["results"], strict=True):
        root = raw["metadata"].get("submission", {}).get("root_uuid")
        assert entry.submission_root_uuid == root
        assert entry.date_created == when(raw["date_created"])


def check_count(count: int, body: dict[str, Any], m: re.Match[str]) -> None:
    # "2 submissions have been deleted" / "2 submissions have been updated"
    assert count == int(body["detail"].split()[0])


def check_status_get(status: Any, body: dict[str, Any], m: re.Match[str]) -> None:
    assert (status.uid if status else None) == body.get("uid")


def check_status_set(status: Any, body: dict[str, Any], m: re.Match[str]) -> None:
    assert (status.uid, status.label, status.by_whom) == (
        body["uid"],
        body["label"],
        body["by_whom"],
    )
    assert status.timestamp == datetime.fromtimestamp(body["timestamp"], UTC)


def check_deleted(result: bool, body: Any, m: re.Match[str]) -> None:
    assert result is True


def check_form_list(forms: list[Any], body: str, m: re.Match[str]) -> None:
    assert [f.form_id for f in forms] == re.findall(r"<formID>(\w+)</formID>", body)
    assert [f.download_url for f in forms] == re.findall(r"<downloadUrl>(\S+?)</downloadUrl>", body)


def check_text(text: str, body: str, m: re.Match[str]) -> None:
    assert text == body


def check_generic(result: Any, body: Any, m: re.Match[str]) -> None:
    assert result == (body if isinstance(body, dict | list) else None)


ROUTES = [
    Route(
        "asset list",
        "GET",
        r"/api/v2/assets/",
        lambda c, rec, m: c.assets.list(asset_type=None, q=rec["request"]["query"].get("q")),
        lambda r, b, m: [check_asset(a, raw) for a, raw in zip(r, b["results"], strict=True)],
    ),
    Route(
        "asset detail",
        "GET",
        ASSET,
        lambda c, rec, m: c.assets.get(m["uid"]),
        lambda r, b, m: check_asset(r, b),
    ),
    Route(
        "asset update",
        "PATCH",
        ASSET,
        lambda c, rec, m: c.assets.update(m["uid"], content=rec["body"].get("content", {})),
        lambda r, b, m: check_asset(r, b),
    ),
    Route(
        "import create",
        "POST",
        r"/api/v2/imports/",
        lambda c, rec, m: c.assets.start_import(
            *import_args(rec)[:2], destination_uid=import_args(rec)[2]
        ),
        lambda r, b, m: check_import(r, b),
        retried=frozenset({429}),
    ),
    Route(
        "import status",
        "GET",
        r"/api/v2/imports/(?P<task>i\w+)/",
        lambda c, rec, m: c.assets.get_import(m["task"]),
        lambda r, b, m: check_import(r, b),
    ),
    Route(
        "deployment get",
        "GET",
        rf"{ASSET}deployment/",
        lambda c, rec, m: c.assets.get_deployment(m["uid"]),
        lambda r, b, m: check_deployment(r, b),
    ),
    Route(
        "deploy",
        "POST",
        rf"{ASSET}deployment/",
        lambda c, rec, m: c.assets.deploy(m["uid"]),
        lambda r, b, m: check_deployment(r, b),
        retried=frozenset({429}),
    ),
    Route(
        "redeploy",
        "PATCH",
        rf"{ASSET}deployment/",
        lambda c, rec, m: c.assets.redeploy(m["uid"], summary_json(rec)["version_id"]),
        lambda r, b, m: check_deployment(r, b),
        retried=RETRYABLE - {500},
    ),
    Route(
        "versions list",
        "GET",
        rf"{ASSET}versions/",
        lambda c, rec, m: c.assets.list_versions(
            m["uid"], deployed=True if rec["request"]["query"] else None
        ),
        lambda r, b, m: [check_version(v, raw) for v, raw in zip(r, b["results"], strict=True)],
        accepts=lambda rec: rec["request"]["query"] in ({}, {"deployed": "True"}),
    ),
    Route(
        "version detail",
        "GET",
        rf"{ASSET}versions/(?P<version>v\w+)/",
        lambda c, rec, m: c.assets.get_version(m["uid"], m["version"]),
        lambda r, b, m: check_version(r, b),
    ),
    Route(
        "history",
        "GET",
        rf"{ASSET}history/",
        lambda c, rec, m: list(
            c.assets.iter_history(
                m["uid"], action=rec["request"]["query"]["q"].removeprefix("action:")
            )
        ),
        check_history,
    ),
    Route(
        "data page (typed)",
        "GET",
        rf"{ASSET}data/",
        lambda c, rec, m: next(c.submissions.iter_pages(m["uid"], **data_params_typed(rec))),
        lambda r, b, m: check_page(r, b),
        extra=frozenset({"sort", "limit"}),
        accepts=lambda rec: data_params_typed(rec) is not None,
    ),
    Route(
        "data page (raw params)",
        "GET",
        rf"{ASSET}data/",
        lambda c, rec, m: [
            Submission.from_json(raw)
            for raw in next(
                iter_pages(c.session, rec["request"]["path"], rec["request"]["query"])
            ).results
        ],
        lambda r, b, m: [check_submission(s, raw) for s, raw in zip(r, b["results"], strict=True)],
    ),
    Route(
        "bulk delete",
        "DELETE",
        rf"{ASSET}data/bulk/",
        lambda c, rec, m: c.submissions.bulk_delete(m["uid"], ids_in(rec)),
        check_count,
        retried=frozenset({429}),
    ),
    Route(
        "bulk validation",
        "PATCH",
        rf"{ASSET}data/validation_statuses/",
        lambda c, rec, m: c.submissions.set_validation_statuses(
            m["uid"], ids_in(rec), status_in(rec)
        ),
        check_count,
    ),
    Route(
        "validation get",
        "GET",
        rf"{ASSET}data/(?P<id>\d+)/validation_status/",
        lambda c, rec, m: c.submissions.get_validation_status(m["uid"], int(m["id"])),
        check_status_get,
    ),
    Route(
        "validation set",
        "PATCH",
        rf"{ASSET}data/(?P<id>\d+)/validation_status/",
        lambda c, rec, m: c.submissions.set_validation_status(
            m["uid"], int(m["id"]), status_in(rec)
        ),
        check_status_set,
    ),
    Route(
        "validation clear",
        "DELETE",
        rf"{ASSET}data/(?P<id>\d+)/validation_status/",
        lambda c, rec, m: c.submissions.set_validation_status(m["uid"], int(m["id"]), None),
        no_check,
    ),
    Route(
        "submission get",
        "GET",
        rf"{ASSET}data/(?P<key>[\w-]+)/",
        lambda c, rec, m: c.submissions.get(
            m["uid"], int(m["key"]) if m["key"].isdigit() else m["key"]
        ),
        lambda r, b, m: check_submission(r, b),
    ),
    Route(
        "submission delete",
        "DELETE",
        rf"{ASSET}data/(?P<id>\d+)/",
        lambda c, rec, m: c.submissions.delete(m["uid"], int(m["id"])),
        check_deleted,
    ),
    Route("token", "GET", r"/token/", lambda c, rec, m: c.check_token(), no_check),
    Route(
        "formList", "GET", r"/formList", lambda c, rec, m: c.openrosa.form_list(), check_form_list
    ),
    Route(
        "xform download",
        "GET",
        r"/forms/\d+/form\.xml",
        lambda c, rec, m: c.openrosa.download_xform(BASE + rec["request"]["path"]),
        check_text,
    ),
    Route(
        "openrosa submit",
        "POST",
        r"/submission",
        lambda c, rec, m: c.openrosa.submit(submission_xml(rec)),
        lambda r, b, m: check_submission_result(r, b),
    ),
]
GENERIC = Route(
    "generic session.request_json",
    "*",
    r".*",
    lambda c, rec, m: c.session.request_json(
        rec["request"]["method"], rec["request"]["path"], params=rec["request"]["query"] or None
    ),
    check_generic,
)


def check_submission_result(result: Any, body: str) -> None:
    status = 201 if "Successful submission." in body else 202
    assert result.status == status
    assert result.created is (status == 201)
    assert result.duplicate is (status == 202)
    instance = re.search(r'instanceID="([^"]+)"', body)
    assert result.instance_id == (instance.group(1) if instance else None)
    assert result.message in body


def route_for(rec: dict[str, Any]) -> tuple[Route, re.Match[str]]:
    for route in ROUTES:
        found = route.matches(rec)
        if found:
            return route, found
    return GENERIC, re.fullmatch(r".*", rec["request"]["path"])


def expected_error(rec: dict[str, Any], route: Route) -> type[KoboError]:
    status = rec["status"]
    method = rec["request"]["method"]
    retried = route.retried if route is not GENERIC or method != "POST" else frozenset({429})
    if status in (401, 403):
        return KoboAuthError
    if status == 404:
        return KoboNotFoundError
    if status in retried:
        return KoboUnavailableError
    return KoboHTTPError


def make_client() -> KoboClient:
    settings = KoboSettings(
        url=BASE, token=TOKEN, max_retries=MAX_RETRIES, backoff=0.0, timeout=5.0
    )
    return KoboClient(settings, sleep=lambda seconds: None)


# -- the tests ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=[rel(p) for p in FILES])
def test_recorded_answer_is_understood(path: Path) -> None:
    rec = load(path)
    name = rel(path)
    route, found = route_for(rec)
    status = rec["status"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        register(mock, rec, route.extra)
        client = make_client()
        if name in OUTCOME_NONE:
            assert route.call(client, rec, found) is None, DIFFERENCES[name]
        elif name in OUTCOME_RESPONSE_ERROR:
            with pytest.raises(
                KoboResponseError, match=r"expected JSON from .*, got application/xml"
            ):
                route.call(client, rec, found)
        elif 200 <= status < 300:
            result = route.call(client, rec, found)
            route.check(result, rec["body"], found)
        else:
            expected = expected_error(rec, route)
            with pytest.raises(KoboError) as caught:
                route.call(client, rec, found)
            message = str(caught.value)
            assert type(caught.value) is expected, f"{route.name}: {message}"
            assert caught.value.status == status
            for words in server_words(rec):
                assert words in message, f"{words!r} missing from {message!r}"
            assert "\n" not in message
            attempts = MAX_RETRIES + 1 if expected is KoboUnavailableError else 1
            assert len(mock.calls) == attempts, f"{route.name}: {len(mock.calls)} requests"
        assert mock.calls, f"{route.name}: the client sent nothing"
        for call in mock.calls:  # every request we sent was the recorded one (else: no match)
            assert isinstance(call.response, requests.Response), f"{route.name}: {call.response}"
            assert call.request.headers["Authorization"] == f"Token {TOKEN}"
        sent = summary_json(rec)
        if sent is not None and name not in DIFFERENCES and mock.calls[0].request.body:
            assert json.loads(mock.calls[0].request.body) == sent, f"{route.name}: body differs"


def test_differences_name_existing_recordings() -> None:
    names = {rel(p) for p in FILES}
    assert set(DIFFERENCES) <= names
    assert OUTCOME_NONE | OUTCOME_RESPONSE_ERROR <= set(DIFFERENCES)


IMPORT_PAIRS = [
    (p, q)
    for p in FILES
    if load(p)["request"]["method"] == "POST" and load(p)["request"]["path"] == "/api/v2/imports/"
    for q in FILES
    if load(q)["request"]["path"] == f"/api/v2/imports/{load(p)['body']['uid']}/"
]


@pytest.mark.parametrize(("create", "poll"), IMPORT_PAIRS, ids=[rel(p) for p, _ in IMPORT_PAIRS])
def test_recorded_import_runs_end_to_end(create: Path, poll: Path) -> None:
    rec_create, rec_poll = load(create), load(poll)
    workbook, name, destination = import_args(rec_create)
    with responses.RequestsMock() as mock:
        register(mock, rec_create, frozenset())
        register(mock, rec_poll, frozenset())
        client = make_client()
        messages = rec_poll["body"]["messages"]
        if rec_poll["body"]["status"] == "error":
            with pytest.raises(KoboImportError) as caught:
                client.assets.import_xlsform(workbook, name, destination_uid=destination)
            assert messages["error_type"] in str(caught.value)
            assert messages["error"] in str(caught.value)
        else:
            uid = client.assets.import_xlsform(workbook, name, destination_uid=destination)
            assert uid == (messages.get("created") or messages.get("updated"))[0]["uid"]
        body = mock.calls[0].request.body
        assert b'name="library"\r\n\r\nfalse' in body
        assert workbook.read_bytes() in body
        if destination:
            assert f"{BASE}/api/v2/assets/{destination}/".encode() in body


def test_paging_follows_the_recorded_next_link() -> None:
    first = load(RECORDINGS / "paging/limit_1000_page1.json")
    second = load(RECORDINGS / "paging/limit_1000_page2_via_next.json")
    uid = first["request"]["path"].split("/")[4]
    with responses.RequestsMock() as mock:
        register(mock, first, frozenset({"sort"}))
        register(mock, second, frozenset())
        pages = list(make_client().submissions.iter_pages(uid, page_size=1000))
    assert [p.next_url for p in pages] == [first["body"]["next"], None]
    check_page(pages[0], first["body"])
    check_page(pages[1], second["body"])
