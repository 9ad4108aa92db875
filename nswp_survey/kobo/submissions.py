"""Submissions of a deployed asset: `/api/v2/assets/{uid}/data/` and its attachments."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import requests
from requests.exceptions import ChunkedEncodingError

from nswp_survey.errors import KoboNotFoundError, KoboResponseError, redact_url
from nswp_survey.kobo.models import Attachment, Page, Submission, ValidationStatus
from nswp_survey.kobo.pagination import PageBudget, iter_pages
from nswp_survey.kobo.session import KoboSession
from nswp_survey.kobo.status import RetryableBodyError, describe_exception
from nswp_survey.kobo.validate import describe_record, shown

DOWNLOAD_CHUNK = 64 * 1024
_DELETED_COUNT = re.compile(r"(\d+)")


def compact_json(value: Any) -> str:
    """JSON without spaces, as Kobo's `query`, `sort` and `fields` parameters take it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def build_data_params(
    *,
    after_id: int | None = None,
    query: Mapping[str, Any] | None = None,
    fields: Sequence[str] | None = None,
    page_size: int,
) -> dict[str, str]:
    """The data-list parameters: an `_id` cursor merged into `query`, sorted by `_id`."""
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1 (got {page_size})")
    mongo: dict[str, Any] = dict(query or {})
    if after_id is not None:
        cursor = {"_id": {"$gt": int(after_id)}}
        mongo = {"$and": [mongo, cursor]} if "_id" in mongo else {**mongo, **cursor}
    params = {"sort": compact_json({"_id": 1}), "limit": str(page_size)}
    if mongo:
        params["query"] = compact_json(mongo)
    if fields:
        params["fields"] = compact_json(list(fields))
    return params


