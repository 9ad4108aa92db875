"""Read a served XForm and write OpenRosa instances for it, as KoboCollect does.

A Kobo server accepts an instance only if its root element and `id` are the form's id (the
asset uid on KPI) and it carries the deployment's `formhub/uuid` and `__version__`; both are
`calculate` binds in the XForm the server serves (kpi-api.md §12, recordings/openrosa/).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from nswp_survey.errors import FormValidationError

XFORMS_NS = "http://www.w3.org/2002/xforms"
JR_NS = "http://openrosa.org/javarosa"
_JR_TEMPLATE = f"{{{JR_NS}}}template"

InstanceValues = Mapping[str, Any]


@dataclass(frozen=True)
class XFormTemplate:
    """The primary instance of an XForm and the constants Collect would fill in."""

    form_id: str
    version: str | None
    root_tag: str
    template: ET.Element
    calculated: Mapping[str, str]

    @property
    def version_uid(self) -> str | None:
        """The KPI AssetVersion uid that `__version__` carries, if the server set one."""
        return self.calculated.get("__version__")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def load_xform(xml: bytes | str) -> XFormTemplate:
    """Parse an XForm document into the template used by `build_instance`."""
    try:
        doc = SafeET.fromstring(xml)
    except (ET.ParseError, DefusedXmlException) as err:
        raise FormValidationError(f"the XForm is not well-formed XML: {err}") from err
    model = doc.find(f".//{{{XFORMS_NS}}}model")
    if model is None:
        raise FormValidationError("the XForm has no <model>: is this an XForm document?")
    primary = next(
        (inst for inst in model.findall(f"{{{XFORMS_NS}}}instance") if "id" not in inst.attrib),
        None,
    )
    if primary is None or len(primary) == 0:
        raise FormValidationError("the XForm has no primary <instance>")
    root = primary[0]
    root_tag = _local(root.tag)
    calculated: dict[str, str] = {}
    prefix = f"/{root_tag}/"
    for bind in model.findall(f"{{{XFORMS_NS}}}bind"):
        nodeset = bind.get("nodeset", "")
        calc = (bind.get("calculate") or "").strip()
        # Only literal calculates ('abc') are constants Collect would copy verbatim.
        if nodeset.startswith(prefix) and len(calc) >= 2 and calc[0] == calc[-1] == "'":
            calculated[nodeset[len(prefix) :]] = calc[1:-1]
    return XFormTemplate(
        form_id=root.get("id", root_tag),
        version=root.get("version"),
        root_tag=root_tag,
        template=root,
        calculated=calculated,
    )


def build_instance(
    form: XFormTemplate,
    values: InstanceValues,
    *,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
) -> bytes:
    """Return the XML of one filled instance.

    `values` maps paths relative to the root ("consent", "org/region") to strings (lists of
    strings for select_multiple); a repeat's path maps to a list of mappings whose keys are
    relative to the repeat ("law_area"). Unanswered fields stay as empty elements, as in
    Collect's output. `instance_id` defaults to a fresh uuid4. An edit of an earlier
    submission names that submission's instanceID in `deprecated_id`, as Collect and Enketo
    do; the server then updates the record in place (kpi-api.md §5 Edits).
    """
    out = ET.Element(form.root_tag, {"id": form.form_id})
    if form.version is not None:
        out.set("version", form.version)
    constants = dict(form.calculated)
    constants["meta/instanceID"] = _with_uuid_prefix(instance_id or str(uuid.uuid4()))
    _fill(out, form.template, "", values, constants)
    if deprecated_id is not None:
        meta = out.find("meta")
        if meta is None:
            meta = ET.SubElement(out, "meta")
        ET.SubElement(meta, "deprecatedID").text = _with_uuid_prefix(deprecated_id)
    body = ET.tostring(out, encoding="unicode")
    return ("<?xml version='1.0' encoding='UTF-8' ?>" + body).encode("utf-8")


def _fill(
    out: ET.Element,
    template: ET.Element,
    prefix: str,
    values: InstanceValues,
    constants: Mapping[str, str],
) -> None:
    seen_repeats: set[str] = set()
    for child in template:
        name = _local(child.tag)
        path = f"{prefix}{name}"
        if child.get(_JR_TEMPLATE) is not None or name in seen_repeats:
            # pyxform writes a repeat twice (the jr:template and one default copy): emit one
            # element per answered iteration and nothing for the template itself.
            if name in seen_repeats:
                continue
            seen_repeats.add(name)
            for item in _repeat_items(values, path):
                node = ET.SubElement(out, name)
                _fill(node, child, "", item, {})
            continue
        node = ET.SubElement(out, name)
        if len(child):
            _fill(node, child, f"{path}/", values, constants)
            continue
        value = constants.get(path)
        if value is None:
            value = values.get(path)
        if value is not None:
            node.text = _text(value)


def _repeat_items(values: InstanceValues, path: str) -> Sequence[InstanceValues]:
    items = values.get(path) or []
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise FormValidationError(f"value for repeat {path!r} must be a list of mappings")
    return items


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return " ".join(str(v) for v in value)
    return str(value)


def _with_uuid_prefix(value: str) -> str:
    return value if value.startswith("uuid:") else f"uuid:{value}"
