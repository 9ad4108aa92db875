"""Fill a served XForm with random answers that respect its logic, as a careful enumerator would.

`FormFiller(model, rng, today=...)` walks the questions in order: it skips non-relevant
nodes, computes `calculate`s, honours `jr:count`, draws answers by type from the choices the
itemset offers (so a choice_filter such as region -> country holds), and re-draws an answer
that fails its constraint. Numbers are drawn between the bounds the constraint implies: each
comparison in it, `f(.) op g(.)`, is linear in the answer for the forms we meet, so its
root is found from two evaluations. A question that cannot be answered restarts its
top-level group (bounded), as a person would go back and correct an earlier answer.
An `Answerer` supplies preferences (a member's language, a plausible code) and free text.

Example:
    doc = FormFiller(model, random.Random(1)).fill(RandomAnswerer())
    values = instance_values(model, doc)          # for forms.xform.build_instance
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from nswp_survey.errors import FormValidationError
from nswp_survey.forms.evaluator import Evaluator, to_str
from nswp_survey.forms.questions import FormModel, Question, add_skeleton
from nswp_survey.forms.samples import sample_regex
from nswp_survey.forms.xpath import Node

_ANSWERED = ("select_one", "select_multiple", "input", "range", "rank", "trigger")


class Answerer(Protocol):
    """Where a filler's preferences and free text come from."""

    def preferred(self, question: Question, options: Sequence[str]) -> Sequence[str]:
        """Options to pick first (select_one) or to include (select_multiple)."""
        ...

    def texts(self, question: Question) -> Sequence[str]:
        """Candidate free-text answers, best first."""
        ...

    def accept(self, question: Question, value: str) -> bool:
        """Veto an answer that passed the form's checks (e.g. a code already used)."""
        ...


class RandomAnswerer:
    """No preferences; short neutral text."""

    def preferred(self, question: Question, options: Sequence[str]) -> Sequence[str]:
        return ()

    def texts(self, question: Question) -> Sequence[str]:
        return (f"Answer to {question.name}",)

    def accept(self, question: Question, value: str) -> bool:
        return True


class Unanswerable(FormValidationError):
    """Raised when no drawn answer satisfies a required question's constraint."""


def _regex_patterns(question: Question) -> list[str]:
    constraint = question.constraint
    if constraint is None:
        return []
    found: list[str] = []

    def walk(tree: Any) -> None:
        if isinstance(tree, tuple):
            if tree[0] == "call" and tree[1] == "regex" and len(tree[2]) == 2:
                if tree[2][1][0] == "str":
                    found.append(tree[2][1][1])
            for part in tree[1:]:
                walk(part)
        elif isinstance(tree, list):
            for part in tree:
                walk(part)

    walk(constraint.tree)
    return found


