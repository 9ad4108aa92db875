"""Follow Kobo's paged lists (`{count, next, previous, results}`) from page to page.

The only thing trusted is the `next` link in each body: servers before KPI 2.026.03 serve
30,000 records a page, newer ones cap at 1000, and some ignore `limit` altogether, so the
`limit` asked for is never assumed to have been honoured.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from nswp_survey.errors import KoboResponseError, redact_url
from nswp_survey.kobo.models import Page
from nswp_survey.kobo.session import KoboSession


def iter_pages(
    session: KoboSession,
    url: str,
    params: Mapping[str, Any] | None = None,
) -> Iterator[Page[dict[str, Any]]]:
    """Yield each page of raw records, following `next` until it is null.

    `params` go with the first request only: `next` already carries them. A `next` that
    points to another host raises `KoboResponseError` (the token is not sent there), and so
    does a `next` that comes back to a page already read.

    Example:
        for page in iter_pages(session, "/api/v2/assets/", {"q": "asset_type:survey"}):
            print(page.count, len(page.results))
    """
    current: str | None = session.url(url)
    request_params: Mapping[str, Any] | None = params
    seen: set[str] = set()
    while current is not None:
        seen.add(_page_key(current, request_params))
        body = session.request_json("GET", current, params=request_params)
        page = parse_page(body, current)
        yield page
        if page.next_url is None:
            return
        following = urljoin(current, page.next_url)
        if not session.is_trusted(following):
            raise KoboResponseError(
                f"the Kobo server's next-page link points to another host "
                f"({redact_url(following)}), not {redact_url(session.base_url)}: stopping, as "
                "only kobo.url may receive the token; check kobo.url",
                url=following,
            )
        following = session.url(following)
        if _page_key(following, None) in seen:
            raise KoboResponseError(
                f"the Kobo server's next-page link loops back to a page already read "
                f"({redact_url(following)}): stopping rather than reading forever",
                url=following,
            )
        current, request_params = following, None


def parse_page(body: Any, url: str = "") -> Page[dict[str, Any]]:
    """Check a `{count, next, results}` envelope and return it as a `Page` of raw dicts."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        got = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:6]}"
        raise KoboResponseError(
            f"expected a paged list ({{count, next, results}}) from {redact_url(url)}, got {got}",
            url=url or None,
        )
    next_url = body.get("next")
    if next_url is not None and (not isinstance(next_url, str) or not next_url.strip()):
        next_url = None
    count = body.get("count")
    return Page(
        results=list(body["results"]),
        count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        next_url=next_url,
        url=url,
    )


def _page_key(url: str, params: Mapping[str, Any] | None) -> str:
    """The page's identity: path plus sorted query, whatever order the server wrote it in."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(str(k), str(v)) for k, v in (params or {}).items()]
    return f"{parts.hostname}:{parts.port}{parts.path}?{sorted(query)}"
