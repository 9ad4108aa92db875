"""A Kobo server that lies: `nswp-survey sync` ends, in a bounded number of requests, with
one line, the run closed as failed and the pages already committed kept.

The hostile server is the sandbox behind the rewriting proxy. Each hostile behaviour stops
after HOSTILE_REQUESTS data requests, so a client that would loop forever ends instead
(and its test fails on the exit code) rather than hanging the suite.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from click.testing import Result
from sqlalchemy import Engine

from nswp_survey.store import make_engine

from .conftest import (
    Cli,
    Exchange,
    Proxy,
    Survey,
    data_requests,
    newest_run,
    one_error_line,
    stored,
)

HOSTILE_REQUESTS = 60
PAGE = 10  # the page size the configuration asks for (Cli)
FABRICATED_PAGE = 100  # a lying server's pages ignore the limit too


def reliability(suite: str, scenario: str, injected: str, expected: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(
        suite=suite, scenario=scenario, injected=injected, expected=expected
    )


@pytest.fixture
def run(tmp_path: Path, proxy: Proxy, survey: Survey) -> Cli:
    return Cli(tmp_path, proxy.url, survey.server.token, survey.asset_uid)


def stored_ids(run: Cli) -> list[int]:
    engine: Engine = make_engine(f"sqlite:///{run.database}")
    try:
        return sorted(stored(engine, run.asset_uid))  # (asserts that no record is doubled)
    finally:
        engine.dispose()


def failed_in_one_line(run: Cli, result: Result, *said: str) -> str:
    """Exit 5, one line saying each of `said`, and the run closed as failed (not "running")."""
    assert result.exit_code == 5, result.output
    line = one_error_line(result)
    assert all(text in line for text in said), line
    status, shown = newest_run(run)
    assert status == "failed" and "running" not in shown
    return line


def hostile_data(proxy: Proxy, asset_uid: str, change: Callable[[Exchange, int], None]) -> None:
    """Let `change(exchange, n)` rewrite the n-th data-list answer (1-based), up to a cap."""

    def rewrite(ex: Exchange) -> None:
        if ex.is_data_list(asset_uid):
            count = len(data_requests(proxy, asset_uid))
            if count <= HOSTILE_REQUESTS:
                change(ex, count)
            else:  # the cap: a client that never stopped on its own gets an empty end
                ex.set_json({"count": 0, "next": None, "previous": None, "results": []})

    proxy.rewrite = rewrite


# -- 1. request loops that a server could keep going forever ------------------------------


def without_query(path: str) -> str:
    """The same request with its `query` (the `_id` cursor) left out: page 1, always."""
    parts = urlsplit(path)
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k != "query"]
    return f"{parts.path}?{urlencode(kept)}"


@reliability(
    "faults",
    "a server that ignores `query`",
    "proxy: every data request is forwarded without its `_id` filter (always page 1)",
    "exit 5 with one line after 2 data requests; page 1 kept once; the run recorded failed",
)
def test_a_server_that_ignores_the_query_stops_the_sync_at_once(
    run: Cli, proxy: Proxy, survey: Survey
) -> None:
    survey.add(25)

    def reroute(path: str) -> str:
        hostile = len(data_requests(proxy, survey.asset_uid)) <= HOSTILE_REQUESTS
        return without_query(path) if hostile and "/data/?" in path else path

    proxy.reroute = reroute
    last = survey.server_ids()[PAGE - 1]
    failed_in_one_line(run, run("sync"), "ignores the query", f"after _id {last}")
    assert len(data_requests(proxy, survey.asset_uid)) == 2
    assert stored_ids(run) == survey.server_ids()[:PAGE]


NEXT_LINKS: dict[str, Callable[[str, int], str]] = {
    "the same link": lambda path, n: path,
    "a new link to the same page": lambda path, n: f"{urlsplit(path).path}?cursor={n}",
}


@reliability(
    "faults",
    "a `next` link that repeats: {case}",
    "proxy: the form's version list always links a next page that serves the same versions",
    "exit 5 with one line after at most 2 requests for the list; the run recorded failed",
)
@pytest.mark.parametrize("case", list(NEXT_LINKS))
def test_a_next_link_that_repeats_stops_the_sync(
    run: Cli, proxy: Proxy, survey: Survey, case: str
) -> None:
    survey.add(5)
    versions = f"/api/v2/assets/{survey.asset_uid}/versions/"
    link = NEXT_LINKS[case]

    def repeat(ex: Exchange) -> None:
        listed = [s for s in proxy.seen if s.startswith(f"GET {versions}")]
        if urlsplit(ex.path).path == versions:  # the list, not one version
            body = ex.json()
            if len(listed) <= HOSTILE_REQUESTS:
                body["next"] = f"{proxy.url}{link(ex.path, len(listed))}"
            ex.set_json(body)

    proxy.rewrite = repeat
    failed_in_one_line(run, run("sync"), "stopping rather than reading forever")
    assert len([s for s in proxy.seen if s.startswith(f"GET {versions}")]) <= 2


def fabricated(template: dict[str, Any], first_id: int, count: int) -> list[dict[str, Any]]:
    """`count` well-formed records with the ids `first_id`, `first_id + 1`, ..."""
    records = []
    for kobo_id in range(first_id, first_id + count):
        record = copy.deepcopy(template)
        uuid = f"00000000-0000-4000-9000-{kobo_id:012d}"
        record.update({"_id": kobo_id, "_uuid": uuid, "meta/instanceID": f"uuid:{uuid}"})
        record["meta/rootUuid"] = f"uuid:{uuid}"
        records.append(record)
    return records


def after_id(ex: Exchange) -> int:
    query = json.loads(ex.query().get("query", "{}"))
    return int(query.get("_id", {}).get("$gt", 0))


COUNTS: dict[str, Callable[[int], int]] = {
    "a count that stays at 25": lambda n: 25,
    "a count that keeps growing": lambda n: 25 + 300 * n,
}


@reliability(
    "faults",
    "a count that lies: {case}",
    "proxy: pages of 100 new records, each linking a next page, under {case}",
    "exit 5 with one line within 12 data requests; no record doubled; the run recorded failed",
)
@pytest.mark.parametrize("case", list(COUNTS))
def test_a_count_that_lies_stops_the_sync_within_bounded_requests(
    run: Cli, proxy: Proxy, survey: Survey, case: str
) -> None:
    survey.add(25)
    template = next(iter(survey.server_records().values()))

    def lie(ex: Exchange, n: int) -> None:
        results = fabricated(template, after_id(ex) + 1, FABRICATED_PAGE)
        ex.set_json({"count": COUNTS[case](n), "next": f"{proxy.url}/more/", "results": results})

    hostile_data(proxy, survey.asset_uid, lie)
    failed_in_one_line(run, run("sync"), "stopping rather than reading forever")
    requests = len(data_requests(proxy, survey.asset_uid))
    assert requests <= 12
    ids = stored_ids(run)
    assert ids == list(range(1, len(ids) + 1))  # the committed pages, each record once
    assert len(ids) >= FABRICATED_PAGE * (requests - 2)  # (the prefetched page is not kept)


# -- 2. records a store or a file system cannot take ---------------------------------------

DEEP = 100_000


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def with_attachment(record: dict[str, Any], **fields: Any) -> None:
    record["_attachments"] = [{"uid": "attX", "filename": "a/IMG_1.jpg", **fields}]


BAD_RECORDS: dict[str, tuple[Callable[[dict[str, Any]], Any], str, str]] = {
    # case: (how record 4 of page 2 is broken (in place, or what replaces it), how the
    # error names it, what it says)
    "an _id of 10**30": (lambda r: r.update(_id=10**30), "record 4", "outside 1.."),
    "a negative _id": (lambda r: r.update(_id=-5), "record 4", "bad _id -5"),
    "an _id of 1.5": (lambda r: r.update(_id=1.5), "record 4", "not an integer"),
    "an _id in Arabic-Indic digits": (lambda r: r.update(_id="١٢"), "record 4", "not an integer"),
    "a timestamp far out of range": (
        lambda r: r.update(_submission_time=1e30),
        "_id",
        "1e+30 is not a date",
    ),
    "a date past year 9999 in UTC": (
        lambda r: r.update(_submission_time="9999-12-31T23:00:00-14:00"),
        "_id",
        "is not a date",
    ),
    "a record nested 100 levels deep": (
        lambda r: r.update(extra=nested(100)),
        "_id",
        "nested more than 64 levels",
    ),
    "_attachments that is not a list": (
        lambda r: r.update(_attachments=5),
        "_id",
        "_attachments is not a list",
    ),
    "an attachment name with a NUL": (
        lambda r: with_attachment(r, filename="a/IMG\x00.jpg"),
        "_id",
        "contains a NUL",
    ),
    "an attachment name of 100,000 characters": (
        lambda r: with_attachment(r, filename="x" * 100_000),
        "_id",
        "100000 characters long",
    ),
    "a record that is a list": (lambda r: [1, 2], "record 4", "as a JSON object, got list"),
}


@reliability(
    "input",
    "a record the store cannot take: {case}",
    "proxy: record 4 of data page 2 is broken: {case}",
    "exit 5 with one line naming the record and the problem; page 1 kept; status shows failed",
)
@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_a_bad_record_is_one_line_and_a_failed_run(
    run: Cli, proxy: Proxy, survey: Survey, case: str
) -> None:
    change, where, problem = BAD_RECORDS[case]
    survey.add(25)

    def break_record(ex: Exchange, n: int) -> None:
        if n == 2:
            body = ex.json()
            replaced = change(body["results"][3])
            if replaced is not None:
                body["results"][3] = replaced
            ex.set_json(body)

    hostile_data(proxy, survey.asset_uid, break_record)
    fourth = survey.server_ids()[PAGE + 3]
    named = f"submission _id {fourth}" if where == "_id" else "record 4 on the page"
    failed_in_one_line(run, run("sync"), named, problem, "were committed and are kept")
    assert stored_ids(run) == survey.server_ids()[:PAGE]
    status, shown = newest_run(run)
    assert status == "failed" and "running" not in shown


@reliability(
    "input",
    "JSON nested {depth} levels deep",
    "proxy: data page 2 is a list nested {depth} levels deep (Python's decoder recurses)",
    "exit 5 with one line (no RecursionError); page 1 kept; status shows failed",
)
@pytest.mark.parametrize("depth", [DEEP])
def test_json_nested_too_deep_to_decode_is_one_line(
    run: Cli, proxy: Proxy, survey: Survey, depth: int
) -> None:
    survey.add(25)

    def deepen(ex: Exchange, n: int) -> None:
        if n == 2:
            ex.body = b'{"count": 15, "next": null, "results": [%s]}' % (
                b"[" * depth + b"]" * depth
            )

    hostile_data(proxy, survey.asset_uid, deepen)
    failed_in_one_line(run, run("sync"), "nested too deeply to read")
    assert stored_ids(run) == survey.server_ids()[:PAGE]


def test_the_hostile_proxy_serves_the_sandbox_unchanged_by_default(
    run: Cli, survey: Survey
) -> None:
    """The baseline the tests above break: the same sync through the proxy succeeds."""
    survey.add(25)
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert stored_ids(run) == survey.server_ids()