class FormFiller:
    """Fills one `FormModel` again and again from one random generator.

    `max_repeats` caps a repeat (and the question its `jr:count` reads); `blank_rate` is the
    chance that an optional question is left blank; `tries` bounds the re-draws.
    """

    def __init__(
        self,
        model: FormModel,
        rng: random.Random,
        *,
        today: date | None = None,
        max_repeats: int = 5,
        blank_rate: float = 0.1,
        tries: int = 30,
    ) -> None:
        self.model, self.rng = model, rng
        self.today = today or date.today()
        self.max_repeats, self.blank_rate, self.tries = max_repeats, blank_rate, tries
        self.count_targets = {
            "/".join(step[1] for step in q.repeat_count.tree[2][1:])
            for q in model.walk()
            if q.repeat_count is not None
            and q.repeat_count.tree[:2] == ("path", None)
            and all(step[0] == "child" for step in q.repeat_count.tree[2])
        }
        self._static: dict[str, list[str]] = {}
        self._static_bounds: dict[str, list[float]] = {}

    def fill(self, answerer: Answerer) -> Node:
        """One filled instance (the document node); Unanswerable if the form cannot be met."""
        doc = self.model.new_document()
        self.ev = Evaluator(doc, self.model.instances, today=self.today)
        self.answerer = answerer
        self._started: datetime | None = None
        root = doc.children[0]
        for question in self.model.questions:
            for attempt in range(self.tries):
                try:
                    self._fill(question, root)
                    break
                except Unanswerable:
                    if attempt == self.tries - 1:
                        raise
                    self._reset(question, root)
        for question in self.model.walk():  # calculates that read later answers
            if question.kind == "calculate" and question.calculate is not None:
                for node in _nodes_at(root, question.path):
                    if node.value:
                        node.value = to_str(self.ev.evaluate(question.calculate, node))
        return doc

    def _reset(self, question: Question, parent: Node) -> None:
        parent.children = [c for c in parent.children if c.name != question.name]
        if question.kind != "repeat":
            add_skeleton(parent, (question,))

    def _fill(self, question: Question, parent: Node) -> None:
        if question.kind == "repeat":
            self._fill_repeat(question, parent)
            return
        node = next(c for c in parent.children if c.name == question.name)
        if question.relevant is not None and not self.ev.boolean(question.relevant, node):
            return
        if question.kind == "group":
            for child in question.children:
                self._fill(child, node)
        elif question.kind == "calculate" and question.calculate is not None:
            node.value = to_str(self.ev.evaluate(question.calculate, node))
        elif question.kind == "preload":
            node.value = self._preload(question.preload or "")
        elif question.kind in _ANSWERED:
            self._answer(question, node)

    def _fill_repeat(self, question: Question, parent: Node) -> None:
        if question.repeat_count is not None:
            count = self.ev.number(question.repeat_count, parent)
            count = 0 if math.isnan(count) else int(count)
        else:
            count = self.rng.randint(0, self.max_repeats)
        for _ in range(count):
            node = parent.add(question.name)
            add_skeleton(node, question.children)
            if question.relevant is not None and not self.ev.boolean(question.relevant, node):
                parent.children.remove(node)
                return
            for child in question.children:
                self._fill(child, node)

    def _preload(self, preload: str) -> str:
        """start/end timestamps a few days back (end after start) and today's date."""
        kind = preload.split()
        if kind[:1] not in (["timestamp"], ["date"]):
            return ""
        if self._started is None:
            day = self.today - timedelta(days=self.rng.randint(1, 20))
            self._started = datetime(day.year, day.month, day.day, self.rng.randint(7, 19))
            self._started += timedelta(minutes=self.rng.randint(0, 59))
        moment = self._started
        if kind[0] == "date":
            return moment.date().isoformat()
        if kind[-1] == "end":
            moment += timedelta(minutes=self.rng.randint(12, 70))
        return moment.strftime("%Y-%m-%dT%H:%M:00.000+00:00")

    def _answer(self, question: Question, node: Node) -> None:
        required = question.required is not None and self.ev.boolean(question.required, node)
        if not required and self.rng.random() < self.blank_rate:
            return
        for value in self._candidates(question, node):
            node.value = value
            if value and (
                question.constraint is None or self.ev.boolean(question.constraint, node)
            ):
                if self.answerer.accept(question, value):
                    return
        node.value = ""
        if required:
            raise Unanswerable(f"no answer to {question.path} satisfies the form")

    def _candidates(self, question: Question, node: Node) -> Iterator[str]:
        """Answers to try, best first, drawn lazily (most questions take the first)."""
        kind, rng, tries = question.kind, self.rng, range(self.tries)
        if kind == "trigger":
            yield "OK"
        elif kind in ("select_one", "select_multiple", "rank"):
            options = self._options(question, node)
            if options:
                preferred = [o for o in self.answerer.preferred(question, options) if o in options]
                if kind == "select_one":
                    yield from preferred
                    yield from (rng.choice(options) for _ in tries)
                else:
                    yield from (self._multi(options, preferred) for _ in tries)
        elif question.data_type in ("int", "integer", "decimal"):
            yield from self._numbers(question, node)
        elif question.data_type in ("date", "dateTime"):
            suffix = "T10:30:00.000+00:00" if question.data_type == "dateTime" else ""
            yield from (self._date(question) + suffix for _ in tries)
        elif question.data_type == "time":
            yield f"{rng.randint(8, 19):02d}:{rng.choice((0, 15, 30, 45)):02d}:00.000+00:00"
        else:
            yield from self.answerer.texts(question)
            for pattern in _regex_patterns(question):
                yield from (sample_regex(pattern, rng) for _ in tries)

    def _options(self, question: Question, node: Node) -> list[str]:
        if question.itemset is None:
            return list(question.items)
        static = "[" not in question.itemset.text  # no choice_filter: the same every time
        if static and question.itemset.text in self._static:
            return self._static[question.itemset.text]
        values = []
        for item in self.ev.nodes(question.itemset, node):
            value = item.find(question.value_ref)
            if value is not None and value.value:
                values.append(value.value)
        if static:
            self._static[question.itemset.text] = values
        return values

    def _multi(self, options: list[str], preferred: list[str]) -> str:
        k = min(len(options), 1 + int(self.rng.expovariate(0.8)))
        picked = set(self.rng.sample(options, k)) | set(preferred[:1])
        return " ".join(o for o in options if o in picked)

    def _date(self, question: Question) -> str:
        day = self.today - timedelta(days=self.rng.randint(0, 540))
        if "month-year" in question.appearance:
            day = day.replace(day=1)
        elif "year" in question.appearance.split():
            day = day.replace(month=1, day=1)
        return day.isoformat()

    def _numbers(self, question: Question, node: Node) -> Iterator[str]:
        """Draws between the constraint's bounds, then the feasible bounds themselves."""
        decimal = question.data_type == "decimal"
        feasible = self._feasible(question, node)
        low, high = (min(feasible), max(feasible)) if feasible else (0.0, 20.0)
        if question.path in self.count_targets:
            high = min(high, low + self.max_repeats - 1)
        for _ in range(self.tries if low < high else 1):
            if low >= 0 and high - low > 30 and low < 10:  # counts: small ones are common
                value = low - 1 + math.exp(self.rng.uniform(0, math.log(high - low + 2)))
            else:
                value = self.rng.uniform(low, high + (0 if decimal else 1))
            yield f"{value:.2f}" if decimal else str(math.floor(value))
        points = [f"{p:.2f}" if decimal else str(int(p)) for p in feasible]
        yield from self.rng.sample(points, len(points))

    def _feasible(self, question: Question, node: Node) -> list[float]:
        if question.constraint is None:
            return []
        text = question.constraint.text
        if "/" not in text and "current()" not in text and text in self._static_bounds:
            return self._static_bounds[text]  # reads only the answer itself
        points: set[float] = set()
        for _op, left, right in question.constraint.comparisons():
            gaps = []
            for probe in ("0", "1"):
                node.value = probe
                gaps.append(self.ev.number(left, node) - self.ev.number(right, node))
            slope = gaps[1] - gaps[0]
            if math.isfinite(slope) and slope != 0 and math.isfinite(gaps[0]):
                root = -gaps[0] / slope
                points.update(math.floor(root) + d for d in (-1, 0, 1))
                points.update(math.ceil(root) + d for d in (-1, 0, 1))
        feasible = []
        for point in sorted(points):
            node.value = str(int(point))
            if self.ev.boolean(question.constraint, node):
                feasible.append(float(point))
        node.value = ""
        if "/" not in text and "current()" not in text:
            self._static_bounds[text] = feasible
        return feasible


def _nodes_at(root: Node, path: str) -> list[Node]:
    nodes = [root]
    for part in path.split("/"):
        nodes = [c for n in nodes for c in n.children if c.name == part]
    return nodes


def instance_values(model: FormModel, doc: Node) -> dict[str, Any]:
    """Answers keyed by path from the root, repeats as lists of dicts keyed from the repeat,
    as `forms.xform.build_instance` takes them; empty answers are left out."""
    return _values(model.questions, doc.children[0], "")


def _values(questions: Sequence[Question], node: Node, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for question in questions:
        key = f"{prefix}{question.name}"
        if question.kind == "repeat":
            items = [
                _values(question.children, child, "")
                for child in node.children
                if child.name == question.name
            ]
            if items:
                out[key] = items
            continue
        child = next((c for c in node.children if c.name == question.name), None)
        if child is None:
            continue
        if question.children:
            out.update(_values(question.children, child, f"{key}/"))
        elif child.value:
            out[key] = child.value
    return out
