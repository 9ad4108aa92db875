"""Replay the recorded KPI conversation against the sandbox, and compare answers by shape.

Helper of ``test_sandbox_recordings.py`` (loaded by path: pytest runs with importlib mode).

The recordings in ``shared/kobo-recordings/`` are real KPI answers. :func:`run_scenario` rebuilds
the recorded world on a fresh sandbox (the same forms, imports, deploys, redeploys, submissions,
edits, deletes, validation statuses) and, at the point of the story where each recording was
made, sends the recording's own request (translated to the sandbox's ids) and keeps the answer.
:func:`compare_exchange` then checks the status code and the JSON (or XML) *shape*: same keys
and value types, recursively; ids, uids, times, hosts, counts and string values may differ.

Everything a request needs is derived from the recording itself (method, path, query and the
free-text ``body_summary``); only the few bodies that cannot be derived generically are in
:data:`EXPLICIT_BODIES`. A recording that the scenario does not know yet is replayed at the end,
so a new recording file is checked without new code.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

RECORDED_HOST = "http://127.0.0.1:8000"
TIMEOUT = 30
NOT_JSON = object()  # sentinel: the answer had no parseable JSON body

# ---------------------------------------------------------------------------------------------
# Recordings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """One recorded request/answer pair (``<shared>/kobo-recordings/<name>``)."""

    name: str
    method: str
    path: str
    query: dict[str, str]
    body_summary: str
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def content_type(self) -> str:
        return media_type(self.headers.get("Content-Type", ""))


def load_recordings(root: Path) -> dict[str, Recording]:
    """Every ``*/*.json`` recording under ``root``, keyed by its relative path."""
    recordings = {}
    for path in sorted(root.glob("*/*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        request = raw["request"]
        name = path.relative_to(root).as_posix()
        recordings[name] = Recording(
            name=name,
            method=request["method"].upper(),
            path=request["path"],
            query=dict(request.get("query") or {}),
            body_summary=request.get("body_summary") or "",
            status=int(raw["status"]),
            headers=dict(raw.get("headers") or {}),
            body=raw.get("body"),
        )
    return recordings


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


# ---------------------------------------------------------------------------------------------
# Shape comparison
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


TRIM_HEAD = TRIM_TAIL = 3  # README: big pages keep only the first 3 and last 3 `results`


def _pairs(expected: list, got: list) -> Iterable[tuple[int, int]]:
    """Which expected element each got element is compared with.

    Equal lengths pair by index. A recorded list of 6 against a longer answer is a trimmed
    page (first 3 + last 3), so heads pair with heads and tails with tails. Otherwise pair by
    index up to the shorter length (lengths are counts, which may differ).
    """
    if len(expected) == len(got):
        return [(i, i) for i in range(len(got))]
    if len(expected) == TRIM_HEAD + TRIM_TAIL and len(got) > len(expected):
        head = [(i, i) for i in range(TRIM_HEAD)]
        tail = [(len(expected) - k, len(got) - k) for k in range(TRIM_TAIL, 0, -1)]
        return head + tail
    n = min(len(expected), len(got))
    return [(i, i) for i in range(n)]


def compare_shape(expected: Any, got: Any, path: str = "$") -> list[Diff]:
    """Differences of keys and value types between two JSON values (values themselves ignored)."""
    te, tg = type_name(expected), type_name(got)
    if te != tg:
        if got is None:
            return [Diff(path, f"expected {te}, got null")]
        if expected is None:
            return [Diff(path, f"expected null, got {tg} ({_short(got)})")]
        return [Diff(path, f"expected {te} ({_short(expected, 40)}), got {tg} ({_short(got)})")]
    diffs: list[Diff] = []
    if isinstance(expected, dict):
        for key in expected:
            if key not in got:
                diffs.append(
                    Diff(_join(path, key), f"missing key (expected {type_name(expected[key])})")
                )
        for key in got:
            if key not in expected:
                diffs.append(
                    Diff(
                        _join(path, key),
                        f"unexpected key ({type_name(got[key])}: {_short(got[key], 60)})",
                    )
                )
        for key in expected:
            if key in got:
                diffs.extend(compare_shape(expected[key], got[key], _join(path, key)))
    elif isinstance(expected, list):
        if expected and not got:
            kinds = sorted({type_name(e) for e in expected})
            diffs.append(
                Diff(path, f"expected a non-empty list (of {'/'.join(kinds)}), got an empty list")
            )
        elif got and not expected:
            diffs.append(
                Diff(path, f"expected an empty list, got {len(got)} element(s): {_short(got[0])}")
            )
        else:
            if len(expected) != len(got):  # unpaired elements still count by their types
                kinds_e = sorted({type_name(e) for e in expected})
                kinds_g = sorted({type_name(g) for g in got})
                if kinds_e != kinds_g:
                    diffs.append(
                        Diff(
                            path,
                            f"expected elements of type {'/'.join(kinds_e)}, "
                            f"got {'/'.join(kinds_g)} ({len(expected)} vs {len(got)} elements)",
                        )
                    )
            for ie, ig in _pairs(expected, got):
                diffs.extend(compare_shape(expected[ie], got[ig], f"{path}[{ig}]"))
    return diffs


