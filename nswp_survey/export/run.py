"""Write the regional packs of a survey year: the one call the CLI and the demo make."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from nswp_survey.export.form import load_export_form
from nswp_survey.export.pack import FORMATS, Pack, build_pack, write_pack
from nswp_survey.indicators import Catalogue, FormSchema, load_frames


def export_packs(
    engine: Engine,
    catalogue: Catalogue,
    year: int,
    regions: Iterable[str],
    out_dir: Path,
    *,
    formats: Sequence[str] = FORMATS,
    form_fallback: Path | None = None,
    schema: FormSchema | None = None,
    **options: Any,
) -> list[tuple[Pack, list[Path]]]:
    """Build and write one pack per region; returns each pack with the files written.

    `options` go to `build_pack` (lang, tier, min_cell, include_sensitive).
    """
    form = load_export_form(engine, form_fallback)
    frames = load_frames(engine, catalogue, years=[year], schema=form.schema or schema)
    written = []
    for region in regions:
        pack = build_pack(engine, catalogue, frames, form, year, region, **options)
        written.append((pack, write_pack(pack, out_dir, formats)))
    return written
