"""The questions of a served XForm: binds, body controls and choice lists, as one tree.

`load_form_model(xml)` reads what a form-filling client needs: each node of the primary
instance with its `relevant`, `constraint`, `required`, `calculate` and `jr:preload` binds,
the body control asking it (select, input, repeat with `jr:count`, itemset with its
choice_filter predicate), and the secondary instances the itemsets read.
`document_from_answers` rebuilds an instance tree from Kobo's JSON for a submission, so the
form's logic can be checked against what the server returns.

Example:
    model = load_form_model(xml)
    for question in model.walk():
        print(question.path, question.kind, question.constraint)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from nswp_survey.errors import FormValidationError
from nswp_survey.forms.evaluator import Evaluator
from nswp_survey.forms.xpath import Expression, Node, parse

_NS = {
    "x": "http://www.w3.org/2002/xforms",
    "h": "http://www.w3.org/1999/xhtml",
    "jr": "http://openrosa.org/javarosa",
}
_JR = "{http://openrosa.org/javarosa}"
_CONTROLS = {
    "input": "input", "select1": "select_one", "select": "select_multiple",
    "upload": "upload", "trigger": "trigger", "range": "range", "rank": "rank",
}  # fmt: skip


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _expr(text: str | None) -> Expression | None:
    text = (text or "").strip()
    return parse(text) if text else None


@dataclass(frozen=True)
class Question:
    """One node of the primary instance and how the form fills it.

    `path` is relative to the root without repeat positions ("d_law/law_change/lc_area");
    `kind` is group, repeat, select_one, select_multiple, input, upload, trigger, range,
    rank, note, calculate, preload or hidden (set by the server, e.g. formhub/uuid).
    """

    name: str
    path: str
    kind: str
    data_type: str = "string"
    relevant: Expression | None = None
    constraint: Expression | None = None
    required: Expression | None = None
    calculate: Expression | None = None
    preload: str | None = None
    itemset: Expression | None = None
    value_ref: str = "name"
    items: tuple[str, ...] = ()
    repeat_count: Expression | None = None
    appearance: str = ""
    children: tuple[Question, ...] = field(default=(), repr=False)

    @property
    def is_container(self) -> bool:
        return self.kind in ("group", "repeat")


@dataclass(frozen=True)
class FormModel:
    """A served XForm's primary instance as `Question`s, plus its secondary instances."""

    form_id: str
    version: str | None
    root_tag: str
    questions: tuple[Question, ...]
    instances: Mapping[str, Node]
    languages: tuple[str, ...]

    def walk(self) -> Iterator[Question]:
        """Every question, depth first, in document order."""
        stack = list(reversed(self.questions))
        while stack:
            question = stack.pop()
            yield question
            stack.extend(reversed(question.children))

    def repeats(self) -> set[str]:
        return {q.path for q in self.walk() if q.kind == "repeat"}

    def new_document(self) -> Node:
        """An empty instance: every node but repeat iterations."""
        doc = Node.document(self.root_tag)
        add_skeleton(doc.children[0], self.questions)
        return doc


def add_skeleton(parent: Node, questions: tuple[Question, ...]) -> None:
    """Add empty nodes for `questions` (and their children, but no repeat iterations)."""
    for question in questions:
        if question.kind == "repeat":
            continue
        node = parent.add(question.name)
        add_skeleton(node, question.children)


def _instance_node(element: ET.Element, parent: Node | None = None) -> Node:
    node = Node(_local(element.tag), parent, "" if len(element) else (element.text or "").strip())
    node.children = [_instance_node(child, node) for child in element]
    return node