def normalise_kuid_keys(value: Any) -> Any:
    """Dict keys that are this body's own ``$kuid`` values become ``"<$kuid>"``.

    KPI keys ``report_styles`` entries of unnamed rows (end_group, end_repeat) by their random
    ``$kuid``; the sandbox makes its own, so only "a kuid-keyed entry exists" is comparable.
    """
    kuids: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "$kuid" and isinstance(item, str):
                    kuids.add(item)
                collect(item)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, item in node.items():
                new_key = "<$kuid>" if key in kuids else key
                if new_key not in out:
                    out[new_key] = rewrite(item)
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    collect(value)
    return rewrite(value) if kuids else value


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def xml_to_shape(text: str, rename: Callable[[str], str] = lambda s: s) -> Any:
    """An XML document as JSON-like data: ``{tag: {"@attr": str, child_tag: [...], "#text": str}}``.

    Every child tag maps to a list (so one ``<xform>`` and four compare as the same shape);
    a leaf without attributes is its text. Namespaces are dropped; ``rename`` maps tags
    (the recorded asset uid is the root tag of instances and XForms).
    """
    root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)

    def convert(element: ET.Element) -> Any:
        children = list(element)
        attrs = {"@" + _local(k): v for k, v in element.attrib.items()}
        if not children and not attrs:
            return element.text or ""
        node: dict[str, Any] = dict(attrs)
        for child in children:
            node.setdefault(rename(_local(child.tag)), []).append(convert(child))
        if not children:
            node["#text"] = element.text or ""
        return node

    return {rename(_local(root.tag)): convert(root)}


# ---------------------------------------------------------------------------------------------
# The synthetic good_eats submissions (instances/good_eats_generated_template.xml)
# ---------------------------------------------------------------------------------------------

GENERATED_COUNT = 1150
FOOD_TYPES = (
    "morning_food lunch dinner libations caffeination deserts street_meat streat_sweets "
    "savory_snacks baked_goods drunk_food not_sure"
).split()
RATINGS = ("nasty", "delectible", "nothing_special", "bad")
RISKS = ("low_risk", "medium_risk", "high_risk")


def generated_uuid(i: int) -> str:
    """README: instanceID = uuid5(NAMESPACE_URL, "kobo-rec-ge-<i>")."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kobo-rec-ge-{i}"))


def generated_params(i: int) -> dict[str, Any]:
    """The template's parameters for generated submission #i.

    Reverse-engineered from every generated record in the recordings (checked by
    ``test_generated_template_reproduces_recorded_records``): food types, ratings and risks
    cycle through the form's choice lists, the rest are simple functions of i.
    """
    return {
        "i": i,
        "d": i % 28 + 1,
        "food": FOOD_TYPES[i % len(FOOD_TYPES)],
        "amt": i % 50 + 0.5,
        "rating": RATINGS[i % len(RATINGS)],
        "risk": RISKS[i % len(RISKS)],
        "loc": i % 37,
        "lat": -1.3 + (i % 100) * 0.001,
        "lng": 36.8 + (i % 77) * 0.001,
        "iid": generated_uuid(i),
    }


def render_generated(template: str, i: int, asset_uid: str, xform_uuid: str, version: str) -> str:
    """Generated submission #i, byte-identical to what was posted (the template file ends in
    a newline that the posted XML did not have: see instances/duplicate_identical.xml)."""
    return template.strip().format(u=asset_uid, fh=xform_uuid, v=version, **generated_params(i))


# Recorded submission `_id`s that appear only in requests, never in a recorded record. Their
# generated index comes from the history logs (deletes/history_delete_submission.json and
# edits/history_modify_submission.json list their root uuids = generated_uuid(i)).
RECORDED_ID_TO_GENERATED_INDEX = {29: 19, 39: 29, 40: 30, 51: 41, 52: 42}
# Ids the recordings use on purpose as "not in the project".
INTENTIONALLY_UNKNOWN_IDS = {999999}


def recorded_root_uuids(recordings: Iterable[Recording]) -> dict[int, str]:
    """Recorded submission `_id` -> its root uuid (no ``uuid:`` prefix), from recorded records."""
    found: dict[int, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            sid = node.get("_id")
            root = node.get("meta/rootUuid") or node.get("_uuid")
            if isinstance(sid, int) and not isinstance(sid, bool) and isinstance(root, str):
                found.setdefault(sid, root.removeprefix("uuid:"))
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for rec in recordings:
        walk(rec.body)
    for sid, i in RECORDED_ID_TO_GENERATED_INDEX.items():
        found.setdefault(sid, generated_uuid(i))
    return found


# ---------------------------------------------------------------------------------------------
# Translating recorded ids to the sandbox's
# ---------------------------------------------------------------------------------------------

_ID_PATTERN = re.compile(r"^(?:[a-z][A-Za-z0-9]{21}|[0-9a-f]{32})$")
# Keys whose values are ids the sandbox mints itself; learnt by walking a recorded answer and
# the sandbox's answer side by side (first pairing wins).
LEARNT_KEYS = frozenset(
    {
        "uid",
        "version_id",
        "deployed_version_id",
        "deployment__uuid",
        "asset_uid",
        "latest_version_uid",
    }
)


@dataclass
class IdMap:
    """Recorded identifiers -> the sandbox's, filled as the scenario goes."""

    host: str
    strings: dict[str, str] = field(default_factory=dict)
    recorded_roots: dict[int, str] = field(default_factory=dict)  # recorded _id -> root uuid
    sandbox_ids: dict[str, int] = field(default_factory=dict)  # root uuid -> sandbox _id
    time_offset: int | None = None
    form_pks: dict[str, str] = field(default_factory=dict)  # recorded /forms/<pk> -> sandbox
    warnings: list[str] = field(default_factory=list)

    def add(self, recorded: str, sandbox: str) -> None:
        if recorded and sandbox and recorded not in self.strings:
            self.strings[recorded] = sandbox

    def text(self, value: str) -> str:
        """Replace every known recorded id (and the recorded host) inside a string."""
        out = value.replace(RECORDED_HOST, self.host)
        for recorded in sorted(self.strings, key=len, reverse=True):
            if recorded in out:
                out = out.replace(recorded, self.strings[recorded])
        return out

    def submission_id(self, recorded: int) -> int:
        if recorded in INTENTIONALLY_UNKNOWN_IDS:
            return recorded
        root = self.recorded_roots.get(recorded)
        if root is None:
            self.warnings.append(f"recorded _id {recorded}: no known root uuid")
            return recorded
        if root not in self.sandbox_ids:
            self.warnings.append(f"recorded _id {recorded} (uuid {root}) not found in the sandbox")
            return recorded
        return self.sandbox_ids[root]

    def timestamp(self, recorded: int) -> int:
        if self.time_offset is None:
            self.warnings.append(f"timestamp {recorded}: no sandbox timestamp learnt yet")
            return recorded
        return recorded + self.time_offset

    def json_value(self, value: Any, context: str = "") -> Any:
        """Translate ids inside a JSON request value; ``context`` is the nearest field name."""
        if isinstance(value, dict):
            return {
                k: self.json_value(v, context if k.startswith("$") else k) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.json_value(v, context) for v in value]
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if context in ("_id", "submission_ids"):
                return self.submission_id(value)
            if context.endswith("timestamp"):
                return self.timestamp(value)
            return value
        if isinstance(value, str):
            return self.text(value)
        return value

    def learn(self, recorded: Any, got: Any) -> None:
        """Pair up ids (and the validation timestamp offset) at the same place in two answers."""
        if isinstance(recorded, dict) and isinstance(got, dict):
            for key, item in recorded.items():
                if key not in got:
                    continue
                other = got[key]
                if (
                    key in LEARNT_KEYS
                    and isinstance(item, str)
                    and isinstance(other, str)
                    and _ID_PATTERN.match(item)
                    and other not in self.strings.values()
                ):
                    self.add(item, other)
                elif (
                    key == "timestamp"
                    and type_name(item) == "int"
                    and type_name(other) == "int"
                    and self.time_offset is None
                ):
                    self.time_offset = other - item
                else:
                    self.learn(item, other)
        elif isinstance(recorded, list) and isinstance(got, list) and len(recorded) == len(got):
            for a, b in zip(recorded, got, strict=True):
                self.learn(a, b)


