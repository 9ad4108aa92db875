"""Countries left out of public packs altogether (domain.md §6).

Where members face "undesirable / foreign agent" style laws (Russia in 2025), even a count
of organisations that answered, or a change they reported, can put them at risk. Suppressing
their small cells is not enough: a region's total minus the countries shown would give their
figures back. So the public tier builds every table from data without them: their responses,
the law changes they reported and their register figures. The cover says that some countries
are withheld, never which ones or whether any of them answered. Internal packs keep them.

Example:
    frames = withhold_countries(frames, ("RUS",))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from nswp_survey.indicators import Frames


def withhold_countries(frames: Frames, countries: Collection[str]) -> Frames:
    """`frames` without the responses, law changes and register rows of `countries`."""
    if not countries:
        return frames
    wanted = set(countries)
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
