"""The member register and survey coverage: who is a member, who has answered, whom to remind.

A service: imports `store`, `config` and `errors` only.

    codes.py     vocabularies: member code pattern, regions, ISO 3166 alpha-3, languages
    file.py      parse_register (CSV/XLSX -> checked rows, or every problem by row)
    importer.py  import_register (checked rows -> register, all or nothing), load_sample_register
    history.py   the import log; undo_last_import
    coverage.py  compute_coverage (responses / active members), member_counts (MEM-01, MEM-02)

Organisation names and contacts are sensitive: only `load_register(...,
include_sensitive=True)` returns them; coverage never reads them.
"""

from __future__ import annotations

from sqlalchemy import Engine

from nswp_survey.register.coverage import (
    ANNUAL_SURVEY,
    Coverage,
    CoverageCell,
    Duplicate,
    MemberCounts,
    PendingMember,
    Response,
    SurveyPaths,
    compute_coverage,
    coverage_of,
    coverage_rows,
    is_active_on,
    member_counts,
    pending_rows,
    survey_year,
)
from nswp_survey.register.file import (
    SENSITIVE_COLUMNS,
    RegisterEntry,
    RegisterFile,
    parse_register,
)
from nswp_survey.register.history import (
    UNDO_COMMAND,
    UndoResult,
    describe_import,
    load_import_history,
    undo_last_import,
    undoable_import,
)
from nswp_survey.register.importer import (
    SAMPLE_REGISTER,
    ImportResult,
    apply_register,
    changed_register,
    import_register,
    load_sample_register,
)
from nswp_survey.store import load_members


def load_register(engine: Engine, *, include_sensitive: bool = False) -> list[dict[str, object]]:
    """Every member as a dict of its columns; org_name and contact only when asked for."""
    with engine.connect() as conn:
        members = load_members(conn)
    hidden = () if include_sensitive else SENSITIVE_COLUMNS
    return [
        {key: value for key, value in member.model_dump().items() if key not in hidden}
        for member in members
    ]


__all__ = [
    "ANNUAL_SURVEY",
    "SAMPLE_REGISTER",
    "SENSITIVE_COLUMNS",
    "UNDO_COMMAND",
    "Coverage",
    "CoverageCell",
    "Duplicate",
    "ImportResult",
    "MemberCounts",
    "PendingMember",
    "RegisterEntry",
    "RegisterFile",
    "Response",
    "SurveyPaths",
    "UndoResult",
    "apply_register",
    "changed_register",
    "compute_coverage",
    "coverage_of",
    "coverage_rows",
    "describe_import",
    "import_register",
    "is_active_on",
    "load_import_history",
    "load_register",
    "load_sample_register",
    "member_counts",
    "parse_register",
    "pending_rows",
    "survey_year",
    "undo_last_import",
    "undoable_import",
]
