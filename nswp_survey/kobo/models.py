"""Frozen dataclasses for what the Kobo server sends, with snake_case names.

Kobo's raw names (`_id`, `_uuid`, `meta/rootUuid`, `deployment__active`, ...) are translated
here and nowhere else. Every model keeps the JSON it came from in `raw`, for audit. The parsers
tolerate differences between KPI releases: `_tags`/`_notes` present or not, `_validation_status`
`{}`, a missing `meta/rootUuid` or `__version__`, `date_deployed` sent as `false`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from nswp_survey.errors import KoboResponseError
from nswp_survey.kobo.validate import check_depth, check_name, parse_id, shown

T = TypeVar("T")

UUID_PREFIX = "uuid:"
_VERSION_KEY = re.compile(r"^__?version__?(\d{3})?$")


def parse_datetime(value: Any, *, what: str = "date") -> datetime | None:
    """Kobo timestamp -> aware UTC datetime; None for null/false/''; naive values are UTC."""
    if value in (None, False, ""):
        return None
    problem = f"unexpected {what} from the Kobo server: {shown(value)} is not a date"
    try:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
    # (a date out of range is an OverflowError or OSError: 1e30, or year 9999 at -14:00)
    except (ValueError, OverflowError, OSError) as err:
        raise KoboResponseError(problem) from err
    raise KoboResponseError(problem)


def strip_uuid(value: Any) -> str | None:
    """'uuid:abc' -> 'abc'; None stays None."""
    if value in (None, ""):
        return None
    text = str(value)
    return text[len(UUID_PREFIX) :] if text.startswith(UUID_PREFIX) else text


def expect_object(body: Any, what: str, url: str | None = None) -> dict[str, Any]:
    """Return `body` if it is a JSON object, else raise KoboResponseError naming `what`."""
    if not isinstance(body, dict):
        where = f" from {url}" if url else ""
        raise KoboResponseError(
            f"expected {what}{where} as a JSON object, got {type(body).__name__}", url=url
        )
    return body


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paged Kobo list: `count` is the server's total, `next_url` the next page."""

    results: list[T]
    count: int | None
    next_url: str | None
    url: str = ""


@dataclass(frozen=True)
class Asset:
    """A Kobo project (asset): its identity, form version and deployment state."""

    uid: str
    name: str
    asset_type: str
    version_id: str | None
    deployed_version_id: str | None
    has_deployment: bool
    deployment_active: bool
    deployment_status: str | None
    submission_count: int
    date_modified: datetime | None
    owner: str | None
    content: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Asset:
        data = expect_object(body, "an asset")
        if "uid" not in data:
            raise KoboResponseError("an asset from the Kobo server has no uid")
        status = data.get("deployment_status")
        return cls(
            uid=str(data["uid"]),
            name=str(data.get("name") or ""),
            asset_type=str(data.get("asset_type") or ""),
            version_id=_str(data.get("version_id")),
            deployed_version_id=_str(data.get("deployed_version_id")),
            has_deployment=bool(data.get("has_deployment")),
            deployment_active=bool(data.get("deployment__active")),
            deployment_status=None if status in (None, "", "-") else str(status),
            submission_count=int(data.get("deployment__submission_count") or 0),
            date_modified=parse_datetime(data.get("date_modified"), what="date_modified"),
            owner=_str(data.get("owner__username") or data.get("owner")),
            content=data.get("content") if isinstance(data.get("content"), dict) else None,
            raw=data,
        )


@dataclass(frozen=True)
class ImportTask:
    """An XLSForm import task: `status` is created|processing|complete|error."""

    uid: str
    status: str
    messages: dict[str, Any]
    asset_uid: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def error_type(self) -> str | None:
        return _str(self.messages.get("error_type"))

    @property
    def error(self) -> str | None:
        return _str(self.messages.get("error"))

    @classmethod
    def from_json(cls, body: Any) -> ImportTask:
        data = expect_object(body, "an import task")
        messages = _dict(data.get("messages"))
        asset_uid = None
        for key in ("created", "updated"):
            entries = messages.get(key)
            if isinstance(entries, list) and entries and isinstance(entries[0], dict):
                asset_uid = _str(entries[0].get("uid"))
                break
        return cls(
            uid=str(data.get("uid") or ""),
            status=str(data.get("status") or ""),
            messages=messages,
            asset_uid=asset_uid,
            raw=data,
        )


@dataclass(frozen=True)
class Deployment:
    """An asset's deployment: which form version is live and whether it takes data."""

    backend: str | None
    active: bool
    version_id: str | None
    asset: Asset | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Deployment:
        data = expect_object(body, "a deployment")
        asset = data.get("asset")
        return cls(
            backend=_str(data.get("backend")),
            active=bool(data.get("active")),
            version_id=_str(data.get("version_id")),
            asset=Asset.from_json(asset) if isinstance(asset, dict) and "uid" in asset else None,
            raw=data,
        )


@dataclass(frozen=True)
class AssetVersion:
    """One saved version of a form; `date_deployed` is None when it was never deployed."""

    uid: str
    content_hash: str | None
    date_deployed: datetime | None
    date_modified: datetime | None
    version_number: str | None
    content: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def deployed(self) -> bool:
        return self.date_deployed is not None

    @classmethod
    def from_json(cls, body: Any) -> AssetVersion:
        data = expect_object(body, "a form version")
        if "uid" not in data:
            raise KoboResponseError("a form version from the Kobo server has no uid")
        content = data.get("content")
        return cls(
            uid=str(data["uid"]),
            content_hash=_str(data.get("content_hash")),
            date_deployed=parse_datetime(data.get("date_deployed"), what="date_deployed"),
            date_modified=parse_datetime(data.get("date_modified"), what="date_modified"),
            version_number=_str(data.get("version_number")),
            content=content if isinstance(content, dict) else None,
            raw=data,
        )


