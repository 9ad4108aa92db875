"""iter_pages: follow `next`, whatever the page size; refuse links to other hosts or in loops."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from responses import matchers

from nswp_survey.errors import KoboResponseError
from nswp_survey.kobo import iter_pages
from nswp_survey.kobo.models import Page
from nswp_survey.kobo.pagination import COUNT_MARGIN, MAX_EMPTY_PAGES, MAX_RECORDS, PageBudget

BASE = "https://kobo.example.org"
DATA = f"{BASE}/api/v2/assets/aXNkhESxKtiPDPuBLygopT/data/"


def rows(start: int, stop: int) -> list[dict[str, int]]:
    return [{"_id": n} for n in range(start, stop)]


def test_follows_next_until_null(client, kobo, make_page):
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"limit": "2"})],
        json=make_page(rows(1, 3), count=5, next_url=f"{DATA}?limit=2&start=2"),
    )
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"limit": "2", "start": "2"})],
        json=make_page(rows(3, 5), count=5, next_url=f"{DATA}?limit=2&start=4"),
    )
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"limit": "2", "start": "4"})],
        json=make_page(rows(5, 6), count=5),
    )
    pages = list(iter_pages(client.session, DATA, {"limit": 2}))
    assert [[r["_id"] for r in p.results] for p in pages] == [[1, 2], [3, 4], [5]]
    assert [p.count for p in pages] == [5, 5, 5]
    assert pages[-1].next_url is None
    assert len(kobo.calls) == 3


def test_params_go_with_the_first_request_only(client, kobo, make_page):
    # `next` already carries every parameter, rewritten by the server.
    kobo.get(DATA, json=make_page(rows(1, 2), next_url=f"{DATA}?limit=1&q=x&start=1"))
    kobo.get(DATA, json=make_page(rows(2, 3)))
    list(iter_pages(client.session, DATA, {"limit": 1, "q": "x"}))
    second = parse_qs(urlsplit(kobo.calls[1].request.url).query)
    assert second == {"limit": ["1"], "q": ["x"], "start": ["1"]}


def test_a_server_ignoring_limit_serves_one_30000_record_page(client, kobo, make_page):
    # Before KPI 2.026.03 the default and maximum page was 30,000, whatever `limit` said.
    kobo.get(DATA, json=make_page(rows(1, 30_001)))
    pages = list(iter_pages(client.session, DATA, {"limit": 100}))
    assert len(pages) == 1
    assert len(pages[0].results) == 30_000
    assert pages[0].results[-1] == {"_id": 30_000}


def test_a_server_capping_at_1000_is_followed_page_by_page(client, kobo, make_page):
    # KPI >= 2.026.03 silently caps `limit` at 1000 and says so only through `next`.
    total = 2_500
    for start in (0, 1000, 2000):
        stop = min(start + 1000, total)
        following = f"{DATA}?limit=1000&start={stop}" if stop < total else None
        expected = {"limit": "5000"} if start == 0 else {"limit": "1000", "start": str(start)}
        kobo.get(
            DATA,
            match=[matchers.query_param_matcher(expected)],
            json=make_page(rows(start, stop), count=total, next_url=following),
        )
    seen = [r["_id"] for p in iter_pages(client.session, DATA, {"limit": 5000}) for r in p.results]
    assert seen == list(range(total))


def test_relative_next_is_resolved_against_the_page(client, kobo, make_page):
    kobo.get(DATA, json=make_page(rows(1, 2), next_url="?start=1"))
    kobo.get(DATA, json=make_page(rows(2, 3)))
    assert len(list(iter_pages(client.session, DATA))) == 2
    assert kobo.calls[1].request.url == f"{DATA}?start=1"


def test_next_to_another_host_raises_and_sends_nothing_there(client, kobo, make_page):
    kobo.get(DATA, json=make_page(rows(1, 2), next_url="https://evil.example.net/steal?start=1"))
    pages = iter_pages(client.session, DATA)
    next(pages)
    with pytest.raises(KoboResponseError) as caught:
        next(pages)
    assert str(caught.value) == (
        "the Kobo server's next-page link points to another host "
        "(https://evil.example.net/steal?start=1), not https://kobo.example.org: stopping, as "
        "only kobo.url may receive the token; check kobo.url"
    )
    assert [c.request.url for c in kobo.calls] == [DATA]


def test_next_over_plain_http_to_our_host_is_upgraded_to_https(client, kobo, make_page):
    # A KPI behind a TLS proxy without X-Forwarded-Proto writes http:// links.
    kobo.get(
        DATA, json=make_page(rows(1, 2), next_url=DATA.replace("https:", "http:") + "?start=1")
    )
    kobo.get(DATA, json=make_page(rows(2, 3)))
    list(iter_pages(client.session, DATA))
    assert kobo.calls[1].request.url == f"{DATA}?start=1"


def test_next_that_loops_back_raises(client, kobo, make_page):
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"start": "0", "limit": "1"})],
        json=make_page(rows(1, 2), next_url=f"{DATA}?start=1&limit=1"),
    )
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"start": "1", "limit": "1"})],
        json=make_page(rows(2, 3), next_url=f"{DATA}?limit=1&start=0"),
    )
    with pytest.raises(KoboResponseError) as caught:
        list(iter_pages(client.session, DATA, {"start": 0, "limit": 1}))
    assert str(caught.value) == (
        "the Kobo server's next-page link loops back to a page already read "
        f"({DATA}?limit=1&start=0): stopping rather than reading forever"
    )
    assert len(kobo.calls) == 2


def test_next_pointing_at_itself_raises(client, kobo, make_page):
    kobo.get(DATA, json=make_page(rows(1, 2), next_url=DATA))
    with pytest.raises(KoboResponseError, match="loops back"):
        list(iter_pages(client.session, DATA))


@pytest.mark.parametrize(
    "body",
    [[{"_id": 1}], {"detail": "ok"}, {"results": "nope"}],
    ids=["list", "no-results", "results-not-a-list"],
)
def test_a_body_that_is_not_a_page_raises(client, kobo, body):
    kobo.get(DATA, json=body)
    with pytest.raises(
        KoboResponseError, match=r"expected a paged list \(\{count, next, results\}\)"
    ):
        list(iter_pages(client.session, DATA))


def test_empty_last_page_ends_iteration(client, kobo, make_page):
    kobo.get(DATA, json=make_page([], count=1151))
    pages = list(iter_pages(client.session, DATA))
    assert len(pages) == 1
    assert pages[0].results == []
    assert pages[0].count == 1151


def test_empty_pages_that_keep_linking_a_next_page_raise(client, kobo, make_page):
    for start in range(10):
        kobo.get(
            DATA,
            match=[matchers.query_param_matcher({"start": str(start)})],
            json=make_page([], count=5, next_url=f"{DATA}?start={start + 1}"),
        )
    with pytest.raises(KoboResponseError, match="4 empty pages in a row"):
        list(iter_pages(client.session, DATA, {"start": 0}))
    assert len(kobo.calls) == MAX_EMPTY_PAGES + 1


def test_a_list_that_grows_within_the_margin_is_read_whole(client, kobo, make_page):
    # New submissions arrive while a list is read: its count may grow a little.
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"start": "0"})],
        json=make_page(rows(1, 3), count=3, next_url=f"{DATA}?start=2"),
    )
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"start": "2"})],
        json=make_page(rows(3, 5), count=3 + COUNT_MARGIN, next_url=f"{DATA}?start=4"),
    )
    kobo.get(
        DATA,
        match=[matchers.query_param_matcher({"start": "4"})],
        json=make_page(rows(5, 6), count=3 + COUNT_MARGIN),
    )
    pages = list(iter_pages(client.session, DATA, {"start": 0}))
    assert [r["_id"] for p in pages for r in p.results] == [1, 2, 3, 4, 5]


def test_a_count_beyond_the_margin_raises(client, kobo, make_page):
    kobo.get(DATA, json=make_page(rows(1, 3), count=3, next_url=f"{DATA}?start=2"))
    kobo.get(DATA, json=make_page(rows(3, 5), count=4 + COUNT_MARGIN))
    with pytest.raises(KoboResponseError, match=r"keeps growing \(3 records at first, 1004 now\)"):
        list(iter_pages(client.session, DATA))


def test_a_count_of_10_to_the_30_does_not_lift_the_bound() -> None:
    budget = PageBudget(DATA)
    budget.take(Page(results=rows(1, 3), count=10**30, next_url=f"{DATA}?start=2"))
    assert budget.limit == MAX_RECORDS
