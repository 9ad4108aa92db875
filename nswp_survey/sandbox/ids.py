"""Identifiers and timestamps in the formats KPI produces."""

from __future__ import annotations

import random
import secrets
import string
from datetime import UTC, datetime

# kpi/fields/kpi_uid.py: prefix + ShortUUID().random(21); shortuuid's default alphabet
# leaves out look-alike characters (0, 1, I, O, l).
_SHORTUUID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# kpi/utils/random_id.py: $kuid values are 9 chars of ascii letters + digits.
_KUID_ALPHABET = string.ascii_letters + string.digits
_rng = random.SystemRandom()


def make_uid(prefix: str) -> str:
    """A KPI uid: 'a…' assets, 'v…' versions, 'i…' imports, 'p…' permissions (22 chars)."""
    return prefix + "".join(_rng.choice(_SHORTUUID_ALPHABET) for _ in range(21))


def make_kuid() -> str:
    """A `$kuid` for a survey or choice row (kpi/mixins/formpack_xlsform_utils.py)."""
    return "".join(_rng.choice(_KUID_ALPHABET) for _ in range(9))


def make_hex32() -> str:
    """An XForm uuid (formhub/uuid): 32 lowercase hex digits, as KoboCAT's uuid4().hex."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    return datetime.now(UTC)


def drf_datetime(value: datetime) -> str:
    """DRF's DateTimeField output for UTC values: microseconds and a 'Z' suffix."""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def mongo_datetime(value: datetime) -> str:
    """`_submission_time`: MONGO_STRFTIME '%Y-%m-%dT%H:%M:%S' in UTC, no zone."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def openrosa_datetime(value: datetime) -> str:
    """submissionDate in OpenRosa responses: isoformat with microseconds and +00:00."""
    return value.astimezone(UTC).isoformat()