@dataclass(frozen=True)
class Attachment:
    """A file attached to a submission; the download URLs need the token."""

    uid: str
    filename: str
    basename: str
    mimetype: str | None
    download_url: str | None
    question_xpath: str | None
    is_deleted: bool
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Attachment:
        data = expect_object(body, "an attachment")
        filename = check_name(data.get("filename") or "", "attachment filename")
        basename = check_name(
            data.get("media_file_basename") or filename.rsplit("/", 1)[-1],
            "attachment media_file_basename",
        )
        return cls(
            uid=check_name(data.get("uid") or data.get("id") or "", "attachment uid"),
            filename=filename,
            basename=basename,
            mimetype=_str(data.get("mimetype")),
            download_url=_str(data.get("download_url")),
            question_xpath=_str(data.get("question_xpath")),
            is_deleted=bool(data.get("is_deleted")),
            raw=data,
        )


@dataclass(frozen=True)
class ValidationStatus:
    """A submission's validation status (e.g. uid 'validation_status_approved')."""

    uid: str
    label: str | None
    by_whom: str | None
    timestamp: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> ValidationStatus | None:
        """None for `{}` (no status) or null."""
        if isinstance(body, str) and body:
            return cls(uid=body, label=None, by_whom=None, timestamp=None, raw={"uid": body})
        if not isinstance(body, Mapping) or not body.get("uid"):
            return None
        return cls(
            uid=str(body["uid"]),
            label=_str(body.get("label")),
            by_whom=_str(body.get("by_whom")),
            timestamp=parse_datetime(body.get("timestamp"), what="validation timestamp"),
            raw=dict(body),
        )


@dataclass(frozen=True)
class Submission:
    """One submission as the data API returns it.

    `id` is Kobo's integer `_id` (stable, never reused); `uuid` the current instanceID and
    `root_uuid` the identity that survives edits, both without the 'uuid:' prefix.
    `instance_id` and `deprecated_id` are the XML values as sent ('uuid:...'), as an edit
    must quote them. `submission_time` is None only when `fields=` left it out.
    """

    id: int
    uuid: str | None
    root_uuid: str | None
    instance_id: str | None
    deprecated_id: str | None
    version: str | None
    submission_time: datetime | None
    validation_status: str | None
    submitted_by: str | None
    xform_id_string: str | None
    attachments: list[Attachment]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def answers(self) -> dict[str, Any]:
        """The form's own fields: every key that is not one of Kobo's `_...` properties."""
        return {k: v for k, v in self.raw.items() if not k.startswith("_") or k.startswith("__")}

    @classmethod
    def from_json(cls, body: Any) -> Submission:
        data = expect_object(body, "a submission")
        sub_id = parse_id(data.get("_id"))
        check_depth(data, "JSON")
        instance_id = _str(data.get("meta/instanceID"))
        uuid = strip_uuid(data.get("_uuid")) or strip_uuid(instance_id)
        status = ValidationStatus.from_json(data.get("_validation_status"))
        attachments = data.get("_attachments") or []
        if not isinstance(attachments, list):
            raise KoboResponseError(f"_attachments is not a list: {shown(attachments)}")
        return cls(
            id=sub_id,
            uuid=uuid,
            root_uuid=strip_uuid(data.get("meta/rootUuid")) or strip_uuid(instance_id) or uuid,
            instance_id=instance_id,
            deprecated_id=_str(data.get("meta/deprecatedID")),
            version=_version_of(data),
            submission_time=parse_datetime(data.get("_submission_time"), what="_submission_time"),
            validation_status=status.uid if status else None,
            submitted_by=_str(data.get("_submitted_by")),
            xform_id_string=_str(data.get("_xform_id_string")),
            attachments=[Attachment.from_json(a) for a in attachments],
            raw=data,
        )


def _version_of(data: Mapping[str, Any]) -> str | None:
    """`__version__`, else an older release's `_version_` / `_version__001` key."""
    if data.get("__version__"):
        return str(data["__version__"])
    for key in sorted(data):
        if _VERSION_KEY.match(key) and data[key]:
            return str(data[key])
    return None


@dataclass(frozen=True)
class HistoryEntry:
    """One project-history log entry (e.g. action 'delete-submission')."""

    action: str
    date_created: datetime | None
    username: str | None
    submission_root_uuid: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> HistoryEntry:
        data = expect_object(body, "a history entry")
        metadata = _dict(data.get("metadata"))
        submission = _dict(metadata.get("submission"))
        return cls(
            action=str(data.get("action") or ""),
            date_created=parse_datetime(data.get("date_created"), what="date_created"),
            username=_str(data.get("username")),
            submission_root_uuid=strip_uuid(submission.get("root_uuid")),
            raw=data,
        )


@dataclass(frozen=True)
class SubmissionResult:
    """What the OpenRosa server said about a posted submission (201 created, 202 duplicate)."""

    status: int
    message: str
    instance_id: str | None

    @property
    def created(self) -> bool:
        return self.status == 201

    @property
    def duplicate(self) -> bool:
        return self.status == 202


@dataclass(frozen=True)
class FormListEntry:
    """One form in the OpenRosa formList: `form_id` is the asset uid."""

    form_id: str
    name: str
    version: str | None
    hash: str | None
    download_url: str
    manifest_url: str | None
