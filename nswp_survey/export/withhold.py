"""Countries left out of public packs altogether (domain.md §6).

Where members face "undesirable / foreign agent" style laws (Russia in 2025), even a count
of organisations that answered, or a change they reported, can put them at risk. Suppressing
their small cells is not enough: a region's total minus the countries shown would give their
figures back. So the public tier builds every table from data without them: their responses,
the law changes they reported and their register figures. The cover says that some countries
are withheld, never which ones or whether any of them answered. Internal packs keep them.

Which countries is configuration (export.withhold_countries); `check_withheld_countries`
refuses, when it is loaded, a code that no data can carry, since a typo would withhold no one
while the cover still says countries are withheld.

Example:
    check_withheld_countries(settings.export.withhold_countries, source="nswp.toml")
    frames = withhold_countries(frames, ("RUS",))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path

from nswp_survey.errors import ConfigError, IndicatorError
from nswp_survey.indicators import Frames
from nswp_survey.indicators.form import load_form_schema
from nswp_survey.register.codes import ISO3166_ALPHA3

# The member survey this checkout deploys: its country list adds the survey's own "other in
# region" codes (XAF, XEU ...) to the ISO codes the register holds.
SURVEY_FORM = Path(__file__).resolve().parents[2] / "forms" / "annual_member_survey.xlsx"
COUNTRY_LIST = "country"


def withhold_countries(frames: Frames, countries: Collection[str]) -> Frames:
    """`frames` without the responses, law changes and register rows of `countries`."""
    if not countries:
        return frames
    wanted = {code.strip().upper() for code in countries}
    responses = frames.responses
    if "country" in responses:
        responses = responses[~responses["country"].isin(wanted)]
    law = frames.law[frames.law["submission_id"].isin(responses["submission_id"])]
    register = frames.register
    if register is not None and "country" in register.table:
        table = register.table[~register.table["country"].isin(wanted)]
        register = dataclasses.replace(register, table=table)
    # `cache` holds columns parsed from the old frames: start afresh
    return dataclasses.replace(frames, responses=responses, law=law, register=register, cache={})


def check_withheld_countries(
    countries: Collection[str], *, source: str | None = None, form: Path = SURVEY_FORM
) -> None:
    """ConfigError naming the first of `countries` (normalised, upper case) that is neither
    an ISO 3166 alpha-3 code (the register's countries) nor in the survey form's country
    list, with the closest code that is; `source` names the file. The form is read only when
    a code is not an ISO one."""
    unknown = [code for code in countries if code not in ISO3166_ALPHA3]
    if not unknown:
        return
    survey = survey_countries(form)
    unknown = [code for code in unknown if code not in survey]
    if not unknown:
        return
    code = unknown[0]
    closest = min(
        survey | ISO3166_ALPHA3,
        # fewest edits; then the same letters swapped (the usual slip: RSU for RUS, not ROU);
        # then a code members can choose in the survey
        key=lambda known: (
            _edit_distance(code, known),
            sorted(known) != sorted(code),
            known not in survey,
            known,
        ),
    )
    hint = f" (did you mean {closest}?)" if _edit_distance(code, closest) < len(code) else ""
    raise ConfigError(
        f"{source or 'configuration'}: export.withhold_countries has {code}, which is not a "
        f"country code of the survey form or of ISO 3166 alpha-3, so it would withhold no "
        f"one{hint}"
    )


def survey_countries(form: Path) -> frozenset[str]:
    """The codes of the form's country choice list; none when the form cannot be read (an
    installed copy without the project's forms/ folder: ISO codes are known still)."""
    try:
        schema = load_form_schema(form)
    except IndicatorError:
        return frozenset()
    return frozenset(schema.choices.get(COUNTRY_LIST, {}))


def _edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`: "RSU"
    is one swap from RUS, two edits from SUR."""
    rows = [list(range(len(b) + 1))]
    for i, char in enumerate(a, 1):
        row = [i]
        for j, other in enumerate(b, 1):
            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (char != other)))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
