"""Indicators: store -> pandas -> the M&E figures of `config/indicators.toml`.

Imports the store, forms (to read field kinds and labels), config and errors; never the
Kobo client.

    catalogue.py   the TOML catalogue -> IndicatorSpec; checks against the form
    form.py        field kinds, choice lists and labels of a form (xlsx or stored content)
    load.py        store -> DataFrames (wanted fields only; aliases -> current names)
    rules.py       the counting rules: select_responses (R, one per member and year)
    compute.py     the declarative kinds; compute_indicators over the catalogue
    aggregate.py   measure frames -> headline + breakdown rows
    law.py         LAW-*: legal and policy changes, de-duplicated
    programmes.py  PRG-02: services started/expanded vs reduced/stopped, and why
    membership.py  MEM-01/02/04: read the member register
    results.py     Frames, IndicatorResult, ResultRow, grouping by disaggregation

Example:
    catalogue = load_catalogue("config/indicators.toml")
    frames = load_frames(engine, catalogue, years=[2025])
    for result in compute_indicators(frames, catalogue, 2025, by=("region",), lang="fr"):
        print(result.id, result.title, result.value)
"""

from nswp_survey.indicators.catalogue import (
    Catalogue,
    IndicatorSpec,
    check_catalogue_against_form,
    load_catalogue,
)
from nswp_survey.indicators.compute import compute_indicator, compute_indicators
from nswp_survey.indicators.form import FormSchema, load_form_schema, schema_from_content
from nswp_survey.indicators.load import build_frames, load_frames, load_raw
from nswp_survey.indicators.results import Frames, IndicatorResult, ResultRow
from nswp_survey.indicators.rules import select_responses

__all__ = [
    "Catalogue",
    "FormSchema",
    "Frames",
    "IndicatorResult",
    "IndicatorSpec",
    "ResultRow",
    "build_frames",
    "check_catalogue_against_form",
    "compute_indicator",
    "compute_indicators",
    "load_catalogue",
    "load_form_schema",
    "load_frames",
    "load_raw",
    "schema_from_content",
    "select_responses",
]
