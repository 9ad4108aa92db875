"""Follow Kobo's paged lists (`{count, next, previous, results}`) from page to page.

The only thing trusted is the `next` link in each body: servers before KPI 2.026.03 serve
30,000 records a page, newer ones cap at 1000, and some ignore `limit` altogether, so the
`limit` asked for is never assumed to have been honoured.

Nothing else a server says can make a read go on forever: a `next` that comes back to a
page already read, a page that repeats the one before, more records than the server's
`count` (plus a margin for submissions arriving meanwhile), a count that keeps growing, or
empty pages that keep linking a next one each stop the read with `KoboResponseError`
(`PageBudget`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from nswp_survey.errors import KoboResponseError, redact_url
from nswp_survey.kobo.models import Page
from nswp_survey.kobo.session import KoboSession

# A list may grow while it is read (new submissions): by this many records, or this share
# of its count, whichever is more, before the count is taken for a lie.
COUNT_MARGIN = 1000
COUNT_MARGIN_SHARE = 0.1
# The most records one list may hold whatever the server says (or when it sends no count):
# the largest Kobo projects hold a few million submissions.
MAX_RECORDS = 10_000_000
MAX_EMPTY_PAGES = 3  # pages in a row without a record that still link a next page


class PageBudget:
    """How much of one paged list a server may send, judged by the `count` it gave first.

    `remaining`: each page's count covers only what is left after the records read so far
    (a keyset read, which asks afresh for `_id` > the last one seen), not the whole list.

    Example:
        budget = PageBudget(url)
        for page in pages:
            budget.take(page)  # raises KoboResponseError once the server is caught lying
    """

    def __init__(self, url: str, *, remaining: bool = False) -> None:
        self.url = url
        self.remaining = remaining
        self.read = 0
        self.first: int | None = None
        self.limit = MAX_RECORDS
        self._empty = 0

    def take(self, page: Page[Any]) -> None:
        """Count `page` in; raise KoboResponseError if the list overruns what it claimed."""
        shown = redact_url(self.url)
        if page.count is not None:
            claimed = page.count + (self.read if self.remaining else 0)
            if self.first is None:
                self.first = claimed
                margin = max(COUNT_MARGIN, int(claimed * COUNT_MARGIN_SHARE))
                self.limit = min(claimed + margin, MAX_RECORDS)
            elif claimed > self.limit:
                raise KoboResponseError(
                    f"the Kobo server's count for {shown} keeps growing ({self.first} records "
                    f"at first, {claimed} now): stopping rather than reading forever",
                    url=self.url,
                )
        self.read += len(page.results)
        if self.read > self.limit:
            said = f"said it had {self.first}" if self.first is not None else "sent no count"
            raise KoboResponseError(
                f"the Kobo server sent more than {self.limit} records for {shown} but {said}: "
                "stopping rather than reading forever",
                url=self.url,
            )
        self._empty = 0 if page.results else self._empty + 1
        if self._empty > MAX_EMPTY_PAGES and page.next_url is not None:
            raise KoboResponseError(
                f"the Kobo server sent {self._empty} empty pages in a row for {shown}, each "
                "linking a next one: stopping rather than reading forever",
                url=self.url,
            )


def iter_pages(
    session: KoboSession,
    url: str,
    params: Mapping[str, Any] | None = None,
) -> Iterator[Page[dict[str, Any]]]:
    """Yield each page of raw records, following `next` until it is null.

    `params` go with the first request only: `next` already carries them. A `next` that
    points to another host raises `KoboResponseError` (the token is not sent there), and so
    does a `next` that comes back to a page already read or a list that overruns its count
    (see the module docstring).

    Example:
        for page in iter_pages(session, "/api/v2/assets/", {"q": "asset_type:survey"}):
            print(page.count, len(page.results))
    """
    current: str | None = session.url(url)
    request_params: Mapping[str, Any] | None = params
    seen: set[str] = set()
    budget = PageBudget(current)
    previous: list[Any] | None = None
    while current is not None:
        seen.add(_page_key(current, request_params))
        body = session.request_json("GET", current, params=request_params)
        page = parse_page(body, current)
        budget.take(page)
        if page.results and page.results == previous:
            raise KoboResponseError(
                f"the Kobo server's next-page link led to the same records again "
                f"({redact_url(current)}): stopping rather than reading forever",
                url=current,
            )
        previous = page.results
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
