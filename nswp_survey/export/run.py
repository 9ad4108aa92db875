"""Write the regional packs of a survey year: the one call the CLI and the demo make."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from nswp_survey.errors import ExportError
from nswp_survey.export.form import load_export_form
from nswp_survey.export.pack import FORMATS, Pack, build_pack, publication_languages, write_pack
from nswp_survey.export.staging import PREFIX, staged
from nswp_survey.indicators import Catalogue, FormSchema, load_frames
from nswp_survey.store import ExportEntry, record_export, transaction


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
    lang: str | None = None,
    asset_uids: Sequence[str] | None = None,
    audit: bool = False,
    **options: Any,
) -> list[tuple[Pack, list[Path]]]:
    """Build and write one pack per region and language; returns each pack with its files.

    The packs are written into a temporary folder inside `out_dir`, the run is recorded in
    the export log (store/exports.py), then the packs are moved into place (staging.py): a
    run that fails or is killed publishes nothing, and leaves the packs already there as
    they were.

    `lang` None: each region in its publication languages (pack.PUBLICATION_LANGUAGES).
    `asset_uids`: the forms to read (store/scope.py; None: every stored form).
    `audit`: protect the public tables of the year together (`joint`) and attack them
    before anything is published (the pack's `plan.report`); DisclosureError, and nothing
    published, if a protected count comes back.
    `options` go to `build_pack` (tier, min_cell, min_cell_high, include_sensitive).
    """
    if audit:
        options["joint"] = True
    form = load_export_form(engine, form_fallback, asset_uids)
    # every year in the store: the time_series table reads the years up to `year` (which
    # years exist is only known once the counting rules ran); build_pack keeps every other
    # table to `year`
    frames = load_frames(
        engine, catalogue, years=None, asset_uids=asset_uids, schema=form.schema or schema
    )
    written: list[tuple[Pack, list[Path]]] = []
    regions = list(regions)
    region = regions[0] if regions else ""
    try:
        with staged(out_dir) as stage:
            for region in regions:
                for language in [lang] if lang else publication_languages(region):
                    pack = build_pack(
                        engine, catalogue, frames, form, year, region, lang=language, **options
                    )
                    written.append((pack, write_pack(pack, stage.packs, formats)))
            if audit and written and written[0][0].plan is not None:
                written[0][0].plan.check()  # before the log and the move: nothing published
            # in the log before any pack is in place: the log never misses a published pack
            with transaction(engine) as conn:
                record_export(conn, _entry(year, regions, formats, out_dir, written, options))
            stage.publish()
    except OSError as err:  # a folder that cannot be made, a disk full: nothing was published
        # a file of the temporary folder means nothing to the user: the folder does
        named = err.filename and PREFIX not in str(err.filename)
        raise ExportError(
            f"cannot write the {region} pack under {out_dir}: "
            f"{f'{err.filename}: ' if named else ''}{err.strerror}; no pack there was "
            "changed: free some space or choose another --out (or export.dir)"
        ) from err
    return [(pack, [stage.final(path) for path in files]) for pack, files in written]


def _entry(
    year: int,
    regions: list[str],
    formats: Sequence[str],
    out_dir: Path,
    written: list[tuple[Pack, list[Path]]],
    options: dict[str, Any],
) -> ExportEntry:
    return ExportEntry(
        exported_by=_user(),
        year=year,
        regions=regions,
        languages=sorted({pack.lang for pack, _files in written}),
        formats=list(formats),
        tier=str(options.get("tier", "public")),
        include_sensitive=bool(options.get("include_sensitive", False)),
        folder=str(Path(out_dir).resolve()),
        files=sum(len(files) for _pack, files in written),
    )


def _user() -> str:
    """Who exported, as the operating system knows them."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container's numeric user)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
