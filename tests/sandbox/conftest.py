"""Fixtures for the sandbox tests: a started server on 127.0.0.1 and a small Kobo helper.

The recordings live in `shared/` beside the repository (`../shared` from the repo root).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from nswp_survey.sandbox import SandboxServer

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = REPO_ROOT / ".." / "shared" / "kobo-recordings"
FOODS = ("morning_food", "lunch", "dinner", "libations", "caffeination", "deserts")


def recording(name: str) -> dict[str, Any]:
    """A recorded KPI exchange: {request, status, headers, body}."""
    return json.loads((RECORDINGS / f"{name}.json").read_text())


def shape(value: Any) -> Any:
    """Keys and value types (first list item only), for comparing with recordings."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


class Kobo:
    """Talks to a SandboxServer the way a client would (real HTTP)."""

    recording = staticmethod(recording)
    shape = staticmethod(shape)

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.api = requests.Session()
        self.api.headers.update(
            {"Authorization": f"Token {server.token}", "Accept": "application/json"}
        )

    def data_url(self, uid: str) -> str:
        return f"{self.url}/api/v2/assets/{uid}/data/"

    @staticmethod
    def form_bytes(form: str) -> bytes:
        return (RECORDINGS / "forms" / f"{form}.xls").read_bytes()

    def import_form(self, form: str, **fields: str) -> dict[str, Any]:
        """POST /api/v2/imports/ then the first poll; returns the task body."""
        path = RECORDINGS / "forms" / f"{form}.xls"
        data = {"name": form, "library": "false", **fields}
        created = self.api.post(
            f"{self.url}/api/v2/imports/", files={"file": (path.name, path.read_bytes())}, data=data
        )
        assert created.status_code == 201, created.text
        return self.api.get(created.json()["url"]).json()

    def create_asset(self, form: str) -> str:
        task = self.import_form(form)
        assert task["status"] == "complete", task
        return task["messages"]["created"][0]["uid"]

    def deploy(self, uid: str) -> dict[str, Any]:
        response = self.api.post(
            f"{self.url}/api/v2/assets/{uid}/deployment/", json={"active": True}
        )
        assert response.status_code == 200, response.text
        return self.asset(uid)

    def asset(self, uid: str) -> dict[str, Any]:
        return self.api.get(f"{self.url}/api/v2/assets/{uid}/").json()

    def deployed(self, form: str) -> dict[str, Any]:
        return self.deploy(self.create_asset(form))

    def instance(self, name: str, asset: dict[str, Any]) -> str:
        """A recorded instance rewritten for `asset`: root tag/id, formhub/uuid, __version__."""
        text = (RECORDINGS / "instances" / f"{name}.xml").read_text()
        rewrites = {
            "as2zqxq3pBXhHSdahcdXXP": asset["uid"], "aXNkhESxKtiPDPuBLygopT": asset["uid"],
            "78ad4df1b53f4d9c9989178870b5ad2f": asset["deployment__uuid"],
            "a630b7f49a704715a483f538ca0aef63": asset["deployment__uuid"],
            "vrXWgrPsvAYbCvzyrNpawY": asset["version_id"],
            "vtnjsJgfZTvGHZ8CnLgU6c": asset["version_id"],
        }  # fmt: skip
        for old, new in rewrites.items():
            text = text.replace(old, new)
        return text

    def good_eats_xml(self, asset: dict[str, Any], i: int, instance_id: str | None = None) -> str:
        """instances/good_eats_generated_template.xml filled like the recordings were."""
        template = (RECORDINGS / "instances" / "good_eats_generated_template.xml").read_text()
        return template.format(
            u=asset["uid"], fh=asset["deployment__uuid"], v=asset["version_id"], d=i % 28 + 1,
            food=FOODS[i % len(FOODS)], i=i, amt=f"{i}.5", rating="bad", risk="low_risk",
            loc=i % 5, lat=-1.3 + i / 1000, lng=36.8 + i / 1000,
            iid=instance_id or uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-test-{i}"),
        )  # fmt: skip

    def submit(self, xml: str, auth: Any = "basic", **files: bytes) -> requests.Response:
        """POST /submission as Collect does (multipart, HTTP Basic by default)."""
        parts: dict[str, Any] = {
            "xml_submission_file": ("submission.xml", xml.encode(), "text/xml")
        }
        for name, data in files.items():
            parts[name] = (name, data, "image/jpeg")
        creds = (self.server.username, self.server.password) if auth == "basic" else auth
        return requests.post(f"{self.url}/submission", files=parts, auth=creds, timeout=10)

    def seed(self, asset: dict[str, Any], count: int, first: int = 1) -> list[int]:
        """Fast seeding through the same code path as /submission."""
        ids = []
        for i in range(first, first + count):
            result = self.server.ingest_xml(self.good_eats_xml(asset, i).encode())
            assert result["status"] == 201, result
            ids.append(result["_id"])
        return ids


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


@pytest.fixture
def kobo(server: SandboxServer) -> Kobo:
    return Kobo(server)


@pytest.fixture
def good_eats(kobo: Kobo) -> dict[str, Any]:
    """good_eats_multilang.xls imported and deployed (translations English/French)."""
    return kobo.deployed("good_eats_multilang")


@pytest.fixture
def nested(kobo: Kobo) -> dict[str, Any]:
    """nested_repeats.xls imported and deployed."""
    return kobo.deployed("nested_repeats")


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[Kobo, dict[str, Any], list[int]]]:
    """A server of its own with good_eats deployed and 2,500 submissions (read-only tests)."""
    with SandboxServer() as sandbox:
        kobo = Kobo(sandbox)
        asset = kobo.deployed("good_eats_multilang")
        yield kobo, asset, kobo.seed(asset, 2500)
