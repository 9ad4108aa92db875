"""Broken XLSForms, malformed submissions and malformed records: a clear message each,
and nothing already stored is lost."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from nswp_survey.deploy import deploy_form
from nswp_survey.errors import FormValidationError, KoboError, NswpError, SyncError
from nswp_survey.sandbox import SandboxServer
from nswp_survey.store import record_form_version, transaction, upsert_form, utcnow
from nswp_survey.store.models import Form, FormVersion

from .conftest import (
    REPO_ROOT,
    Exchange,
    Proxy,
    Survey,
    assert_equal_to_server,
    assert_whole_pages,
    client_for,
    stored,
    sync,
)

BROKEN = REPO_ROOT / "tests" / "forms" / "broken"
BROKEN_FORMS = sorted(p.name for p in BROKEN.glob("*.xlsx"))
NEEDS_ODK_VALIDATE = {"bad_constraint_syntax.xlsx"}  # only ODK Validate (Java) finds it


def reliability(scenario: str, injected: str, expected: str) -> pytest.MarkDecorator:
    return pytest.mark.reliability(
        suite="input", scenario=scenario, injected=injected, expected=expected
    )


def form_tables(engine: Engine) -> tuple[list[Any], list[Any]]:
    with transaction(engine) as conn:
        forms = conn.execute(select(Form.__table__).order_by("asset_uid")).all()
        versions = conn.execute(select(FormVersion.__table__).order_by("id")).all()
    return forms, versions


@reliability(
    "broken XLSForm: {name}",
    "`deploy` of tests/forms/broken/{name}",
    "FormValidationError listing the problems; no request reaches the server; store unchanged",
)
@pytest.mark.parametrize("name", BROKEN_FORMS)
def test_a_broken_xlsform_is_refused_before_anything_is_sent(
    sandbox: SandboxServer, engine: Engine, name: str
) -> None:
    with transaction(engine) as conn:
        upsert_form(conn, "aExisting", name="existing", server_url=sandbox.url)
        record_form_version(
            conn, "aExisting", "vExisting", version_number=1, content_hash="h",
            content={"survey": []}, date_deployed=utcnow(),
        )  # fmt: skip
    before = form_tables(engine)
    odk = name in NEEDS_ODK_VALIDATE
    if odk and shutil.which("java") is None:
        pytest.skip("ODK Validate needs Java")
    with client_for(sandbox.url, sandbox.token) as client, pytest.raises(NswpError) as info:
        deploy_form(client, engine, BROKEN / name, odk_validate=odk)
    assert isinstance(info.value, FormValidationError), info.value
    assert "was not sent to the server" in str(info.value)
    assert info.value.problems
    assert sandbox.stats.to_json()["total"] == 0
    assert form_tables(engine) == before


@reliability(
    "not a workbook at all",
    "`deploy` of a text file named form.xlsx, and of an empty file",
    "a clear NswpError naming the file; no request reaches the server",
)
@pytest.mark.parametrize("content", [b"this is not a spreadsheet\n", b""], ids=["text", "empty"])
def test_a_file_that_is_not_a_workbook_is_a_clear_error(
    sandbox: SandboxServer, engine: Engine, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "form.xlsx"
    path.write_bytes(content)
    with client_for(sandbox.url, sandbox.token) as client, pytest.raises(NswpError) as info:
        deploy_form(client, engine, path, odk_validate=False)
    assert "form.xlsx" in str(info.value)
    assert sandbox.stats.to_json()["total"] == 0


Mutate = Callable[[bytes], bytes]
VERSION = re.compile(rb"<__version__>[^<]*</__version__>")
HUGE = "Ω" * 300_000  # 600 KB of UTF-8 in one answer

SUBMISSIONS: dict[str, tuple[str, Mutate, str]] = {
    # case: (what is injected, how, what must hold: "stored KEY=VALUE" or "rejected REGEX")
    "unknown field": (
        "an element the form does not have",
        lambda x: x.replace(b"<consent>", b"<smuggled>extra</smuggled><consent>"),
        "stored smuggled=extra",
    ),
    "wrong type": (
        "text in an integer question",
        lambda x: re.sub(rb"<leaders_mentored>\d+<", b"<leaders_mentored>many<", x),
        "stored org/leaders_mentored=many",
    ),
    "huge text": (
        "600 KB of text in one answer",
        lambda x: re.sub(rb"<member_code>[^<]*<", f"<member_code>{HUGE}<".encode(), x),
        f"stored member_code={HUGE}",
    ),
    "unknown form version": (
        "a `__version__` the store has never seen",
        lambda x: VERSION.sub(b"<__version__>vNeverDeployed000000000</__version__>", x),
        "stored __version__=vNeverDeployed000000000",
    ),
    "invalid UTF-8": (
        "bytes 0xff 0xfe inside an answer",
        lambda x: x.replace(b"<member_code>", b"<member_code>\xff\xfe"),
        "rejected likely corrupted",
    ),
    "malformed XML": (
        "the instance cut in the middle of an element",
        lambda x: x[: len(x) // 2],
        "rejected 400",
    ),
}


def expectation(outcome: str) -> str:
    if outcome.startswith("rejected"):
        return f"refused with the server's reason ({outcome.removeprefix('rejected ')})"
    key = outcome.removeprefix("stored ").partition("=")[0]
    return f"stored whole: raw JSON equals the server's, `{key}` as sent"


@reliability(
    "malformed submission: {case}",
    "{what}, posted to /submission after 10 good ones were synced",
    "{expected}; nothing stored before is lost",
)
@pytest.mark.parametrize(
    ("case", "what", "expected"),
    [(case, what, expectation(outcome)) for case, (what, _, outcome) in SUBMISSIONS.items()],
    ids=list(SUBMISSIONS),
)
def test_a_malformed_submission_is_stored_whole_or_refused_clearly(
    survey: Survey, engine: Engine, case: str, what: str, expected: str
) -> None:
    _what, mutate, outcome = SUBMISSIONS[case]
    server = survey.server
    survey.add(10)
    with client_for(server.url, server.token) as client:
        sync(client, engine, survey)
        before = stored(engine, survey.asset_uid)
        xml = mutate(survey.instance(10_000))
        if outcome.startswith("rejected"):
            with pytest.raises(KoboError) as info:
                client.openrosa.submit(xml)
            assert re.search(outcome.removeprefix("rejected "), str(info.value)), info.value
        else:
            assert client.openrosa.submit(xml).created
        sync(client, engine, survey, reconcile=True)
    after = stored(engine, survey.asset_uid)
    assert {k: after[k] for k in before} == before
    assert_equal_to_server(engine, survey)
    if outcome.startswith("stored"):
        key, _, value = outcome.removeprefix("stored ").partition("=")
        (new,) = set(after) - set(before)
        assert after[new][key] == value


RECORDS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "record without _id": (lambda r: r.pop("_id"), "no usable _id"),
    "_id that is not a number": (lambda r: r.update(_id="abc"), "bad _id"),
    "unreadable _submission_time": (lambda r: r.update(_submission_time="yesterday"), "yesterday"),
    "record that is a string": (lambda r: None, "a submission"),
}


@reliability(
    "malformed record in the data API: {case}",
    "proxy: data page 2 carries the malformed record",
    "SyncError naming the problem; page 1 kept, nothing of page 2",
)
@pytest.mark.parametrize("case", list(RECORDS))
def test_a_malformed_record_stops_the_sync_with_committed_pages_kept(
    proxy: Proxy, survey: Survey, engine: Engine, case: str
) -> None:
    change, message = RECORDS[case]
    survey.add(25)
    seen: list[bool] = []

    def break_page_two(ex: Exchange) -> None:
        if ex.is_data_list(survey.asset_uid):
            seen.append(True)
            if len(seen) == 2:
                body = ex.json()
                if case == "record that is a string":
                    body["results"][3] = "not an object"
                else:
                    change(body["results"][3])
                ex.set_json(body)

    proxy.rewrite = break_page_two
    with (
        client_for(proxy.url, survey.server.token, page_size=10) as client,
        pytest.raises(SyncError, match=message),
    ):
        sync(client, engine, survey)
    assert len(assert_whole_pages(engine, survey, 10)) == 10