def _controls(body: ET.Element | None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for element in body.iter() if body is not None else ():
        tag = _local(element.tag)
        if tag == "repeat":
            found[element.get("nodeset", "")] = {
                "kind": "repeat", "count": element.get(f"{_JR}count")
            }  # fmt: skip
        elif tag in _CONTROLS and element.get("ref"):
            itemset = element.find("x:itemset", _NS)
            value = itemset.find("x:value", _NS) if itemset is not None else None
            items = tuple(
                (v.text or "").strip()
                for item in element.findall("x:item", _NS)
                if (v := item.find("x:value", _NS)) is not None
            )
            found[element.get("ref", "")] = {
                "kind": _CONTROLS[tag],
                "appearance": element.get("appearance", ""),
                "itemset": itemset.get("nodeset") if itemset is not None else None,
                "value_ref": value.get("ref", "name") if value is not None else "name",
                "items": items,
            }
    return found


def _question(
    element: ET.Element, path: str, binds: Mapping[str, ET.Element], controls: Mapping, root: str
) -> Question:
    name = _local(element.tag)
    absolute = f"/{root}/{path}"
    bind = binds.get(absolute)
    attr = (lambda key: bind.get(key)) if bind is not None else (lambda key: None)
    control = controls.get(absolute, {})
    preload = attr(f"{_JR}preload")
    if control.get("kind") == "repeat":
        kind = "repeat"
    elif len(element):
        kind = "group"
    elif control:
        kind = control["kind"]
        if kind == "input" and (attr("readonly") or "").strip() == "true()":
            kind = "note"
    elif attr("calculate"):
        kind = "calculate"
    elif preload:
        kind = "preload"
    else:
        kind = "hidden"
    children: list[Question] = []
    seen: set[str] = set()
    for child in element:
        child_name = _local(child.tag)
        if child_name in seen:
            continue  # pyxform writes a repeat twice: the jr:template and a first copy
        seen.add(child_name)
        child_path = f"{path}/{child_name}" if path else child_name
        children.append(_question(child, child_path, binds, controls, root))
    return Question(
        name=name,
        path=path,
        kind=kind,
        data_type=(attr("type") or "string").split(":")[-1],
        relevant=_expr(attr("relevant")),
        constraint=_expr(attr("constraint")),
        required=_expr(attr("required")),
        calculate=_expr(attr("calculate")),
        preload=" ".join(filter(None, (preload, attr(f"{_JR}preloadParams")))) or None,
        itemset=_expr(control.get("itemset")),
        value_ref=control.get("value_ref", "name"),
        items=control.get("items", ()),
        repeat_count=_expr(control.get("count")),
        appearance=control.get("appearance", ""),
        children=tuple(children),
    )


def load_form_model(xml: bytes | str) -> FormModel:
    """Read a served XForm; FormValidationError if it is not one."""
    try:
        doc = SafeET.fromstring(xml)
    except (ET.ParseError, DefusedXmlException) as err:
        raise FormValidationError(f"the XForm is not well-formed XML: {err}") from err
    model = doc.find(".//x:model", _NS)
    if model is None:
        raise FormValidationError("the XForm has no <model>: is this an XForm document?")
    instances = model.findall("x:instance", _NS)
    primary = next((i for i in instances if "id" not in i.attrib), None)
    if primary is None or len(primary) == 0:
        raise FormValidationError("the XForm has no primary <instance>")
    root = primary[0]
    root_tag = _local(root.tag)
    binds = {b.get("nodeset", ""): b for b in model.findall("x:bind", _NS)}
    controls = _controls(doc.find(".//h:body", _NS))
    top = _question(root, "", binds, controls, root_tag)
    secondary = {i.get("id", ""): _instance_node(i) for i in instances if "id" in i.attrib}
    languages = tuple(t.get("lang", "") for t in model.findall("x:itext/x:translation", _NS))
    return FormModel(
        form_id=root.get("id", root_tag),
        version=root.get("version"),
        root_tag=root_tag,
        questions=top.children,
        instances=secondary,
        languages=languages,
    )


def document_from_answers(model: FormModel, answers: Mapping[str, Any]) -> Node:
    """An instance tree from Kobo's JSON for one submission.

    Keys are full paths ("b_profile/region"); a repeat is a list of objects whose keys are
    full paths too ("d_law/law_change/lc_area"), as the data API returns them.
    """
    doc = Node.document(model.root_tag)
    _fill_from_answers(doc.children[0], model.questions, answers)
    return doc


def _fill_from_answers(parent: Node, questions: tuple[Question, ...], answers: Mapping) -> None:
    for question in questions:
        if question.kind == "repeat":
            for item in answers.get(question.path) or []:
                node = parent.add(question.name)
                _fill_from_answers(node, question.children, item)
            continue
        value = answers.get(question.path)
        node = parent.add(question.name, "" if value is None else str(value))
        _fill_from_answers(node, question.children, answers)


_ANSWERED = ("select_one", "select_multiple", "input", "range", "rank", "trigger", "calculate")


def check_answers(
    model: FormModel, answers: Mapping[str, Any], *, today: date | None = None
) -> list[str]:
    """What in one submission (Kobo's JSON) breaks the form's logic, one line each: answers
    to non-relevant questions, blank required ones, failed constraints, values outside the
    (filtered) choices, numbers that do not parse."""
    doc = document_from_answers(model, answers)
    problems: list[str] = []
    ev = Evaluator(doc, model.instances, today=today)
    _check(model.questions, doc.children[0], ev, (True, False), problems)
    return problems


def _check(
    questions: tuple[Question, ...],
    parent: Node,
    ev: Evaluator,
    state: tuple[bool, bool],
    out: list[str],
) -> None:
    """`state` is (ancestors relevant, inside a repeat)."""
    relevant, in_repeat = state
    for question in questions:
        for node in [c for c in parent.children if c.name == question.name]:
            here = relevant and (question.relevant is None or ev.boolean(question.relevant, node))
            if question.children:
                inner = in_repeat or question.kind == "repeat"
                _check(question.children, node, ev, (here, inner), out)
                continue
            if question.kind not in _ANSWERED:
                continue
            where = f"{question.path} ({parent.position()})" if in_repeat else question.path
            if not here:
                if node.value:
                    out.append(f"{where}: answered ({node.value!r}) but not relevant")
                continue
            if not node.value:
                if question.required is not None and ev.boolean(question.required, node):
                    out.append(f"{where}: required but blank")
                continue
            if question.constraint is not None and not ev.boolean(question.constraint, node):
                out.append(f"{where}: {node.value!r} fails its constraint")
            if question.kind in ("select_one", "select_multiple") and question.itemset:
                options = {
                    v.value
                    for item in ev.nodes(question.itemset, node)
                    if (v := item.find(question.value_ref)) is not None
                }
                if not set(node.value.split()) <= options:
                    out.append(f"{where}: {node.value!r} is not among its choices")
            if question.data_type == "int" and not node.value.lstrip("-").isdigit():
                out.append(f"{where}: {node.value!r} is not a whole number")
