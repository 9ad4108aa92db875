"""Syncs through server faults: each ends equal to the server, or with a clear error and
only whole committed pages kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from nswp_survey.errors import KoboResponseError, SyncError
from nswp_survey.sandbox import Faults, SandboxServer

from .conftest import (
    Exchange,
    Proxy,
    Survey,
    assert_equal_to_server,
    assert_whole_pages,
    client_for,
    stored,
    sync,
)

# Before the first data page a sync reads the asset, its versions and the deployed version.
BEFORE_DATA = ["ok"] * 3
FAULT_TEXT = {
    "500": "a 500 (KPI's JSON error)",
    "502": "a 502 nginx page",
    "503": "a 503 nginx page",
    "504": "a 504 gateway timeout",
    "429": "a 429 with Retry-After: 1",
    "drop": "the connection closed before any byte",
    "drop_midbody": "the connection cut in the middle of the body",
    "truncate": "a 200 with half of the JSON body",
}


def reliability(scenario: str, injected: str, expected: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(
        suite="faults", scenario=scenario, injected=injected, expected=expected
    )


@reliability(
    "transient fault: {fault}",
    "sandbox: {what}, on data pages 1 and 2 (once each)",
    "retried; the store equals the server",
)
@pytest.mark.parametrize(("fault", "what"), list(FAULT_TEXT.items()), ids=list(FAULT_TEXT))
def test_a_transient_fault_is_retried_and_the_sync_completes(
    sandbox: SandboxServer, survey: Survey, engine: Engine, fault: str, what: str
) -> None:
    survey.add(25)
    sandbox.set_faults(Faults(script=[*BEFORE_DATA, fault, "ok", fault]))
    waits: list[float] = []
    with client_for(sandbox.url, sandbox.token, page_size=10, sleep=waits.append) as client:
        result = sync(client, engine, survey)
    assert sandbox.stats.to_json()["faults"] == {fault: 2}
    assert (result.new, result.pages) == (25, 3)
    assert_equal_to_server(engine, survey)
    if fault == "429":
        assert waits == [1.0, 1.0]  # the server's Retry-After, not our backoff


@reliability(
    "persistent fault: {fault}",
    "sandbox script: page 1 fine, then the fault on every request",
    "SyncError that says what was kept; only whole pages stored; a rerun completes",
)
@pytest.mark.parametrize("fault", ["500", "503", "429", "drop_midbody", "truncate"])
def test_a_persistent_fault_stops_with_whole_pages_kept(
    sandbox: SandboxServer, survey: Survey, engine: Engine, fault: str
) -> None:
    survey.add(25)
    sandbox.set_faults(Faults(script=[*BEFORE_DATA, "ok", *[fault] * 10]))
    with (
        client_for(sandbox.url, sandbox.token, page_size=10, max_retries=3) as client,
        pytest.raises(SyncError) as info,
    ):
        sync(client, engine, survey)
    message = str(info.value)
    assert "1 page(s), 10 new submission(s), were committed and are kept" in message
    assert "try again" in message
    sandbox.set_faults(Faults())
    assert len(assert_whole_pages(engine, survey, 10)) == 10
    with client_for(sandbox.url, sandbox.token, page_size=10) as client:
        assert sync(client, engine, survey, overlap=0).new == 15
    assert_equal_to_server(engine, survey)


@reliability(
    "HTML login page instead of JSON",
    "sandbox 'html': a 200 text/html login page for data page 2",
    "SyncError naming a login page and kobo.url; page 1 kept, nothing of page 2",
)
def test_an_html_login_page_is_a_clear_error(
    sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(25)
    sandbox.set_faults(Faults(script=[*BEFORE_DATA, "ok", "html"]))
    with (
        client_for(sandbox.url, sandbox.token, page_size=10) as client,
        pytest.raises(SyncError, match=r"text/html \(a login page\?\): check kobo\.url"),
    ):
        sync(client, engine, survey)
    sandbox.set_faults(Faults())
    assert len(assert_whole_pages(engine, survey, 10)) == 10


def first_data_page_once(survey: Survey, change: Any) -> Any:
    """A rewrite that applies `change` to the first data-list answer only."""
    done: list[bool] = []

    def rewrite(ex: Exchange) -> None:
        if ex.is_data_list(survey.asset_uid) and not done:
            done.append(True)
            change(ex)

    return rewrite


@reliability(
    "429 without Retry-After",
    "proxy: the first data page answered 429 with no Retry-After header",
    "retried after our own backoff (1-1.25 s); the store equals the server",
)
def test_a_429_without_retry_after_backs_off(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(12)

    def throttle(ex: Exchange) -> None:
        ex.status, ex.headers = 429, {"Content-Type": "application/json"}
        ex.set_json({"detail": "Request was throttled."})

    proxy.rewrite = first_data_page_once(survey, throttle)
    waits: list[float] = []
    with client_for(proxy.url, sandbox.token, page_size=10, sleep=waits.append) as client:
        sync(client, engine, survey)
    assert len(waits) == 1 and 1.0 <= waits[0] <= 1.25
    assert_equal_to_server(engine, survey)


@reliability(
    "read timeout",
    "proxy: holds the first data page past kobo.timeout (0.5 s)",
    "the request times out and is retried; the store equals the server",
)
def test_a_read_timeout_is_retried(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(12)
    proxy.rewrite = first_data_page_once(survey, lambda ex: proxy.release.wait(10))
    with client_for(proxy.url, sandbox.token, page_size=10, timeout=0.5) as client:
        sync(client, engine, survey)
    data_requests = [p for p in proxy.seen if "/data/?" in p]
    assert len(data_requests) == 3  # held, retried, page 2
    assert_equal_to_server(engine, survey)


@reliability(
    "non-JSON body",
    "proxy: data page 1 is a 200 application/json body `not json{`",
    "retried as a bad body; the store equals the server",
)
def test_a_non_json_body_is_retried(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(12)

    def garble(ex: Exchange) -> None:
        ex.body = b"not json{"

    proxy.rewrite = first_data_page_once(survey, garble)
    with client_for(proxy.url, sandbox.token, page_size=10) as client:
        sync(client, engine, survey)
    assert_equal_to_server(engine, survey)


@reliability(
    "`next` link to another host",
    "proxy: every `next` rewritten to another listener on 127.0.0.1",
    "the token is never sent there; sync (keyset) completes; "
    "a `next`-following list stops with a clear error",
)
def test_a_next_link_to_another_host_is_never_followed(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(25)
    with Proxy(None) as elsewhere:

        def redirect_next(ex: Exchange) -> None:
            if ex.method == "GET" and ex.status == 200 and b'"next"' in ex.body:
                body = ex.json()
                if body.get("next"):
                    body["next"] = body["next"].replace(proxy.url, elsewhere.url)
                    ex.set_json(body)

        proxy.rewrite = redirect_next
        with client_for(proxy.url, sandbox.token, page_size=10) as client:
            sync(client, engine, survey, reconcile=True)
            with pytest.raises(KoboResponseError, match="points to another host"):
                list(client.submissions.iter_submissions(survey.asset_uid, page_size=10))
        assert elsewhere.seen == []
    assert_equal_to_server(engine, survey)


@reliability(
    "pages that repeat records",
    "proxy: each data page repeats the previous page's records and one of its own",
    "upserts by _id: no doubled record; the store equals the server",
)
def test_pages_that_repeat_records_double_nothing(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(25)
    previous: list[Any] = []

    def repeat(ex: Exchange) -> None:
        if ex.is_data_list(survey.asset_uid) and ex.status == 200:
            body = ex.json()
            results = body["results"]
            body["results"] = [*previous, *results, *results[:1]]
            previous[:] = results
            ex.set_json(body)

    proxy.rewrite = repeat
    with client_for(proxy.url, sandbox.token, page_size=10) as client:
        result = sync(client, engine, survey)
    assert result.new == 25
    assert_equal_to_server(engine, survey)


@reliability(
    "pages that skip a record",
    "proxy: the 13th record left out of the page it belongs to (once)",
    "the reconciliation sweep of the same run finds and fetches it; the store equals the server",
)
def test_a_skipped_record_is_found_by_the_reconciliation_sweep(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(25)
    skipped = survey.server_ids()[12]
    done: list[bool] = []

    def skip(ex: Exchange) -> None:
        if ex.is_data_list(survey.asset_uid) and ex.status == 200 and not done:
            body = ex.json()
            kept = [r for r in body["results"] if r["_id"] != skipped]
            if len(kept) < len(body["results"]):
                done.append(True)
                body["results"] = kept
                ex.set_json(body)

    proxy.rewrite = skip
    with client_for(proxy.url, sandbox.token, page_size=10) as client:
        result = sync(client, engine, survey, reconcile=True)
    assert done
    assert result.new == 25
    assert_equal_to_server(engine, survey)


@reliability(
    "submissions added while paging",
    "5 new submissions arrive on the server after data page 1 was served",
    "the same run picks them up; the store equals the server",
)
def test_submissions_added_while_paging_are_picked_up(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(25)
    proxy.rewrite = first_data_page_once(survey, lambda ex: survey.add(5))
    with client_for(proxy.url, sandbox.token, page_size=10) as client:
        result = sync(client, engine, survey)
    assert result.new == 30
    assert_equal_to_server(engine, survey)


@reliability(
    "submissions deleted while paging",
    "after data page 1 is served, one record already read and one not yet read are deleted",
    "the unread one is never stored, the read one is tombstoned; live rows equal the server",
)
def test_submissions_deleted_while_paging_are_tombstoned(
    proxy: Proxy, sandbox: SandboxServer, survey: Survey, engine: Engine
) -> None:
    survey.add(25)
    ids = survey.server_ids()
    read, unread = ids[3], ids[22]

    def delete_two(ex: Exchange) -> None:
        survey.delete(read)
        survey.delete(unread)

    proxy.rewrite = first_data_page_once(survey, delete_two)
    with client_for(proxy.url, sandbox.token, page_size=10) as client:
        result = sync(client, engine, survey, reconcile=True)
    assert (result.new, result.deleted) == (24, 1)
    assert_equal_to_server(engine, survey)
    everything = stored(engine, survey.asset_uid, live=False)
    assert read in everything and unread not in everything