class SubmissionService:
    """Read, delete and validate submissions; download their attachments.

    Example:
        for sub in client.submissions.iter_submissions(uid, after_id=last_id):
            store(sub.id, sub.root_uuid, sub.raw)
    """

    def __init__(self, session: KoboSession) -> None:
        self.session = session

    def iter_pages(
        self,
        asset_uid: str,
        *,
        after_id: int | None = None,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int | None = None,
    ) -> Iterator[Page[Submission]]:
        """Yield pages of submissions with `_id > after_id`, in `_id` order, following `next`.

        `page_size` (default kobo.page_size) is a request: the server may serve fewer (KPI
        caps at 1000) or more (old servers ignore it), and only `next` is trusted.
        """
        params = build_data_params(
            after_id=after_id,
            query=query,
            fields=fields,
            page_size=page_size or self.session.settings.page_size,
        )
        for page in iter_pages(self.session, self._data_path(asset_uid), params):
            yield Page(
                results=parse_submissions(page),
                count=page.count,
                next_url=page.next_url,
                url=page.url,
            )

    def iter_keyset_pages(
        self,
        asset_uid: str,
        *,
        after_id: int | None = None,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int | None = None,
    ) -> Iterator[Page[Submission]]:
        """Like `iter_pages`, but each page is asked for afresh as `_id > last id seen`.

        KPI's `next` link is an offset (`start=`): a submission deleted while we page would
        shift the window and one record would be skipped this run. Asking by `_id` cannot
        skip or repeat, whatever happens on the server meanwhile. One request per page.

        A page with no `_id` above the one asked after (a server that ignores `query` would
        serve its first page forever) raises KoboResponseError, and so does a list that
        overruns the count the server gave (`PageBudget`).
        """
        last = after_id
        budget = PageBudget(self.session.url(self._data_path(asset_uid)), remaining=True)
        while True:
            pages = self.iter_pages(
                asset_uid, after_id=last, query=query, fields=fields, page_size=page_size
            )
            try:
                page = next(pages, None)
            finally:
                pages.close()
            if page is None:
                return
            budget.take(page)
            top = max((sub.id for sub in page.results), default=None)
            if top is not None and last is not None and top <= last:
                raise KoboResponseError(
                    f"asked for submissions after _id {last}, the Kobo server sent none above "
                    f"it ({redact_url(page.url)}): it ignores the query, so the sync would read "
                    "the same records forever; check kobo.url",
                    url=page.url,
                )
            yield page
            if page.next_url is None or top is None:
                return
            last = top

    def iter_by_ids(self, asset_uid: str, ids: Sequence[int]) -> Iterator[Submission]:
        """The submissions with these `_id`s (one `$in` query; ids that are gone are absent).

        A record outside `ids` means the server ignored the query: KoboResponseError.
        """
        wanted = set(ids)
        for sub in self.iter_submissions(asset_uid, query={"_id": {"$in": list(ids)}}):
            if sub.id not in wanted:
                raise KoboResponseError(
                    f"asked for {len(wanted)} submissions by _id, the Kobo server sent _id "
                    f"{sub.id} too: it ignores the query; check kobo.url"
                )
            yield sub

    def iter_submissions(
        self,
        asset_uid: str,
        *,
        after_id: int | None = None,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int | None = None,
    ) -> Iterator[Submission]:
        """Every matching submission, page after page (see `iter_pages`)."""
        for page in self.iter_pages(
            asset_uid, after_id=after_id, query=query, fields=fields, page_size=page_size
        ):
            yield from page.results

    def get(self, asset_uid: str, id_or_uuid: int | str) -> Submission:
        """One submission by integer `_id` or by uuid (current or root, 'uuid:' optional)."""
        key = str(id_or_uuid).removeprefix("uuid:")
        return Submission.from_json(self.session.get_json(f"{self._data_path(asset_uid)}{key}/"))

    def delete(self, asset_uid: str, submission_id: int, *, missing_ok: bool = False) -> bool:
        """Hard-delete one submission (Kobo keeps no tombstone). False if missing and allowed."""
        try:
            self.session.request("DELETE", f"{self._data_path(asset_uid)}{int(submission_id)}/")
        except KoboNotFoundError:
            if missing_ok:
                return False
            raise
        return True

    def bulk_delete(self, asset_uid: str, ids: Iterable[int]) -> int:
        """Delete many submissions at once; the whole batch fails (400) if one id is unknown.

        Not retried after the request may have reached the server: a repeat would name
        ids that are already gone and fail the whole batch.
        """
        submission_ids = [int(i) for i in ids]
        if not submission_ids:
            return 0
        body = self.session.request_json(
            "DELETE",
            f"{self._data_path(asset_uid)}bulk/",
            json_body={"payload": {"submission_ids": submission_ids}},
            idempotent=False,
        )
        return _count_in(body, default=len(submission_ids))

    def get_validation_status(self, asset_uid: str, submission_id: int) -> ValidationStatus | None:
        """The submission's validation status, or None if it has none."""
        path = f"{self._data_path(asset_uid)}{int(submission_id)}/validation_status/"
        return ValidationStatus.from_json(self.session.get_json(path))

    def set_validation_status(
        self, asset_uid: str, submission_id: int, status_uid: str | None
    ) -> ValidationStatus | None:
        """Set (e.g. 'validation_status_approved') or, with None, clear a validation status."""
        path = f"{self._data_path(asset_uid)}{int(submission_id)}/validation_status/"
        if status_uid is None:
            self.session.request("DELETE", path)
            return None
        body = self.session.request_json(
            "PATCH", path, json_body={"validation_status.uid": status_uid}
        )
        return ValidationStatus.from_json(body)

    def set_validation_statuses(self, asset_uid: str, ids: Iterable[int], status_uid: str) -> int:
        """Set one validation status on many submissions; returns how many were updated."""
        submission_ids = [int(i) for i in ids]
        if not submission_ids:
            return 0
        payload = {"submission_ids": submission_ids, "validation_status.uid": status_uid}
        body = self.session.request_json(
            "PATCH",
            f"{self._data_path(asset_uid)}validation_statuses/",
            json_body={"payload": payload},
        )
        return _count_in(body, default=len(submission_ids))

    def download_attachment(
        self, attachment: Attachment, dest_path: str | os.PathLike[str]
    ) -> Path:
        """Stream an attachment to `dest_path` (a file, or a directory to put it in under
        the attachment's own name, reduced to its last path component).

        The file is created readable by its owner only (0600) and appears whole or not at
        all: the body goes to a `.part` file that is renamed when complete.
        """
        if not attachment.download_url:
            raise KoboResponseError(f"attachment {attachment.basename!r} has no download URL")
        dest = Path(dest_path)
        if dest.is_dir():
            dest = dest / _plain_name(attachment)
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")

        def write(response: requests.Response) -> Path:
            content_type = response.headers.get("Content-Type", "")
            if "html" in content_type and "html" not in (attachment.mimetype or ""):
                raise KoboResponseError(
                    f"expected {attachment.basename} from {redact_url(response.url)}, got "
                    f"{content_type.split(';')[0]} (a login page?): check kobo.url",
                    url=response.url,
                )
            written = _stream_to(response, part)
            expected = response.headers.get("Content-Length")
            if expected and expected.isdigit() and written < int(expected):
                raise RetryableBodyError(
                    f"the download from {redact_url(response.url)} stopped after {written} "
                    f"of {expected} bytes"
                )
            os.replace(part, dest)
            return dest

        try:
            saved: Path = self.session.request(
                "GET",
                attachment.download_url,
                headers={"Accept": "*/*"},
                stream=True,
                consume=write,
            )
            return saved
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()

    @staticmethod
    def _data_path(asset_uid: str) -> str:
        if not asset_uid or "/" in asset_uid:
            raise ValueError(f"not an asset uid: {asset_uid!r}")
        return f"/api/v2/assets/{asset_uid}/data/"


