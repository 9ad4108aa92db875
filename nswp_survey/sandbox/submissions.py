"""Submission ingestion, edits, listing, deletes and validation statuses.

Ingestion follows `kobo/apps/openrosa/libs/utils/logger_tools.py` `create_instance`:
identical XML (same sha256) -> 202; a `deprecatedID` -> edit in place (same `_id`,
`_submission_time`, rootUuid; the old uuid goes to InstanceHistory); a root uuid already in
the project -> 409 after the id was allocated. Records are built as
`ParsedInstance.to_dict_for_mongo` + `_inject_properties` (base_backend.py) build them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid as uuid_module
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import openrosa
from .assets import AssetService
from .ids import drf_datetime, make_uid, mongo_datetime, openrosa_datetime, utcnow
from .query import (
    matches,
    normalise,
    sort_path,
    sort_records,
    sort_stub,
    split_id_condition,
    sql_prefilter,
)
from .storage import Storage, dumps
from .xform import form_paths

log = logging.getLogger(__name__)

# kobo/apps/openrosa/apps/logger/models/instance.py get_validation_status labels
VALIDATION_LABELS = {
    "validation_status_not_approved": "Not Approved",
    "validation_status_approved": "Approved",
    "validation_status_on_hold": "On Hold",
}


@dataclass
class Attachment:
    basename: str
    mimetype: str
    data: bytes


@dataclass
class IngestResult:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    submission_id: int | None = None


class SubmissionService:
    def __init__(self, store: Storage, assets: AssetService, owner: str) -> None:
        self.store = store
        self.assets = assets
        self.owner = owner
        self.base_url = ""  # set by the server: attachment URLs are absolute, like KPI's
        self._paths: dict[tuple[str, str], tuple[set[str], list[str]]] = {}

    # ingestion ----------------------------------------------------------------------------
    def ingest(
        self, xml_bytes: bytes, attachments: list[Attachment] | None = None,
        submitted_by: str | None = None,
    ) -> IngestResult:  # fmt: skip
        try:
            return self._ingest(xml_bytes, attachments or [], submitted_by)
        except openrosa.InstanceError as err:
            return IngestResult(err.status, openrosa.response_xml(err.message))

    def _ingest(
        self, xml_bytes: bytes, attachments: list[Attachment], user: str | None
    ) -> IngestResult:
        try:
            xml = xml_bytes.decode("utf-8")
        except UnicodeDecodeError as err:
            raise openrosa.InstanceError(
                400, "File likely corrupted during transmission, please try later."
            ) from err
        xml_hash = hashlib.sha256(xml.encode()).hexdigest()  # Instance.get_hash
        doc = openrosa.parse_instance(xml)
        _tag, id_string, form_uuid, submission_date = openrosa.root_info(doc)
        asset = self.assets.find_deployed(form_uuid, id_string)
        if asset is None:  # get_xform_from_submission raises Http404, rendered by DRF as XML
            return IngestResult(404, openrosa.drf_xml("Not found."))
        uuid, root_uuid, deprecated = openrosa.instance_ids(doc)
        if not uuid or not root_uuid:
            raise openrosa.InstanceError(400, "Instance ID is required")
        if not asset["deployment"]["active"]:  # Instance.check_active -> FormInactiveError
            raise openrosa.InstanceError(405, "Form is not active")
        with self.store.lock:
            existing = self.store.find_by_hash(xml_hash)
            if existing is not None:
                new = self._new_attachments(existing, attachments)
                if not new:
                    body = openrosa.response_xml("Duplicate Instance")
                    return IngestResult(202, body, submission_id=existing)
                owner_asset = self.assets.store.get_asset(self.store.asset_of(existing) or "")
                self._save_attachments(owner_asset or asset, existing, new)
                return self._success(owner_asset or asset, existing, uuid)
            if deprecated:
                return self._edit(asset, doc, xml, xml_hash, uuid, deprecated, attachments)
            sub_id = self.store.next_value("submission_id")  # the serial is taken at INSERT
            if self.store.root_taken(asset["uid"], root_uuid):
                raise openrosa.InstanceError(409, "Submission with this instance ID already exists")
            created = utcnow()
            if submission_date:  # a `submissionDate` on the root backdates the record
                try:
                    created = datetime.fromisoformat(submission_date.replace("Z", "+00:00"))
                except ValueError:
                    pass
                if created.tzinfo is None:  # _get_instance: make_aware(..., timezone.utc)
                    created = created.replace(tzinfo=UTC)
            record = self._record(asset, doc, sub_id, uuid, root_uuid, created, user, {})
            self.store.insert_submission(
                {"id": sub_id, "asset_uid": asset["uid"], "uuid": uuid, "root_uuid": root_uuid,
                 "xml_hash": xml_hash, "xml": xml, "doc": dumps(record)}
            )  # fmt: skip
            self.store.set_last_submission_time(asset["uid"], drf_datetime(created))
            if attachments:
                self._save_attachments(asset, sub_id, attachments)
            return self._success(asset, sub_id, uuid, created)

    def _edit(
        self, asset: dict[str, Any], doc: Any, xml: str, xml_hash: str, uuid: str,
        deprecated: str, attachments: list[Attachment],
    ) -> IngestResult:  # fmt: skip
        """_get_instance_from_deprecated_id + _get_instance: update the same Instance."""
        ids = self.store.find_by_uuid(asset["uid"], deprecated)
        if not ids:
            if self.store.in_history(asset["uid"], deprecated):
                raise openrosa.InstanceError(
                    410, "Invalid submission - deprecatedID refers to an old version"
                )
            raise openrosa.InstanceError(404, "Invalid submission - deprecatedID not found")
        sub_id = ids[0]
        old = json.loads(self.store.get_doc(asset["uid"], sub_id) or "{}")
        root_uuid = openrosa.remove_uuid_prefix(old["meta/rootUuid"])
        created = datetime.fromisoformat(old["_submission_time"] + "+00:00")
        record = self._record(
            asset, doc, sub_id, uuid, root_uuid, created, old.get("_submitted_by"),
            old.get("_validation_status") or {}, old.get("_attachments") or [],
        )  # fmt: skip
        self.store.replace_submission(
            sub_id,
            deprecated,
            {"uuid": uuid, "xml_hash": xml_hash, "xml": xml, "doc": dumps(record)},
        )
        if attachments:
            self._save_attachments(asset, sub_id, attachments)
        return self._success(asset, sub_id, uuid)

    def _success(
        self, asset: dict[str, Any], sub_id: int, uuid: str, submitted: datetime | None = None
    ) -> IngestResult:
        if submitted is None:  # an edit or a duplicate: the original submission's date
            record = json.loads(self.store.get_doc(asset["uid"], sub_id) or "{}")
            submitted = datetime.fromisoformat(record["_submission_time"] + "+00:00")
        body = openrosa.success_xml(
            asset["uid"], openrosa.add_uuid_prefix(uuid), openrosa_datetime(submitted),
            openrosa_datetime(utcnow()),
        )  # fmt: skip
        return IngestResult(201, body, submission_id=sub_id)

    def _form_paths(self, asset: dict[str, Any]) -> tuple[set[str], list[str]]:
        key = (asset["uid"], asset["deployment"]["version_id"])
        if key not in self._paths:
            content = self.store.version_content(key[1]) or asset["content"]
            repeats, geopoints = form_paths(content)
            self._paths[key] = (set(repeats), geopoints)
        return self._paths[key]

    def _record(
        self, asset: dict[str, Any], doc: Any, sub_id: int, uuid: str, root_uuid: str,
        created: datetime, user: str | None, validation: dict[str, Any],
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        repeats, geopoints = self._form_paths(asset)
        flat = openrosa.instance_to_flat_dict(doc, repeats)
        lat = lng = None
        for xpath in geopoints:  # Instance._set_geom: the first answered geopoint
            value = flat.get(xpath)
            if isinstance(value, str) and value.split():
                try:
                    lat, lng = [float(s) for s in value.split()][0:2]
                except ValueError:
                    continue
                break
        record: dict[str, Any] = {"_id": sub_id, **flat}
        record.update({
            "_uuid": uuid, "meta/rootUuid": openrosa.add_uuid_prefix(root_uuid),
            "_attachments": attachments or [], "_status": "submitted_via_web",
            "_geolocation": [lat, lng], "_submission_time": mongo_datetime(created),
            "_validation_status": validation, "_submitted_by": user,
        })  # fmt: skip
        return record

    def _new_attachments(self, sub_id: int, attachments: list[Attachment]) -> list[Attachment]:
        """save_attachments: only basenames the instance does not have yet count as new."""
        asset_uid = self.store.asset_of(sub_id)
        text = self.store.get_doc(asset_uid, sub_id) if asset_uid else None
        known = {a["media_file_basename"] for a in json.loads(text or "{}").get("_attachments", [])}
        return [a for a in attachments if a.basename not in known]

    def _save_attachments(
        self, asset: dict[str, Any], sub_id: int, files: list[Attachment]
    ) -> None:
        """`_attachments` entries as KPI serves them (_rewrite_json_attachment_urls)."""
        record = json.loads(self.store.get_doc(asset["uid"], sub_id) or "{}")
        root = openrosa.remove_uuid_prefix(record["meta/rootUuid"])
        for item in files:
            att_uid = make_uid("att")
            self.store.add_attachment(att_uid, sub_id, item.basename, item.mimetype, item.data)
            url = (
                f"{self.base_url}/api/v2/assets/{asset['uid']}/data/{sub_id}/attachments/{att_uid}/"
            )
            entry: dict[str, Any] = {"download_url": url}
            if item.mimetype.startswith("image/"):
                for size in ("large", "medium", "small"):
                    entry[f"download_{size}_url"] = f"{url}{size}/"
            xpath = next((k for k, v in record.items() if v == item.basename), None)
            entry.update({
                "mimetype": item.mimetype,
                "filename": "/".join(
                    (self.owner, "attachments", asset["deployment"]["uuid"], root, item.basename)
                ),
                "media_file_basename": item.basename, "uid": att_uid,
                "question_xpath": xpath, "is_deleted": False,
            })  # fmt: skip
            record["_attachments"].append(entry)
        self.store.update_doc(sub_id, dumps(record))

    # reading ------------------------------------------------------------------------------
    def query(
        self, asset_uid: str, query: Any, sort: dict[str, Any], fields: list[str],
        start: int, limit: int | None,
    ) -> tuple[int, list[str], list[int]]:  # fmt: skip
        """MongoHelper.get_instances: (matching count, record JSON texts, their ids)."""
        q = normalise(query)
        clauses, params, rest = split_id_condition(q)
        sort = sort or {"_id": 1}  # __get_submissions_in_json: default sort by _id
        if not rest and list(sort) == ["_id"]:
            count = self.store.count(asset_uid, clauses, params)
            rows = self.store.page(asset_uid, clauses, params, int(sort["_id"]) < 0, limit, start)
            texts, ids = [r[1] for r in rows], [r[0] for r in rows]
        elif not rest and all(sort_path(k) for k in sort):
            count, texts, ids = self._sorted_by_sql_values(
                asset_uid, clauses, params, sort, start, limit
            )
        else:
            extra, extra_params = sql_prefilter(rest)
            docs = []
            rows = self.store.iter_docs(asset_uid, clauses + extra, params + extra_params)
            for sub_id, text in rows:
                record = json.loads(text)
                if matches(record, rest):
                    docs.append((sub_id, text, record))
            count = len(docs)
            ordered = sort_records([d[2] for d in docs], sort)
            by_id = {d[0]: d[1] for d in docs}
            window = ordered[start : None if limit is None else start + limit]
            ids = [r["_id"] for r in window]
            texts = [by_id[i] for i in ids]
        if fields:
            texts = [dumps(project(json.loads(t), fields)) for t in texts]
        return count, texts, ids

    def _sorted_by_sql_values(
        self, asset_uid: str, clauses: list[str], params: list[Any], sort: dict[str, Any],
        start: int, limit: int | None,
    ) -> tuple[int, list[str], list[int]]:  # fmt: skip
        """Sort on other keys from JSON1-extracted values, then load only the page."""
        keys = list(sort)
        rows = self.store.sort_values(
            asset_uid, clauses, params, [sort_path(k) or "" for k in keys]
        )
        stubs = [sort_stub(row[0], keys, row[1:]) for row in rows]
        window = sort_records(stubs, sort)[start : None if limit is None else start + limit]
        ids = [stub["_id"] for stub in window]
        docs = self.store.docs_for_ids(asset_uid, ids)
        return len(rows), [docs[i] for i in ids], ids

    def get_id(self, asset_uid: str, pk: str) -> int | None:
        """`_get_submission_by_id_or_root_uuid`: an int `_id`, else a (root) uuid."""
        try:
            sub_id = int(pk)
        except ValueError:
            return self.store.find_by_root_or_uuid(asset_uid, openrosa.remove_uuid_prefix(pk))
        if sub_id < 0:
            return self.store.find_by_root_or_uuid(asset_uid, pk)
        return sub_id if self.store.get_doc(asset_uid, sub_id) is not None else None

    # changes ------------------------------------------------------------------------------
    def set_validation(
        self, asset_uid: str, ids: list[int], status_uid: str | None, user: str
    ) -> int:
        """add_validation_status_to_instance / remove_...: None resets to {}."""
        value: dict[str, Any] = {}
        if status_uid is not None:
            value = {"timestamp": int(time.time()), "uid": status_uid, "by_whom": user,
                     "label": VALIDATION_LABELS[status_uid]}  # fmt: skip
        with self.store.lock:
            for sub_id in ids:
                text = self.store.get_doc(asset_uid, sub_id)
                if text is None:
                    continue
                record = json.loads(text)
                record["_validation_status"] = value
                self.store.update_doc(sub_id, dumps(record))
        return len(ids)

    def edit_fields(
        self, asset: dict[str, Any], sub_id: int, data: dict[str, Any], user: str | None
    ) -> dict[str, Any]:
        """OpenRosaDeploymentBackend.bulk_update_submissions: rewrite the XML, submit as edit."""
        xml = self.store.get_xml(sub_id) or ""
        root = ET.fromstring(xml.encode())  # noqa: S314 - our own stored submission
        for path, value in data.items():
            node = root
            for part in str(path).split("/"):
                child = node.find(part)
                node = child if child is not None else ET.SubElement(node, part)
            node.text = str(value)
        meta = root.find("meta")
        if meta is None:
            meta = ET.SubElement(root, "meta")
        old_id = meta.find("instanceID")
        if old_id is None:
            old_id = ET.SubElement(meta, "instanceID")
        new_uuid = str(uuid_module.uuid4())
        deprecated = meta.find("deprecatedID")
        if deprecated is None:
            deprecated = ET.SubElement(meta, "deprecatedID")
        deprecated.text = old_id.text
        old_id.text = f"uuid:{new_uuid}"
        result = self.ingest(ET.tostring(root, encoding="utf-8"), submitted_by=user)
        message = re.search(rb"<message[^>]*>(.*?)</message>", result.body)
        return {"uuid": new_uuid, "status_code": result.status,
                "message": message.group(1).decode() if message else ""}  # fmt: skip

    def duplicate(self, asset: dict[str, Any], sub_id: int, user: str | None) -> IngestResult:
        """OpenRosaDeploymentBackend.duplicate_submission: same XML, a fresh instanceID."""
        root = ET.fromstring((self.store.get_xml(sub_id) or "").encode())  # noqa: S314
        meta = root.find("meta")
        if meta is None:
            meta = ET.SubElement(root, "meta")
        for tag in ("deprecatedID", "rootUuid"):
            for node in meta.findall(tag):
                meta.remove(node)
        instance_id = meta.find("instanceID")
        if instance_id is None:
            instance_id = ET.SubElement(meta, "instanceID")
        instance_id.text = f"uuid:{uuid_module.uuid4()}"
        return self.ingest(ET.tostring(root, encoding="utf-8"), submitted_by=user)

    def matching_ids(self, asset_uid: str, query: Any) -> list[int]:
        _count, _texts, ids = self.query(asset_uid, query, {"_id": 1}, ["_id"], 0, None)
        return ids


def project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Mongo projection with `_uuid` and `meta/rootUuid` added (MongoHelper) and `_id` kept."""
    wanted = {str(f) for f in fields} | {"_id", "_uuid", "meta/rootUuid"}
    out = {k: v for k, v in record.items() if k in wanted}
    out["_validation_status"] = record.get("_validation_status") or {}  # _inject_properties
    return out
