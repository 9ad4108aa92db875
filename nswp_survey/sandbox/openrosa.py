"""OpenRosa instance XML -> the flat dict KoboCAT stores, and OpenRosa response bodies.

Parsing follows `kobo/apps/openrosa/apps/logger/xform_instance_parser.py`
(`clean_and_parse_xml`, `_xml_node_to_dict`, `_flatten_dict_nest_repeats`,
`get_meta_from_xml`); responses follow `kobo/apps/openrosa/libs/utils/logger_tools.py`
(`OpenRosaResponse`) and `kobo/apps/openrosa/apps/logger/templates/submission.xml`.
"""

from __future__ import annotations

import re
from typing import Any
from xml.dom import Node
from xml.dom.minidom import Document, parseString
from xml.parsers.expat import ExpatError
from xml.sax.saxutils import escape, quoteattr

OPENROSA_HEADERS = {"X-OpenRosa-Version": "1.0"}
XML_CONTENT_TYPE = "text/xml; charset=utf-8"


class InstanceError(Exception):
    """A submission KoboCAT rejects; `status` and `message` make the OpenRosa answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_instance(xml: str) -> Document:
    """clean_and_parse_xml: whitespace between tags is dropped, text inside kept verbatim."""
    cleaned = re.sub(r">\s+<", "><", xml.strip())
    if "<!DOCTYPE" in cleaned or "<!ENTITY" in cleaned:
        raise InstanceError(400, "Improperly formatted XML.")  # defusedxml's stance
    try:
        return parseString(cleaned.encode("utf-8"))  # noqa: S318 - DTDs refused above
    except ExpatError as err:
        raise InstanceError(400, "Improperly formatted XML.") from err


def _root(doc: Document) -> Any:
    root = doc.documentElement
    if root is None:
        raise InstanceError(400, "Received empty submission. No instance was created")
    return root


def get_meta(doc: Document, meta_name: str) -> str | None:
    """get_meta_from_xml: <meta> (or <orx:meta>) child of the root, case-insensitive."""
    root = _root(doc)
    for meta in root.childNodes:
        if meta.nodeType != Node.ELEMENT_NODE or meta.tagName.lower() not in ("meta", "orx:meta"):
            continue
        for node in meta.childNodes:
            if node.nodeType == Node.ELEMENT_NODE and node.tagName.lower() in (
                meta_name.lower(),
                f"orx:{meta_name.lower()}",
            ):
                return node.firstChild.nodeValue.strip() if node.firstChild else None
        return None
    return None


def remove_uuid_prefix(value: str) -> str:
    return re.sub(r"^uuid:", "", value)


def add_uuid_prefix(value: str) -> str:
    return value if ":" in value else f"uuid:{value}"


def instance_ids(doc: Document) -> tuple[str | None, str | None, str | None]:
    """(new uuid, root uuid, deprecated uuid) without 'uuid:' (logger_tools.create_instance)."""
    instance_id = get_meta(doc, "instanceID")
    if not instance_id:
        attr = _root(doc).getAttribute("instanceID")
        instance_id = attr or None
    uuid = remove_uuid_prefix(instance_id) if instance_id else None
    root_uuid = get_meta(doc, "rootUuid")
    root = remove_uuid_prefix(root_uuid) if root_uuid else uuid
    deprecated = get_meta(doc, "deprecatedID")
    return uuid, root, remove_uuid_prefix(deprecated) if deprecated else None


def root_info(doc: Document) -> tuple[str, str | None, str | None, str | None]:
    """(root tag, id attribute, formhub/uuid, submissionDate attribute)."""
    root = _root(doc)
    form_uuid = None
    for node in root.childNodes:
        if node.nodeType == Node.ELEMENT_NODE and node.tagName == "formhub":
            for child in node.childNodes:
                if child.nodeType == Node.ELEMENT_NODE and child.tagName == "uuid":
                    form_uuid = child.firstChild.nodeValue.strip() if child.firstChild else None
    return (
        root.tagName,
        root.getAttribute("id") or None,
        form_uuid,
        root.getAttribute("submissionDate") or None,
    )


def _xpath(node: Any) -> str:
    """xpath_from_xml_node: the path below the document element."""
    names = []
    while node.parentNode is not None and node.parentNode.parentNode is not None:
        names.append(node.nodeName)
        node = node.parentNode
    return "/".join(reversed(names))


def _node_to_dict(node: Any, repeats: set[str]) -> dict[str, Any] | None:
    """_xml_node_to_dict: leaves become strings, repeats lists, empty nodes vanish."""
    children = node.childNodes
    if len(children) == 0:
        return None
    if len(children) == 1 and children[0].nodeType == Node.TEXT_NODE:
        return {node.nodeName: children[0].nodeValue}
    value: dict[str, Any] = {}
    for child in children:
        if child.nodeType == Node.CDATA_SECTION_NODE:
            return {node.nodeName: child.nodeValue}
        if child.nodeType not in (Node.ELEMENT_NODE, Node.TEXT_NODE):
            continue
        d = _node_to_dict(child, repeats)
        if d is None:
            continue
        name = child.nodeName
        if _xpath(child) in repeats:
            value.setdefault(name, []).append(d[name])
        elif name not in value:
            value[name] = d[name]
        else:  # a repeated node that is not a declared repeat (the "Ona solution")
            if not isinstance(value[name], list):
                value[name] = [value[name]]
            value[name].append(d[name])
    return {node.nodeName: value} if value else None


def _flatten(d: dict[str, Any], prefix: list[str]) -> Any:
    """_flatten_dict_nest_repeats: group paths joined by '/', repeats keep full paths."""
    for key, value in d.items():
        new_prefix = [*prefix, key]
        if isinstance(value, dict):
            yield from _flatten(value, new_prefix)
        elif isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, dict):
                    items.append({"/".join(p[1:]): v for p, v in _flatten(item, new_prefix)})
                else:
                    items.append({"/".join(new_prefix[1:]): item})
            yield new_prefix, items
        else:
            yield new_prefix, value


def instance_to_flat_dict(doc: Document, repeats: set[str]) -> dict[str, Any]:
    """XFormInstanceParser.get_flat_dict_with_attributes: fields + `_xform_id_string`."""
    root = _root(doc)
    tree = _node_to_dict(root, repeats)
    if tree is None:
        raise InstanceError(400, "Received empty submission. No instance was created")
    flat = {"/".join(path[1:]): value for path, value in _flatten(tree, [])}
    flat["_xform_id_string"] = root.getAttribute("id") or None
    return flat


def response_xml(message: str) -> bytes:
    """OpenRosaResponse: the error/duplicate envelope with an empty `nature`."""
    return (
        "<?xml version='1.0' encoding='UTF-8' ?>\n"
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response">\n'
        f'        <message nature="">{escape(message)}</message>\n'
        "</OpenRosaResponse>"
    ).encode()


def success_xml(form_id: str, instance_id: str, submission_date: str, completed: str) -> bytes:
    """logger/templates/submission.xml, as rendered for a 201."""
    return (
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response">\n'
        "    <message>Successful submission.</message>\n"
        f'    <submissionMetadata xmlns="http://www.opendatakit.org/xforms" id={quoteattr(form_id)}'
        f"  instanceID={quoteattr(instance_id)} submissionDate={quoteattr(submission_date)}"
        f' isComplete="true" markedAsCompleteDate={quoteattr(completed)}/>\n'
        "</OpenRosaResponse>\n"
    ).encode()


def drf_xml(detail: str) -> bytes:
    """DRF's XMLRenderer body for an error {"detail": ...} on the OpenRosa views."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<root><detail>{escape(detail)}</detail></root>'
    ).encode()


def form_list_xml(forms: list[dict[str, str]]) -> bytes:
    """`/formList` (kobo/apps/openrosa/apps/api/viewsets/xform_list_api.py)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<xforms xmlns="http://openrosa.org/xforms/xformsList">'
    ]
    for form in forms:
        parts.append(
            "<xform>"
            f"<formID>{escape(form['id'])}</formID><name>{escape(form['name'])}</name>"
            f"<majorMinorVersion>{escape(form['version'])}</majorMinorVersion>"
            f"<version>{escape(form['version'])}</version><hash>{form['hash']}</hash>"
            f"<descriptionText>{escape(form['name'])}</descriptionText>"
            f"<downloadUrl>{escape(form['download_url'])}</downloadUrl>"
            f"<manifestUrl>{escape(form['manifest_url'])}</manifestUrl>"
            "</xform>"
        )
    parts.append("</xforms>")
    return "".join(parts).encode()
