"""Store -> DataFrames: one wide frame of top-level answers, one of `law_change` repeat rows.

Only the fields the catalogue reads are fetched. Answer paths become field names (the last
path segment: `b_profile/member_code` -> `member_code`), then the catalogue's aliases map
names used by older form versions to the current ones, so old answers count under the new
name. The counting rules are applied once, by `rules.select_responses`.

Example:
    frames = load_frames(engine, catalogue, years=[2025])
    results = compute_indicators(frames, catalogue, 2025)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
from sqlalchemy import Engine, String, bindparam, text

from nswp_survey.indicators.catalogue import ANALYSES, Catalogue
from nswp_survey.indicators.form import FormSchema, schema_from_content
from nswp_survey.indicators.membership import load_register_figures
from nswp_survey.indicators.results import Frames
from nswp_survey.indicators.rules import select_responses
from nswp_survey.store import load_latest_content

LAW_REPEAT = "law_change"
LAW_FIELDS = tuple(f for f in ANALYSES["law"]["changes"] if f.startswith("lc_"))
RESPONDENT_COLUMNS = (
    "submission_id",
    "member_code",
    "year",
    "region",
    "country",
    "sw_led",
    "constituencies",
)
META_COLUMNS = ["submission_id", "asset_uid", "kobo_id", "submission_time"]
META_COLUMNS += ["validation_status", "deleted", "version_uid"]
_CHUNK = 500


def field_name(path: str, aliases: Mapping[str, str]) -> str:
    """`c_orgdev/gov_items` -> `governance` when the alias says so; else the last segment."""
    if path in aliases:
        return aliases[path]
    name = path.rsplit("/", 1)[-1]
    return aliases.get(name, name)


def pivot_answers(long: pd.DataFrame, index: str, aliases: Mapping[str, str]) -> pd.DataFrame:
    """Long (index, path, value) answers -> one column per current field name."""
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name=index))
    paths = long["path"].unique()
    names = {p: field_name(p, aliases) for p in paths}
    long = long.assign(name=long["path"].map(names))
    long = long.drop_duplicates([index, "name"], keep="last")
    return long.pivot(index=index, columns="name", values="value")


def _query(engine: Engine, sql: str, params: dict | None = None, expand=()) -> pd.DataFrame:
    """Run a SELECT on the driver's own cursor: rows come as tuples, straight into pandas."""
    stmt = text(sql)
    for name in expand:  # (lists of text: typed, or PostgreSQL refuses an empty one)
        stmt = stmt.bindparams(bindparam(name, expanding=True, type_=String()))
    with engine.connect() as conn:
        compiled = stmt.bindparams(**(params or {})).compile(
            dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
        )
        values = compiled.params
        args = [values[k] for k in compiled.positiontup] if compiled.positiontup else values
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(str(compiled), args)
            keys = [column[0] for column in cursor.description]
            return pd.DataFrame.from_records(cursor.fetchall(), columns=keys)
        finally:
            cursor.close()


def _answers(engine: Engine, paths: Sequence[str], repeat: bool) -> pd.DataFrame:
    columns = (
        "submission_id, repeat_row_id, path, value" if repeat else "submission_id, path, value"
    )
    where = "repeat_row_id IS NOT NULL" if repeat else "repeat_row_id IS NULL"
    frames = [
        _query(
            engine,
            f"SELECT {columns} FROM answer WHERE {where} AND path IN :paths",
            {"paths": list(paths[i : i + _CHUNK])},
            expand=("paths",),
        )
        for i in range(0, len(paths), _CHUNK)
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[columns])


def load_raw(
    engine: Engine, catalogue: Catalogue, asset_uids: Iterable[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stored submission (meta + wanted fields) and every law_change row, unfiltered."""
    where, params = "", {}
    if asset_uids is not None:
        where, params = "WHERE asset_uid IN :assets", {"assets": list(asset_uids)}
    subs = _query(
        engine,
        "SELECT id AS submission_id, asset_uid, kobo_id, submission_time, validation_status, "
        f"deleted_at IS NOT NULL AS deleted, version_uid FROM submission {where}",
        params,
        expand=("assets",) if params else (),
    )
    subs["submission_time"] = pd.to_datetime(subs["submission_time"], utc=True, format="ISO8601")
    subs["deleted"] = subs["deleted"].astype(bool)
    keep = set(subs["submission_id"])
    aliases = catalogue.aliases
    wanted = catalogue.fields_read()
    all_paths = _query(engine, "SELECT DISTINCT path FROM answer")["path"].tolist()
    top = [p for p in all_paths if field_name(p, aliases) in wanted]
    law = [p for p in all_paths if field_name(p, aliases) in LAW_FIELDS]
    wide = pivot_answers(_answers(engine, top, repeat=False), "submission_id", aliases)
    raw = subs.merge(wide, left_on="submission_id", right_index=True, how="left")
    law_long = _answers(engine, law, repeat=True)
    law_wide = pivot_answers(law_long, "repeat_row_id", aliases).reset_index()
    if not law_long.empty:
        owner = law_long.drop_duplicates("repeat_row_id").set_index("repeat_row_id")
        law_wide["submission_id"] = law_wide["repeat_row_id"].map(owner["submission_id"])
        law_wide = law_wide[law_wide["submission_id"].isin(keep)]
    return raw, law_wide


def build_frames(
    raw: pd.DataFrame,
    law_raw: pd.DataFrame,
    catalogue: Catalogue,
    *,
    years: Iterable[int] | None = None,
    schema: FormSchema | None = None,
) -> Frames:
    """Apply the counting rules, then attach each law_change row to its counted response."""
    responses, excluded = select_responses(raw, on_hold=catalogue.on_hold, years=years)
    if "submission_id" in law_raw and not law_raw.empty:
        respondent = responses[[c for c in RESPONDENT_COLUMNS if c in responses]]
        law = law_raw.merge(respondent, on="submission_id", how="inner")
    else:
        law = pd.DataFrame(columns=["submission_id", *RESPONDENT_COLUMNS[1:], *LAW_FIELDS])
    return Frames(responses=responses, law=law, schema=schema, excluded=excluded)


def load_schema(engine: Engine, asset_uids: Iterable[str] | None = None) -> FormSchema | None:
    """The newest stored form version's content as a schema (for labels), if any is stored."""
    with engine.connect() as conn:
        latest = load_latest_content(conn, asset_uids)
    if latest is None:
        return None
    asset_uid, content = latest
    return schema_from_content(content, source=f"store:{asset_uid}")


def load_frames(
    engine: Engine,
    catalogue: Catalogue,
    *,
    years: Iterable[int] | None = None,
    asset_uids: Iterable[str] | None = None,
    schema: FormSchema | None = None,
) -> Frames:
    """Everything the catalogue needs, from the store, with the counting rules applied.

    `asset_uids`: only these forms' submissions (None: every stored form); the frames keep
    the list, so what is computed from them (coverage in a pack) reads the same forms.
    """
    assets = tuple(asset_uids) if asset_uids is not None else None
    raw, law_raw = load_raw(engine, catalogue, assets)
    schema = schema or load_schema(engine, assets)
    frames = build_frames(raw, law_raw, catalogue, years=years, schema=schema)
    frames.asset_uids = assets
    if any(spec.analysis == "register" for spec in catalogue.indicators):
        wanted = list(years) if years is not None else frames.responses["year"].dropna().unique()
        frames.register = load_register_figures(engine, [int(y) for y in wanted], assets)
    return frames
