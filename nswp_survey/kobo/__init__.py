"""A requests-based client for the KoboToolbox KPI API v2 and its OpenRosa endpoints.

Imports only `nswp_survey.config`, `nswp_survey.errors`, requests and the standard library.
"""

from nswp_survey.kobo.assets import AssetService
from nswp_survey.kobo.client import KoboClient
from nswp_survey.kobo.models import (
    Asset,
    AssetVersion,
    Attachment,
    Deployment,
    FormListEntry,
    HistoryEntry,
    ImportTask,
    Page,
    Submission,
    SubmissionResult,
    ValidationStatus,
)
from nswp_survey.kobo.openrosa import OpenRosaService
from nswp_survey.kobo.pagination import iter_pages
from nswp_survey.kobo.session import KoboSession
from nswp_survey.kobo.status import raise_for_kobo
from nswp_survey.kobo.submissions import SubmissionService

__all__ = [
    "Asset",
    "AssetService",
    "AssetVersion",
    "Attachment",
    "Deployment",
    "FormListEntry",
    "HistoryEntry",
    "ImportTask",
    "KoboClient",
    "KoboSession",
    "OpenRosaService",
    "Page",
    "Submission",
    "SubmissionResult",
    "SubmissionService",
    "ValidationStatus",
    "iter_pages",
    "raise_for_kobo",
]
