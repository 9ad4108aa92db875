"""Disclosure control across every published table: decide which counts to hide, and prove
that an attacker who combines all the tables recovers none of the protected ones.

Pure mathematics: it knows counts and the linear relations between them, not packs or
DataFrames. See docs/disclosure.md for the method and its limits.

Example:
    >>> from nswp_survey.disclosure import Cell, Problem, Relation, audit, protect
    >>> cells = [Cell(("t",), 4), Cell(("a",), 2), Cell(("b",), 2)]
    >>> problem = Problem(cells, [Relation(("t",), (("a",), ("b",)))])
    >>> audit(problem, {("a",), ("b",)}).ok  # "<3" + "<3" = 4: both are 2
    False
    >>> plan = protect(problem)
    >>> sorted(plan.secondary), sorted(plan.as_x), audit(problem, plan).ok  # both shown "x"
    ([], [('a',), ('b',)], True)
"""

from nswp_survey.disclosure.attacker import AuditReport, CellAudit, audit
from nswp_survey.disclosure.model import DEFAULT_FLOOR, Cell, Key, Problem, Relation, key_name
from nswp_survey.disclosure.primary import Requirement, is_primary, requirement
from nswp_survey.disclosure.secondary import Plan, protect

__all__ = [
    "DEFAULT_FLOOR",
    "AuditReport",
    "Cell",
    "CellAudit",
    "Key",
    "Plan",
    "Problem",
    "Relation",
    "Requirement",
    "audit",
    "is_primary",
    "key_name",
    "protect",
    "requirement",
]
