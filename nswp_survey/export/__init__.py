"""Exports: regional packs (XLSX, CSV) of a survey year, with disclosure control.

A service: imports indicators, register (coverage), store, config and errors; never the
Kobo client.

    form.py    the deployed form: fields, labels per translation, `nswp_sensitive`
    tables.py  the pack's tables; small-cell suppression; labelled responses
    pack.py    build_pack / build_packs, write_pack (0700 folders, 0600 files)

Example:
    form = load_export_form(engine, fallback=Path("forms/annual_member_survey.xlsx"))
    frames = load_frames(engine, catalogue, years=[2025])
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
    SENSITIVE_LINE,
    Pack,
    build_pack,
    build_packs,
    check_choice,
    write_pack,
)
from nswp_survey.export.tables import indicator_table, suppress

__all__ = [
    "FORMATS",
    "GLOBAL",
    "SENSITIVE_LINE",
    "ExportForm",
    "Pack",
    "build_pack",
    "build_packs",
    "check_choice",
    "content_from_xlsx",
    "form_from_content",
    "indicator_table",
    "load_export_form",
    "suppress",
    "write_pack",
]