def parse_submissions(page: Page[Any]) -> list[Submission]:
    """The page's records as Submissions; the first unusable one raises KoboResponseError
    naming it (by `_id`, or by position when it has none) and what is wrong with it."""
    subs = []
    for position, raw in enumerate(page.results, 1):
        try:
            subs.append(Submission.from_json(raw))
        except KoboResponseError as err:
            raise KoboResponseError(
                f"the Kobo server sent an unusable {describe_record(raw, position)} "
                f"({redact_url(page.url)}): {err}",
                url=page.url or None,
            ) from err
    return subs


def _plain_name(attachment: Attachment) -> str:
    """The attachment's name as one path component: a server may send '../../x' or '/x'."""
    for candidate in (attachment.basename, attachment.uid):
        name = PurePosixPath(candidate.replace("\\", "/")).name
        if name not in ("", ".", "..") and "\x00" not in name:
            return name
    raise KoboResponseError(
        f"attachment {shown(attachment.uid)} has no usable file name: give a file path to "
        "save it to"
    )


def _stream_to(response: requests.Response, part: Path) -> int:
    """Write the body to `part` (0600, truncated first); return the number of bytes."""
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older .part file keeps its mode through O_CREAT
    written = 0
    with os.fdopen(fd, "wb") as out:
        try:
            for chunk in response.iter_content(DOWNLOAD_CHUNK):
                out.write(chunk)
                written += len(chunk)
        except (ChunkedEncodingError, requests.ConnectionError) as err:
            raise RetryableBodyError(
                f"the download from {redact_url(response.url)} was cut short "
                f"({describe_exception(err)})"
            ) from err
    return written


def _count_in(body: Any, *, default: int) -> int:
    """'2 submissions have been deleted' -> 2."""
    detail = body.get("detail") if isinstance(body, dict) else None
    found = _DELETED_COUNT.search(str(detail or ""))
    return int(found.group(1)) if found else default