# ---------------------------------------------------------------------------------------------
# Building a request from a recording
# ---------------------------------------------------------------------------------------------


@dataclass
class Body:
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    note: str = ""


@dataclass
class Exchange:
    """What the sandbox answered to one recording's request."""

    name: str
    method: str = ""
    url: str = ""
    request_note: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    json: Any = NOT_JSON
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    step: int = 0
    scheduled: bool = True

    @property
    def content_type(self) -> str:
        return media_type(self.headers.get("Content-Type"))

    def describe(self) -> str:
        line = f"step {self.step}: {self.method} {self.url}"
        if self.request_note:
            line += f"  [{self.request_note}]"
        return line


_ANONYMOUS_WORDS = (
    "anonymous",
    "no authorization header",
    "without credentials",
    "no credentials",
    "no token",
)


def auth_kind(rec: Recording) -> str:
    """How the recorded request authenticated, read from its body_summary (README conventions:
    Token unless the summary says otherwise; OpenRosa /submission used HTTP Basic)."""
    s = rec.body_summary.lower()
    if "wrong password" in s:
        return "basic-wrong"
    if "invalid token" in s or "bad token" in s:
        return "token-invalid"
    if "bearer" in s:
        return "bearer"
    if any(word in s for word in _ANONYMOUS_WORDS):
        return "none"
    if "http basic" in s:
        return "basic"
    if "authorization: token" in s:
        return "token"
    if rec.path.rstrip("/").endswith("/submission"):
        return "basic"
    return "token"


