"""The indicator catalogue: `config/indicators.toml` -> validated `IndicatorSpec`s.

`load_catalogue(path)` checks the file's own shape (kinds, operators, titles, ids) and raises
`IndicatorError` naming the indicator and the key. `check_catalogue_against_form(catalogue,
form)` checks every field, alias and choice against a form and returns one message per
problem, each naming the indicator and the field (`forms check` and `indicators` use it).
The kinds and operators are documented at the top of `config/indicators.toml`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nswp_survey.config import LANGUAGES
from nswp_survey.errors import IndicatorError
from nswp_survey.indicators.form import FormSchema, load_form_schema

KINDS = ("share", "count", "sum", "mean", "median", "ratio", "distribution", "distinct_countries")
OPERATORS = ("equals", "any_of", "selected", "any_except", "not_none", "gte", "count_gte")
DISAGGREGATIONS = ("region", "country", "year", "sw_led", "constituency")
# Fields the analysis modules read, and the measures each one offers.
ANALYSES: dict[str, dict[str, tuple[str, ...]]] = {
    "law": dict.fromkeys(
        ("changes", "countries_positive", "countries_negative", "net_direction"),
        ("country", "lc_area", "lc_level", "lc_stage", "lc_direction", "lc_date", "lc_source"),
    ),
    "programmes": {
        "balance": ("services", "service_change", "service_cut"),
        "cut_reasons": ("service_cut", "cut_reason"),
    },
    "register": {"members": (), "new_members": (), "coverage": ("member_code",)},
}
# Fields the counting rules and disaggregations read; the form must have them too.
BASE_FIELDS = ("consent", "survey_year", "member_code", "region", "country", "sw_led")
BASE_FIELDS += ("sw_board_share", "sw_spokes_share", "sw_staff_share", "paid_staff")  # sw_led
DISAGGREGATION_FIELDS = {"constituency": "constituencies"}
_NUMERIC = {"integer", "decimal", "calculate", "range"}
_SELECTS = {"select_one", "select_multiple"}
_OPERATOR_KINDS = {
    "selected": {"select_multiple"},
    "any_except": {"select_multiple"},
    "count_gte": {"select_multiple"},
    "gte": _NUMERIC,
}
_ID = re.compile(r"^[A-Z][A-Z0-9]*-\d{2}[a-z]?$")
_KEYS = {
    "id",
    "title",
    "framework",
    "kind",
    "analysis",
    "measure",
    "where",
    "denominator",
    "field",
    "fields",
    "over",
    "transform",
    "exclude",
    "disaggregations",
    "note",
}


@dataclass(frozen=True)
class Condition:
    """`field <op> value`, e.g. Condition('ccm_seat', 'equals', 'yes')."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class IndicatorSpec:
    """One catalogue entry; `kind` for declarative ones, `analysis`+`measure` for the others."""

    id: str
    titles: Mapping[str, str]
    framework: Mapping[str, str]
    kind: str | None = None
    analysis: str | None = None
    measure: str | None = None
    where: tuple[Condition, ...] = ()
    denominator: tuple[Condition, ...] | None = None  # None: R, every counted response
    fields: tuple[str, ...] = ()
    over: tuple[str, ...] = ()
    transform: str | None = None
    exclude: tuple[str, ...] = ()
    disaggregations: tuple[str, ...] = DISAGGREGATIONS
    note: str = ""

    def title(self, lang: str = "en") -> str:
        return self.titles.get(lang) or self.titles["en"]

    def fields_read(self) -> list[str]:
        """Every form field this indicator reads, in order, once."""
        names = [c.field for c in self.where + (self.denominator or ())]
        names += [*self.fields, *self.over]
        if self.analysis:
            names += ANALYSES[self.analysis][self.measure or ""]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Catalogue:
    """The indicators, the field aliases (old name -> current name) and the counting rules."""

    indicators: tuple[IndicatorSpec, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    on_hold: str = "include"
    form: str | None = None
    path: Path | None = None

    def get(self, indicator_id: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.id == indicator_id:
                return spec
        raise IndicatorError(f"no indicator {indicator_id!r} in the catalogue {self.path}")

    def fields_read(self) -> set[str]:
        names = set(BASE_FIELDS) | set(DISAGGREGATION_FIELDS.values())
        for spec in self.indicators:
            names.update(spec.fields_read())
        return names


def _fail(where: str, message: str) -> IndicatorError:
    return IndicatorError(f"{where}: {message}")


def _conditions(raw: Any, where: str, key: str) -> tuple[Condition, ...]:
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not items:
        raise _fail(where, f"{key} must be a table {{field = ..., <operator> = ...}} or a list")
    out = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
            raise _fail(where, f"{key} needs a field name: {item!r}")
        ops = [k for k in item if k != "field"]
        if len(ops) != 1 or ops[0] not in OPERATORS:
            raise _fail(
                where,
                f"{key} on field {item['field']!r} needs exactly one operator of "
                f"{', '.join(OPERATORS)} (got {', '.join(ops) or 'none'})",
            )
        value = item[ops[0]]
        if ops[0] in ("any_of", "selected", "any_except") and isinstance(value, str):
            value = [value]
        out.append(
            Condition(item["field"], ops[0], tuple(value) if isinstance(value, list) else value)
        )
    return tuple(out)


def _names(raw: Any, where: str, key: str) -> tuple[str, ...]:
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _fail(where, f"{key} must be a field name or a list of field names")
    return tuple(names)


def _spec(raw: Mapping[str, Any], source: str) -> IndicatorSpec:
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise _fail(source, f"an indicator has a missing or malformed id {ident!r} (like 'ORG-01')")
    where = f"{source}: indicator {ident}"
    if unknown := sorted(set(raw) - _KEYS):
        raise IndicatorError(f"{where}: unknown key {', '.join(unknown)}")
    titles = raw.get("title")
    if not isinstance(titles, Mapping) or [x for x in LANGUAGES if not titles.get(x)]:
        raise IndicatorError(f"{where}: title needs all of {', '.join(LANGUAGES)}")
    kind, analysis, measure = raw.get("kind"), raw.get("analysis"), raw.get("measure")
    if (kind is None) == (analysis is None):
        raise IndicatorError(f"{where}: give either kind or analysis")
    if kind is not None and kind not in KINDS:
        raise IndicatorError(f"{where}: unknown kind {kind!r} (use one of {', '.join(KINDS)})")
    if analysis is not None and (analysis not in ANALYSES or measure not in ANALYSES[analysis]):
        options = "; ".join(f"{a}: {', '.join(m)}" for a, m in ANALYSES.items())
        raise IndicatorError(f"{where}: unknown analysis/measure {analysis}/{measure} ({options})")
    fields = _names(raw["field"], where, "field") if "field" in raw else ()
    fields += _names(raw.get("fields", []), where, "fields")
    spec = IndicatorSpec(
        id=ident,
        titles=dict(titles),
        framework=dict(raw.get("framework", {})),
        kind=kind,
        analysis=analysis,
        measure=measure,
        where=_conditions(raw["where"], where, "where") if "where" in raw else (),
        denominator=_conditions(raw["denominator"], where, "denominator")
        if "denominator" in raw
        else None,
        fields=fields,
        over=_names(raw.get("over", []), where, "over"),
        transform=raw.get("transform"),
        exclude=_names(raw.get("exclude", []), where, "exclude"),
        disaggregations=tuple(raw.get("disaggregations", DISAGGREGATIONS)),
        note=str(raw.get("note", "")),
    )
    if bad := [d for d in spec.disaggregations if d not in DISAGGREGATIONS]:
        raise IndicatorError(f"{where}: unknown disaggregation {', '.join(bad)}")
    _check_shape(spec, where)
    return spec


def _check_shape(spec: IndicatorSpec, where: str) -> None:
    kind = spec.kind
    if kind in ("share", "count", "distinct_countries") and not spec.where:
        raise IndicatorError(
            f"{where}: kind {kind} needs where = {{field = ..., <operator> = ...}}"
        )
    if kind in ("sum", "mean", "median", "ratio", "distribution") and not spec.fields:
        raise IndicatorError(f"{where}: kind {kind} needs field (or fields)")
    if kind == "ratio" and not spec.over:
        raise IndicatorError(f"{where}: kind ratio needs over = [fields of the denominator]")
    if kind == "distribution" and len(spec.fields) != 1:
        raise IndicatorError(f"{where}: kind distribution reads exactly one field")
    if spec.transform not in (None, "count_selected"):
        raise IndicatorError(f"{where}: unknown transform {spec.transform!r} (count_selected)")


def load_catalogue(path: Path | str) -> Catalogue:
    """Read and validate the catalogue; IndicatorError names the indicator and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise IndicatorError(f"cannot read the indicator catalogue {path}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise IndicatorError(f"{path}: not valid TOML: {err}") from err
    rules = raw.get("rules", {})
    on_hold = rules.get("on_hold", "include")
    if on_hold not in ("include", "exclude"):
        raise IndicatorError(f"{path}: rules.on_hold must be 'include' or 'exclude'")
    aliases = raw.get("aliases", {})
    if not all(isinstance(v, str) for v in aliases.values()):
        raise IndicatorError(f"{path}: [aliases] maps old field names to current names (text)")
    specs = tuple(_spec(item, str(path)) for item in raw.get("indicator", []))
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise IndicatorError(f"{path}: indicator {spec.id} appears twice")
        seen.add(spec.id)
    return Catalogue(specs, dict(aliases), on_hold, raw.get("form"), path)


def _condition_problems(spec: IndicatorSpec, cond: Condition, schema: FormSchema) -> list[str]:
    info = schema.fields[cond.field]
    kinds = _OPERATOR_KINDS.get(cond.op)
    if kinds and info.kind not in kinds:
        return [
            f"indicator {spec.id}: operator {cond.op} does not suit field {cond.field!r} "
            f"({info.kind})"
        ]
    choices = schema.choice_names(cond.field)
    values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
    if choices is None or cond.op in ("not_none", "gte", "count_gte"):
        return []
    return [
        f"indicator {spec.id}: field {cond.field!r} has no choice {value!r} (list "
        f"{info.list_name}: {', '.join(choices)})"
        for value in values
        if str(value) not in choices
    ]


def check_catalogue_against_form(catalogue: Catalogue, form: FormSchema | Path | str) -> list[str]:
    """One message per field, alias or choice the catalogue names that the form lacks."""
    if not isinstance(form, FormSchema):
        try:
            form = load_form_schema(Path(form))
        except IndicatorError as err:
            return [f"indicator catalogue {catalogue.path}: cannot read the form: {err}"]
    fields = form.fields
    problems: list[str] = []
    for name in BASE_FIELDS:
        if name not in fields:
            problems.append(f"counting rules: field {name!r} is not in the form {form.source}")
    for old, new in catalogue.aliases.items():
        if new not in fields:
            problems.append(f"alias {old!r} -> {new!r}: field {new!r} is not in the form")
    for spec in catalogue.indicators:
        missing = [n for n in spec.fields_read() if n not in fields]
        problems += [
            f"indicator {spec.id}: field {n!r} is not in the form {form.source}" for n in missing
        ]
        for cond in spec.where + (spec.denominator or ()):
            if cond.field in fields:
                problems += _condition_problems(spec, cond, form)
        for name in (*spec.fields, *spec.over):
            info = fields.get(name)
            numeric = spec.kind in ("sum", "mean", "median", "ratio") and not spec.transform
            if info and numeric and info.kind not in _NUMERIC:
                problems.append(f"indicator {spec.id}: field {name!r} is {info.kind}, not a number")
            if info and spec.kind == "distribution" and info.kind not in _SELECTS:
                problems.append(f"indicator {spec.id}: field {name!r} is {info.kind}, not a select")
    return problems
