"""The form's logic: `${name}` references, and loops among them.

ODK Validate reports a loop only as "Cycle detected in form's relevant and calculation logic"
with a list of nodes that are "likely involved" (often most of the form). Here the loop is found
in the sheet and reported at the cell that starts it, step by step.

A field depends on every field its relevant, calculation, required or readonly names, and on
the group or repeat it sits in (JavaRosa makes a child irrelevant when its group is), so a
group whose relevant names one of its own children is a loop too.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Sequence

from nswp_survey.forms.fields import Field
from nswp_survey.forms.problem import Problem, problem_at
from nswp_survey.forms.workbook import Sheet

# Columns whose expressions may name other fields.
REF_COLUMNS = frozenset(
    {"relevant", "constraint", "calculation", "choice_filter", "repeat_count", "required",
     "readonly", "default", "trigger"}
)  # fmt: skip
# Texts shown to the respondent may insert answers with ${name} too.
TEXT_KINDS = frozenset({"label", "hint", "guidance_hint", "constraint_message", "required_message"})
# The expressions JavaRosa evaluates in dependency order (its "triggerables").
CYCLE_COLUMNS = ("relevant", "calculation", "required", "readonly")
_REF = re.compile(r"\$\{([^}]*)\}")

Edge = tuple[str, str | None]  # (field depended on, column naming it; None = "is inside")


def refs_in(text: str) -> list[str]:
    """The field names an expression refers to: "${a} > ${last-saved#b}" -> ['a', 'b']."""
    return [ref.strip().removeprefix("last-saved#") for ref in _REF.findall(text)]


def check_refs(survey: Sheet, fields: Sequence[Field]) -> list[Problem]:
    """Every ${name} in an expression or text names a field of the form."""
    known = {field.name for field in fields}
    columns = [h for h in survey.headers if h in REF_COLUMNS or h.split("::")[0] in TEXT_KINDS]
    problems = []
    for row in survey.rows:
        for column in columns:
            for ref in refs_in(row.get(column)):
                if ref in known:
                    continue
                close = difflib.get_close_matches(ref, known, n=1)
                fix = f"did you mean ${{{close[0]}}}?" if close else "use the name of a field"
                problems.append(
                    problem_at(
                        survey, row.number, column, f"${{{ref}}} is not the name of any field", fix
                    )
                )
    return problems


def _dependencies(fields: Sequence[Field]) -> tuple[dict[str, Field], dict[str, list[Edge]]]:
    by_name: dict[str, Field] = {}
    for field in fields:
        by_name.setdefault(field.name, field)
    edges: dict[str, list[Edge]] = {name: [] for name in by_name}
    for name, field in by_name.items():
        for column in CYCLE_COLUMNS:
            edges[name] += [(ref, column) for ref in refs_in(field.row.get(column)) if ref in edges]
        if field.parents and field.parents[-1] in edges:
            edges[name].append((field.parents[-1], None))
    return by_name, edges


def _reachable(start: str, edges: dict[str, list[Edge]]) -> set[str]:
    seen: set[str] = set()
    queue = deque([start])
    while queue:
        for target, _ in edges[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _loop(start: str, members: set[str], edges: dict[str, list[Edge]]) -> list[tuple[str, Edge]]:
    """A shortest path of (field, edge) steps from `start` back to `start` inside `members`."""
    previous: dict[str, tuple[str, Edge]] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target, column in edges[node]:
            if target not in members or target in previous:
                continue
            previous[target] = (node, (target, column))
            if target == start:
                steps = []
                current = start
                while True:
                    source, edge = previous[current]
                    steps.append((source, edge))
                    current = source
                    if current == start:
                        return steps[::-1]
            queue.append(target)
    return []


def _describe(source: str, edge: Edge) -> str:
    target, column = edge
    if column is None:
        return f"${{{source}}} is inside ${{{target}}}"
    return f"the {column} of ${{{source}}} uses ${{{target}}}"


def check_cycles(survey: Sheet, fields: Sequence[Field]) -> list[Problem]:
    """One problem per loop, at the cell of its earliest field that starts it."""
    by_name, edges = _dependencies(fields)
    reach = {name: _reachable(name, edges) for name in edges}
    reported: set[frozenset[str]] = set()
    problems = []
    for name in sorted(edges, key=lambda n: by_name[n].row.number):
        if name not in reach[name]:
            continue
        members = frozenset(m for m in reach[name] if name in reach[m])
        if members in reported:
            continue
        reported.add(members)
        steps = _loop(name, set(members), edges)
        problems.append(
            problem_at(
                survey,
                by_name[name].row.number,
                steps[0][1][1] if steps else None,
                f"${{{name}}} depends on itself: " + "; ".join(_describe(*s) for s in steps),
                "break the loop: relevant, calculation, required and readonly may not depend, "
                "directly or through other fields, on their own field or on a field inside "
                "their own group",
            )
        )
    return problems


def check_logic(survey: Sheet, fields: Sequence[Field]) -> list[Problem]:
    """References first, then loops among the references that resolve."""
    return check_refs(survey, fields) + check_cycles(survey, fields)