def _strip_parentheses(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return text


def parse_multipart_summary(summary: str) -> dict[str, str]:
    """``multipart/form-data: file=@forms/x.xls, name=x, library=false (comment)`` -> fields."""
    _, _, rest = summary.partition("multipart/form-data:")
    rest = _strip_parentheses(rest)
    return dict(re.findall(r"(\w+)=(\S+?)(?=,|\s|$)", rest))


def json_in_summary(summary: str) -> Any:
    """The first JSON object in a summary (after ``JSON `` if present); raises ValueError."""
    start = summary.find("JSON ")
    start = summary.find("{", start if start >= 0 else 0)
    if start < 0:
        raise ValueError("no JSON object in body_summary")
    value, _ = json.JSONDecoder().raw_decode(summary[start:])
    return value


_INSTANCE_RE = re.compile(r"(instances/[\w.-]+\.xml)")


# ---------------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------------

# The recorded story, in the order it happened (read from the README, the recorded timestamps
# and the history logs). Strings are recording names; ("action", name) are setup steps that
# have no recording. Recordings missing from this list are replayed after it, in name order.
SCENARIO: list[str | tuple[str, str]] = [
    # nested_repeats: import, deploy, content PATCH, redeploy, versions
    "nested_repeats/import_create.json",
    "nested_repeats/import_status_first_poll.json",
    "nested_repeats/asset_detail_before_deploy.json",
    "nested_repeats/deployment_get_before_deploy.json",
    "nested_repeats/data_before_deploy.json",
    "nested_repeats/deployment_post.json",
    "nested_repeats/deployment_get.json",
    "nested_repeats/asset_detail_deployed.json",
    "nested_repeats/deployment_post_again_405.json",
    "nested_repeats/asset_patch_content.json",
    "nested_repeats/deployment_patch_redeploy.json",
    "nested_repeats/deployment_patch_same_version_again.json",
    "nested_repeats/deployment_patch_stale_version.json",
    "nested_repeats/asset_detail_after_redeploy.json",
    "nested_repeats/versions_list.json",
    "nested_repeats/versions_list_deployed_True.json",
    "nested_repeats/versions_list_deployed_true.json",
    "nested_repeats/versions_detail.json",
    # good_eats_multilang: import, deploy, re-import into destination, redeploy, versions
    "good_eats_multilang/import_create.json",
    "good_eats_multilang/import_status_first_poll.json",
    "good_eats_multilang/asset_detail_before_deploy.json",
    "good_eats_multilang/deployment_post.json",
    "good_eats_multilang/reimport_destination_create.json",
    "good_eats_multilang/reimport_destination_status_first_poll.json",
    "good_eats_multilang/asset_detail_after_reimport.json",
    "good_eats_multilang/deployment_patch_redeploy.json",
    "good_eats_multilang/deployment_patch_stale_version.json",
    "good_eats_multilang/asset_detail_deployed.json",
    "good_eats_multilang/versions_list.json",
    "good_eats_multilang/versions_detail_oldest.json",
    # broken forms
    "broken/duplicate_name_import_create.json",
    "broken/duplicate_name_import_status_first_poll.json",
    "broken/duplicate_in_groups_import_create.json",
    "broken/duplicate_in_groups_import_status.json",
    "broken/bad_reference_import_create.json",
    "broken/bad_reference_import_status.json",
    "broken/bad_reference_deployment_post.json",
    "broken/bad_reference_deployment_get_after_failed_deploy.json",
    "broken/no_survey_sheet_import_create.json",
    "broken/no_survey_sheet_import_status_first_poll.json",
    # OpenRosa submissions
    "submissions/openrosa_submit_nested_repeats_01.json",
    "submissions/openrosa_submit_nested_repeats_02.json",
    ("action", "index_submissions"),
    "submissions/nested_repeats_data.json",
    "submissions/nested_repeats_data_one_by_id.json",
    "submissions/nested_repeats_data_one_by_rootuuid.json",
    "submissions/nested_repeats_data_xml_format.json",
    "submissions/openrosa_head_submission.json",
    "submissions/openrosa_submit_anonymous_401.json",
    "submissions/openrosa_submit_good_eats_1.json",
    "submissions/good_eats_data_after_fixture.json",
    "submissions/openrosa_submit_good_eats_1_with_instanceID.json",
    ("action", "ingest_generated"),
    ("action", "index_submissions"),
    # auth (the recorded "private deployed asset" is mapped to nested_repeats)
    "auth/bad_token_401.json",
    "auth/bad_token_on_data_401.json",
    "auth/bearer_header_unknown_scheme.json",
    "auth/no_token_asset_list.json",
    "auth/no_token_private_asset_data.json",
    "auth/no_token_private_asset_detail.json",
    "auth/token_get_anonymous.json",
    "auth/token_get_basic.json",
    "auth/token_get_basic_format_json.json",
    "auth/token_get_wrong_password.json",
    "auth/unknown_asset_404.json",
    "auth/unknown_asset_data_404.json",
    # paging over 1,151 submissions (read-only; any order)
    "paging/default_page_no_limit.json",
    "paging/default_page_follow_next.json",
    "paging/limit_1000_page1.json",
    "paging/limit_1000_page2_via_next.json",
    "paging/limit_5000_capped.json",
    "paging/limit_30000_capped.json",
    "paging/limit_0_400.json",
    "paging/limit_negative.json",
    "paging/limit_non_integer.json",
    "paging/start_1100_limit_100.json",
    "paging/start_beyond_count.json",
    "paging/start_equals_count.json",
    "paging/start_negative.json",
    "paging/offset_param.json",
    "paging/page_param.json",
    "paging/count_param.json",
    "paging/format_json_suffix.json",
    "paging/fields_id_uuid.json",
    "paging/fields_id_uuid_limit3.json",
    "paging/fields_malformed.json",
    "paging/query_food_type_in.json",
    "paging/query_id_gt_sort_id_asc.json",
    "paging/query_id_gt_sort_id_asc_limit50.json",
    "paging/query_id_in.json",
    "paging/query_malformed_json_400.json",
    "paging/query_not_object.json",
    "paging/query_regex.json",
    "paging/query_unknown_operator.json",
    "paging/sort_id_desc.json",
    "paging/sort_malformed.json",
    "paging/sort_two_keys.json",
    # edits and duplicates of generated #5 and #7
    "edits/record_before_edit.json",
    "edits/openrosa_edit_1.json",
    "edits/record_after_edit_1.json",
    "edits/openrosa_edit_2.json",
    "edits/record_after_edit_2.json",
    "edits/record_after_edit_2_by_current_uuid.json",
    "edits/record_after_edit_2_by_rootuuid.json",
    "edits/openrosa_edit_stale_deprecatedID.json",
    "edits/openrosa_edit_unknown_deprecatedID.json",
    "edits/openrosa_resubmit_edit_2_identical.json",
    "edits/openrosa_resubmit_original_after_edits.json",
    "edits/openrosa_duplicate_identical.json",
    "edits/openrosa_duplicate_conflicting.json",
    "edits/record_after_duplicates.json",
    # deletes (1151 -> 1148)
    "deletes/delete_one_204.json",
    "deletes/get_deleted_404.json",
    "deletes/delete_again_404.json",
    "deletes/bulk_delete_invalid_id_400.json",
    "deletes/bulk_delete_unwrapped_submission_ids.json",
    "deletes/bulk_delete_payload_submission_ids.json",
    "deletes/bulk_delete_already_deleted_id.json",
    "deletes/query_deleted_ids_after.json",
    "deletes/history_delete_submission.json",
    "submissions/good_eats_asset_list_entry.json",
    # validation statuses (order from the history log: approve 49, hold 50, bulk 51+52,
    # reset 50; the timestamp query still saw 50 on hold and not 51/52)
    "validation/get_validation_status_empty.json",
    "validation/patch_validation_status_approved.json",
    "validation/patch_validation_status_invalid_400.json",
    "validation/record_after_approved.json",
    "validation/patch_validation_status_on_hold.json",
    "validation/query_validation_timestamp_gt.json",
    "validation/bulk_patch_validation_statuses.json",
    "validation/delete_validation_status.json",
    "validation/record_after_validation_delete.json",
    "validation/query_validation_status_approved.json",
    "edits/history_modify_submission.json",
    # what KoboCollect sees, for a 5-language form with a custom column (recorded afterwards)
    ("action", "seed_sens_test"),
    "openrosa/formList_token.json",
    "openrosa/form_xml_5_languages.json",
    "openrosa/asset_detail_custom_column.json",
]

# The recorded "private deployed asset" (a tutorial form made before the recording) and the
# 5-language form of openrosa/ have no XLSForm in forms/: they are stood in for as below.
STAND_INS = {"aLLPsheRsmCEH3TRc3tc6S": "as2zqxq3pBXhHSdahcdXXP"}
SENS_TEST_UID = "aB5tPkhiBVMKmqPP8TRsGi"


class Replay:
    """Runs the scenario against one sandbox and keeps every answer."""

    def __init__(self, server: Any, shared: Path, recordings: dict[str, Recording]):
        self.server = server
        self.shared = shared
        self.rec_dir = shared / "kobo-recordings"
        self.recordings = recordings
        self.ids = IdMap(host=server.url)
        self.ids.recorded_roots = recorded_root_uuids(recordings.values())
        self.exchanges: dict[str, Exchange] = {}
        self.action_errors: dict[str, str] = {}
        self.template = (self.rec_dir / "instances" / "good_eats_generated_template.xml").read_text(
            encoding="utf-8"
        )
        self.step = 0

    # ---- HTTP ----------------------------------------------------------------------------
    def headers_for(self, kind: str, path: str) -> tuple[dict[str, str], Any]:
        headers: dict[str, str] = {}
        auth = None
        if path.startswith(("/api/", "/token")):
            headers["Accept"] = "application/json"
        if "/submission" in path or path.startswith(("/formList", "/forms/")):
            headers["X-OpenRosa-Version"] = "1.0"
        if kind == "token":
            headers["Authorization"] = f"Token {self.server.token}"
        elif kind == "token-invalid":
            headers["Authorization"] = "Token " + "0123456789abcdef" * 2 + "01234567"
        elif kind == "bearer":
            headers["Authorization"] = "Bearer not-a-real-oauth2-token"
        elif kind == "basic":
            auth = (self.server.username, self.server.password)
        elif kind == "basic-wrong":
            auth = (self.server.username, self.server.password + "-wrong")
        return headers, auth

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A setup request with the API token (not itself compared with anything)."""
        headers, _ = self.headers_for("token", path)
        return requests.request(
            method, self.server.url + path, headers=headers, timeout=TIMEOUT, **kwargs
        )

    # ---- setup knowledge -------------------------------------------------------------------
    def asset_xform_values(self, asset_uid: str) -> tuple[str | None, str | None]:
        """(formhub/uuid, deployed version) of a deployed asset: from the asset detail, else
        from the XForm served to Collect (its calculate binds)."""
        fh = version = None
        try:
            detail = self.api("GET", f"/api/v2/assets/{asset_uid}/").json()
            fh = detail.get("deployment__uuid") or None
            version = detail.get("deployed_version_id") or None
        except (requests.RequestException, ValueError, AttributeError):
            pass
        if fh and version:
            return fh, version
        try:
            xform = self.xform_text(asset_uid)
            m_fh = re.search(r'formhub/uuid"[^>]*calculate="\'([^\']*)\'', xform)
            m_v = re.search(r'__version__"[^>]*calculate="\'([^\']*)\'', xform)
            fh = fh or (m_fh.group(1) if m_fh else None)
            version = version or (m_v.group(1) if m_v else None)
        except (requests.RequestException, ValueError, LookupError, ET.ParseError):
            pass
        return fh, version

    def form_list(self) -> dict[str, str]:
        """Sandbox /formList: asset uid -> downloadUrl."""
        text = self.api("GET", "/formList").text
        root = ET.fromstring(text.encode("utf-8"))
        out = {}
        for xform in root.iter():
            if _local(xform.tag) != "xform":
                continue
            values = {_local(c.tag): (c.text or "") for c in xform}
            out[values.get("formID", "")] = values.get("downloadUrl", "")
        return out

    def xform_text(self, asset_uid: str) -> str:
        url = self.form_list()[asset_uid]
        headers, _ = self.headers_for("token", "/forms/")
        return requests.get(url, headers=headers, timeout=TIMEOUT).text

    def recorded_form_pks(self) -> dict[str, str]:
        """Recorded /forms/<pk>/ -> recorded asset uid, from the recorded formList."""
        out = {}
        for rec in self.recordings.values():
            if rec.path.rstrip("/").endswith("/formList") and isinstance(rec.body, str):
                for form_id, pk in re.findall(
                    r"<formID>([^<]+)</formID>.*?/forms/(\d+)/form\.xml", rec.body
                ):
                    out[pk] = form_id
        return out

    def sandbox_form_pk(self, recorded_pk: str) -> str:
        if recorded_pk in self.ids.form_pks:
            return self.ids.form_pks[recorded_pk]
        recorded_uid = self.recorded_form_pks().get(recorded_pk)
        sandbox_uid = self.ids.strings.get(recorded_uid or "")
        if not sandbox_uid:
            self.ids.warnings.append(f"/forms/{recorded_pk}/: no sandbox asset for it")
            return recorded_pk
        try:
            url = self.form_list().get(sandbox_uid, "")
        except (requests.RequestException, ET.ParseError) as err:
            self.ids.warnings.append(f"/forms/{recorded_pk}/: formList failed: {err}")
            return recorded_pk
        m = re.search(r"/forms/([^/]+)/form\.xml", url)
        if not m:
            self.ids.warnings.append(f"/forms/{recorded_pk}/: {sandbox_uid} not in the formList")
            return recorded_pk
        self.ids.form_pks[recorded_pk] = m.group(1)
        return m.group(1)

    # ---- translating a recording's request ------------------------------------------------
    def translate_path(self, path: str) -> str:
        parts = path.split("/")
        out = []
        for i, part in enumerate(parts):
            prev = parts[i - 1] if i else ""
            if part.isdigit() and prev == "data":
                part = str(self.ids.submission_id(int(part)))
            elif part.isdigit() and prev == "forms":
                part = self.sandbox_form_pk(part)
            else:
                part = self.ids.text(part)
            out.append(part)
        return "/".join(out)

    def translate_query(self, query: dict[str, str]) -> list[tuple[str, str]]:
        out = []
        for key, value in query.items():
            new = self.ids.text(value)
            if key == "query":  # sort values are directions and fields are names: no ids
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = NOT_JSON
                if parsed is not NOT_JSON:
                    translated = self.ids.json_value(parsed)
                    if translated != parsed:
                        new = json.dumps(translated)
            out.append((key, new))
        return out

    def instance_xml(self, rel_path: str) -> bytes:
        return self.rewrite_instance((self.rec_dir / rel_path).read_text(encoding="utf-8"))

    def rewrite_instance(self, xml: str) -> bytes:
        """Point a recorded instance at the sandbox's form: root tag and id = the sandbox asset
        uid, formhub/uuid and __version__ = the sandbox's values for that asset."""
        m = re.search(r"<(?![?!])([A-Za-z_][\w.-]*)", xml)
        recorded_uid = m.group(1) if m else ""
        asset_uid = self.ids.strings.get(recorded_uid)
        if not asset_uid:
            self.ids.warnings.append(f"instance root {recorded_uid!r}: no sandbox asset")
            return xml.encode("utf-8")
        fh, deployed = self.asset_xform_values(asset_uid)
        xml = xml.replace(recorded_uid, asset_uid)
        if fh:
            xml = re.sub(
                r"(<formhub>\s*<uuid>)[^<]*(</uuid>)", lambda g: g.group(1) + fh + g.group(2), xml
            )
        vm = re.search(r"<__version__>([^<]*)</__version__>", xml)
        if vm:
            version = self.ids.strings.get(vm.group(1)) or deployed or vm.group(1)
            xml = xml[: vm.start(1)] + version + xml[vm.end(1) :]
        return xml.encode("utf-8")

    def body_for(self, rec: Recording) -> Body | None:
        if rec.name in EXPLICIT_BODIES:
            return EXPLICIT_BODIES[rec.name](self)
        if rec.method in ("GET", "HEAD"):
            return None
        summary = rec.body_summary
        if "multipart/form-data:" in summary and "file=@" in summary:
            fields = parse_multipart_summary(summary)
            files = {}
            data = {}
            for key, value in fields.items():
                if value.startswith("@"):
                    path = self.rec_dir / value[1:]
                    files[key] = (path.name, path.read_bytes(), "application/vnd.ms-excel")
                else:
                    data[key] = self.ids.text(value)
            return Body(data=data, files=files, note=f"multipart {sorted(fields)}")
        if rec.path.rstrip("/").endswith("/submission"):
            m = _INSTANCE_RE.search(summary)
            if m:
                xml = self.instance_xml(m.group(1))
                return submission_body(xml, note=m.group(1))
            raise ValueError(f"cannot tell which XML {rec.name} posted; add it to EXPLICIT_BODIES")
        try:
            value = json_in_summary(summary)
        except ValueError:
            return None
        return Body(json=self.ids.json_value(value), note="JSON from body_summary")

    # ---- running --------------------------------------------------------------------------
    def send(self, rec: Recording) -> Exchange:
        for recorded, stand_in in STAND_INS.items():
            if recorded not in self.ids.strings and stand_in in self.ids.strings:
                self.ids.add(recorded, self.ids.strings[stand_in])
        self.step += 1
        ex = Exchange(name=rec.name, method=rec.method, step=self.step)
        warnings_before = len(self.ids.warnings)
        try:
            body = self.body_for(rec)
            path = self.translate_path(rec.path)
            query = self.translate_query(rec.query)
            headers, auth = self.headers_for(auth_kind(rec), rec.path)
            url = self.server.url + path + ("?" + urlencode(query) if query else "")
            ex.url = url
            ex.request_note = f"auth={auth_kind(rec)}" + (f", {body.note}" if body else "")
            kwargs: dict[str, Any] = {}
            if body is not None:
                if body.json is not None:
                    kwargs["json"] = body.json
                if body.data is not None:
                    kwargs["data"] = body.data
                if body.files is not None:
                    kwargs["files"] = {
                        k: (n, io.BytesIO(b), t) for k, (n, b, t) in body.files.items()
                    }
            response = requests.request(
                rec.method,
                url,
                headers=headers,
                auth=auth,
                timeout=TIMEOUT,
                allow_redirects=False,
                **kwargs,
            )
            ex.status = response.status_code
            ex.headers = dict(response.headers)
            ex.text = response.text
            try:
                ex.json = response.json()
            except ValueError:
                ex.json = NOT_JSON
            if ex.json is not NOT_JSON:
                self.ids.learn(rec.body, ex.json)
        except Exception as err:  # a broken step must not stop the story
            ex.error = f"{type(err).__name__}: {err}"
        ex.warnings = self.ids.warnings[warnings_before:]
        return ex

    def run(self) -> None:
        scheduled = [s for s in SCENARIO if isinstance(s, tuple) or s in self.recordings]
        names_in_scenario = {s for s in SCENARIO if isinstance(s, str)}
        unscheduled = [n for n in self.recordings if n not in names_in_scenario]
        for step in [*scheduled, *unscheduled]:
            if isinstance(step, tuple):
                self.run_action(step[1])
                continue
            ex = self.send(self.recordings[step])
            ex.scheduled = step in names_in_scenario
            self.exchanges[step] = ex

    def run_action(self, action: str) -> None:
        try:
            getattr(self, f"action_{action}")()
        except Exception as err:
            self.action_errors.setdefault(action, f"{type(err).__name__}: {err}")

    # ---- actions ---------------------------------------------------------------------------
    def action_index_submissions(self) -> None:
        """Learn the sandbox `_id` of every submission by its root uuid (setup requests)."""
        for recorded in ("as2zqxq3pBXhHSdahcdXXP", "aXNkhESxKtiPDPuBLygopT"):
            uid = self.ids.strings.get(recorded)
            if not uid:
                continue
            rows = self.all_rows(uid, fields=["_id", "_uuid", "meta/rootUuid"])
            if any(not (r.get("meta/rootUuid") or r.get("_uuid")) for r in rows):
                rows = self.all_rows(uid, fields=None)  # `fields` misbehaves: take whole rows
            for row in rows:
                root = str(row.get("meta/rootUuid") or row.get("_uuid") or "")
                if type_name(row.get("_id")) == "int" and root:
                    self.ids.sandbox_ids[root.removeprefix("uuid:")] = row["_id"]

    def all_rows(self, asset_uid: str, fields: list[str] | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": 1000, "start": len(rows)}
            if fields:
                params["fields"] = json.dumps(fields)
            page = self.api("GET", f"/api/v2/assets/{asset_uid}/data/", params=params).json()
            results = page.get("results") or []
            rows += [r for r in results if isinstance(r, dict)]
            if not results or len(rows) >= int(page.get("count") or 0):
                return rows

    def action_ingest_generated(self) -> None:
        """1,150 good_eats submissions through server.ingest_xml (the /submission code path)."""
        recorded = "aXNkhESxKtiPDPuBLygopT"
        uid = self.ids.strings[recorded]
        fh, version = self.asset_xform_values(uid)
        if not fh or not version:
            raise RuntimeError(f"no formhub uuid/version for {uid}: {fh!r}, {version!r}")
        for i in range(GENERATED_COUNT):
            self.server.ingest_xml(render_generated(self.template, i, uid, fh, version).encode())

    def action_seed_sens_test(self) -> None:
        """Import and deploy a stand-in for the recorded 5-language form (built from its
        recorded asset content), so openrosa/ has a form to list, serve and describe."""
        rec = self.recordings.get("openrosa/asset_detail_custom_column.json")
        if rec is None:
            return
        content = rec.body["content"]
        xlsx = content_to_xlsx(content)
        files = {"file": ("sens_test.xlsx", io.BytesIO(xlsx), XLSX_MIME)}
        data = {"name": rec.body.get("name") or "Sens test", "library": "false"}
        created = self.api("POST", "/api/v2/imports/", files=files, data=data).json()
        status = self.api("GET", f"/api/v2/imports/{created['uid']}/").json()
        asset_uid = status["messages"]["created"][0]["uid"]
        self.ids.add(SENS_TEST_UID, asset_uid)
        response = self.api(
            "POST", f"/api/v2/assets/{asset_uid}/deployment/", json={"active": True}
        )
        response.raise_for_status()


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def content_to_xlsx(content: dict[str, Any]) -> bytes:
    """An XLSForm workbook holding a KPI asset content (labels per translation)."""
    from openpyxl import Workbook

    translations = content.get("translations") or [None]
    translated = set(content.get("translated") or [])

    def sheet(wb: Any, title: str, rows: list[dict[str, Any]]) -> None:
        columns: list[str] = []
        for row in rows:
            for key in row:
                if not key.startswith("$") and key not in columns:
                    columns.append(key)
        header: list[str] = []
        for col in columns:
            if col in translated:
                header += [f"{col}::{t}" if t else col for t in translations]
            else:
                header.append(col)
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            cells: list[Any] = []
            for col in columns:
                value = row.get(col)
                if col in translated:
                    values = value if isinstance(value, list) else [value] * len(translations)
                    cells += list(values)
                elif isinstance(value, bool):
                    cells.append("true" if value else "false")
                else:
                    cells.append(value)
            ws.append(cells)

    wb = Workbook()
    wb.remove(wb.active)
    survey = []
    for row in content.get("survey", []):
        row = dict(row)
        if row.get("select_from_list_name"):
            row["type"] = f"{row['type']} {row.pop('select_from_list_name')}"
        survey.append(row)
    sheet(wb, "survey", survey)
    sheet(wb, "choices", content.get("choices", []))
    settings = content.get("settings") or {}
    if settings:
        sheet(wb, "settings", [settings])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def submission_body(xml: bytes, note: str) -> Body:
    return Body(files={"xml_submission_file": ("submission.xml", xml, "text/xml")}, note=note)


def _patched_nested_content(replay: Replay) -> Body:
    """nested_repeats/asset_patch_content.json: the asset's own content with the "address"
    row relabelled (README: label changed to ["5. Street address (edited)"])."""
    uid = replay.ids.strings["as2zqxq3pBXhHSdahcdXXP"]
    content = replay.api("GET", f"/api/v2/assets/{uid}/").json()["content"]
    for row in content["survey"]:
        if row.get("name") == "address" or row.get("$autoname") == "address":
            row["label"] = ["5. Street address (edited)"]
    return Body(json={"content": content}, note="asset content with address relabelled")


def _xml_file(rel_path: str) -> Callable[[Replay], Body]:
    def build(replay: Replay) -> Body:
        return submission_body(replay.instance_xml(rel_path), note=rel_path)

    return build


def _unknown_deprecated_id(replay: Replay) -> Body:
    """A fresh instanceID with a deprecatedID that never existed (README: 404)."""
    xml = (replay.rec_dir / "instances" / "edit_stale_deprecatedID.xml").read_text("utf-8")
    xml = xml.replace(
        "uuid:e3e3e3e3-0000-4000-8000-000000000005", "uuid:e4e4e4e4-0000-4000-8000-000000000005"
    )
    xml = re.sub(
        r"<deprecatedID>[^<]*</deprecatedID>",
        "<deprecatedID>uuid:00000000-dead-4bad-8bad-000000000000</deprecatedID>",
        xml,
    )
    return submission_body(replay.rewrite_instance(xml), note="edit with an unknown deprecatedID")


def _original_generated_5(replay: Replay) -> Body:
    """The ORIGINAL XML of generated #5, posted again after its two edits."""
    uid = replay.ids.strings["aXNkhESxKtiPDPuBLygopT"]
    fh, version = replay.asset_xform_values(uid)
    xml = render_generated(replay.template, 5, uid, fh or "", version or "")
    return submission_body(xml.encode("utf-8"), note="generated #5 as first posted")


# Bodies that cannot be read from body_summary alone, keyed by recording name.
EXPLICIT_BODIES: dict[str, Callable[[Replay], Body]] = {
    "nested_repeats/asset_patch_content.json": _patched_nested_content,
    "submissions/openrosa_submit_anonymous_401.json": _xml_file("instances/nested_repeats_01.xml"),
    "edits/openrosa_duplicate_identical.json": _xml_file("instances/duplicate_identical.xml"),
    "edits/openrosa_duplicate_conflicting.json": _xml_file("instances/duplicate_conflicting.xml"),
    "edits/openrosa_resubmit_edit_2_identical.json": _xml_file("instances/edit_2.xml"),
    "edits/openrosa_edit_unknown_deprecatedID.json": _unknown_deprecated_id,
    "edits/openrosa_resubmit_original_after_edits.json": _original_generated_5,
}


# ---------------------------------------------------------------------------------------------
# Comparing one exchange with its recording
# ---------------------------------------------------------------------------------------------

# Headers a client acts on: checked for presence when the recording has them.
CHECKED_HEADERS = ("WWW-Authenticate", "X-OpenRosa-Version")
_RESULTS_RETURNED = (
    re.compile(r"first 3 \+ last 3 of (\d+)"),
    re.compile(r"(\d+) results returned"),
)


def expected_result_count(rec: Recording) -> int | None:
    for pattern in _RESULTS_RETURNED:
        m = pattern.search(rec.body_summary)
        if m:
            return int(m.group(1))
    return None


def compare_exchange(rec: Recording, ex: Exchange, rename: Callable[[str], str]) -> list[Diff]:
    """Every difference between a recording and the sandbox's answer to its request."""
    if ex.error:
        return [Diff("request", f"could not be sent: {ex.error}")]
    diffs: list[Diff] = []
    if ex.status != rec.status:
        excerpt = ex.text.strip().replace("\n", " ")[:300]
        return [Diff("status", f"expected {rec.status}, got {ex.status}; body: {excerpt!r}")]
    if rec.content_type and ex.content_type != rec.content_type:
        diffs.append(
            Diff("Content-Type", f"expected {rec.content_type!r}, got {ex.content_type!r}")
        )
    lowered = {k.lower() for k in ex.headers}
    for header in CHECKED_HEADERS:
        if header in rec.headers and header.lower() not in lowered:
            diffs.append(Diff(f"header {header}", f"missing (recorded {rec.headers[header]!r})"))

    if rec.content_type == "application/json" or isinstance(rec.body, dict | list):
        if ex.json is NOT_JSON:
            excerpt = ex.text.strip()[:200]
            return [*diffs, Diff("$", f"expected a JSON body, got {excerpt!r}")]
        expected = normalise_kuid_keys(rec.body)
        got = normalise_kuid_keys(ex.json)
        diffs.extend(compare_shape(expected, got))
        wanted = expected_result_count(rec)
        if wanted is not None and isinstance(got, dict) and isinstance(got.get("results"), list):
            if len(got["results"]) != wanted:
                diffs.append(
                    Diff(
                        "$.results",
                        f"expected {wanted} results on this page (body_summary), "
                        f"got {len(got['results'])}",
                    )
                )
    elif "xml" in rec.content_type and isinstance(rec.body, str) and rec.body.strip():
        expected = xml_to_shape(rec.body, rename)
        try:
            got = xml_to_shape(ex.text)
        except ET.ParseError as err:
            return [
                *diffs,
                Diff("$", f"expected XML, got unparseable text ({err}): {ex.text[:200]!r}"),
            ]
        diffs.extend(compare_shape(expected, got))
    elif isinstance(rec.body, str):
        if rec.body == "" and ex.text.strip():
            diffs.append(Diff("$", f"expected an empty body, got {ex.text[:200]!r}"))
        elif rec.body and not ex.text.strip():
            diffs.append(Diff("$", f"expected a text body like {rec.body[:60]!r}, got nothing"))
    return diffs


def format_report(rec: Recording, ex: Exchange, diffs: list[Diff], limit: int = 60) -> str:
    lines = [
        f"{rec.name}: {len(diffs)} difference(s) from the recorded KPI answer",
        f"  recorded: {rec.method} {rec.path} {rec.query or ''} -> {rec.status}",
        f"  replayed: {ex.describe()} -> {ex.status}",
    ]
    lines += [f"  note: {w}" for w in ex.warnings]
    if not ex.scheduled:
        lines.append("  note: not in SCENARIO, replayed after the whole story")
    lines += [f"  - {d}" for d in diffs[:limit]]
    if len(diffs) > limit:
        lines.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(lines)


def query_params(url: str | None) -> tuple[str, dict[str, str]] | None:
    if url is None:
        return None
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
