"""Exports: regional packs (XLSX, CSV) of a survey year, with disclosure control.

A service: imports indicators, register (coverage), store, config and errors; never the
Kobo client.

    form.py      the deployed form: fields, labels per translation, `nswp_sensitive`
    tables.py    the pack's tables; small-cell suppression (Disclosure); labelled responses
    sections.py  programmes, participation, mobilisation, violence_rights, needs
    matrix.py    the law matrix: country x area, direction symbols
    coverage.py  service_coverage: the service x country heat map (% of respondents)
    series.py    time_series: the headline indicators (HEADLINE_IDS) per survey year
    pack.py      build_pack / build_packs, write_pack (0700 folders, 0600 files);
                 PUBLICATION_LANGUAGES per region
    run.py       export_packs: every region in its languages (the CLI's and demo's call)
    staging.py   a run's packs appear whole or not at all: a temporary folder, logged, renamed
    html.py      the HTML report; figures.py + charts.py its SVG charts; i18n.py its words

Example:
    form = load_export_form(engine, fallback=Path("forms/annual_member_survey.xlsx"))
    frames = load_frames(engine, catalogue)  # every year: time_series reads those up to 2025
    for region in check_choice("all", "fr"):
        pack = build_pack(engine, catalogue, frames, form, 2025, region, lang="fr")
        write_pack(pack, Path("exports"))
"""

from nswp_survey.export.form import (
    ExportForm,
    content_from_xlsx,
    form_from_content,
    load_export_form,
)
from nswp_survey.export.pack import (
    FORMATS,
    GLOBAL,
    PUBLICATION_LANGUAGES,
    SENSITIVE_LINE,
    Pack,
    build_pack,
    build_packs,
    check_choice,
    publication_languages,
    write_pack,
)
from nswp_survey.export.tables import Disclosure, indicator_table, suppress

__all__ = [
    "FORMATS",
    "GLOBAL",
    "PUBLICATION_LANGUAGES",
    "SENSITIVE_LINE",
    "Disclosure",
    "ExportForm",
    "Pack",
    "build_pack",
    "build_packs",
    "check_choice",
    "content_from_xlsx",
    "form_from_content",
    "indicator_table",
    "load_export_form",
    "publication_languages",
    "suppress",
    "write_pack",
]
