"""`KoboClient`: one session to a Kobo server and a service per kind of resource."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from nswp_survey.config import KoboSettings
from nswp_survey.errors import KoboResponseError, redact_url
from nswp_survey.kobo.assets import AssetService
from nswp_survey.kobo.openrosa import OpenRosaService
from nswp_survey.kobo.session import KoboSession
from nswp_survey.kobo.submissions import SubmissionService


class KoboClient:
    """Talks to one Kobo (KPI) server: `client.assets`, `client.submissions`, `client.openrosa`.

    Example:
        with KoboClient(settings.kobo) as client:
            for sub in client.submissions.iter_submissions("aXNkhESxKtiPDPuBLygopT"):
                print(sub.id, sub.submission_time)
    """

    def __init__(
        self,
        settings: KoboSettings,
        *,
        session: KoboSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.session = session or KoboSession(settings, sleep=sleep, rng=rng)
        self.assets = AssetService(self.session, sleep=sleep)
        self.submissions = SubmissionService(self.session)
        self.openrosa = OpenRosaService(self.session)

    def check_token(self) -> None:
        """Ask the server whether the token works (GET /token/); KoboAuthError if not.

        The body holds the token itself: it is checked for shape and then dropped.
        """
        body = self.session.get_json("/token/")
        if not isinstance(body, dict) or "token" not in body:
            raise KoboResponseError(
                f"expected a token answer from {redact_url(self.session.url('/token/'))}, "
                "got something else: check kobo.url"
            )

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def __enter__(self) -> KoboClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KoboClient(url={redact_url(self.settings.url)!r})"
