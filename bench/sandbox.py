"""Benchmark the sandbox with 100,000 submissions in one asset.

Run: .venv/bin/python bench/sandbox.py [--n 100000]

Seeds submissions through `SandboxServer.ingest_xml` (the /submission code path without
HTTP), then times over HTTP: the first, a middle and the last 1000-record page of the
incremental-sync cursor query `query={"_id":{"$gt":N}}&sort={"_id":1}&limit=1000`, and a
full `fields=["_id","_uuid"]` sweep following `next`.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path

import requests

from nswp_survey.sandbox import SandboxServer

FORMS = Path(__file__).resolve().parents[1] / ".." / "shared" / "kobo-recordings" / "forms"
TEMPLATE = (
    "<?xml version='1.0' ?><{u} id=\"{u}\"><formhub><uuid>{fh}</uuid></formhub>"
    "<__version__>{v}</__version__><submit_data>2026-01-{d:02d}</submit_data>"
    "<food_type>{food}</food_type><description>Generated meal {i}</description>"
    "<amount>{i}.5</amount><rating>bad</rating><risk_factor>low_risk</risk_factor>"
    "<location_name>Stall {loc}</location_name><gps>-1.3 36.8 0.0 10.0</gps>"
    "<imei>35174605{i:07d}</imei><submit_date>2026-01-{d:02d}</submit_date>"
    "<meta><instanceID>uuid:{iid}</instanceID></meta></{u}>"
)
FOODS = ("morning_food", "lunch", "dinner", "libations", "caffeination", "deserts")


def _timed_get(session: requests.Session, url: str, params: dict[str, str] | None = None):
    started = time.perf_counter()
    response = session.get(url, params=params, timeout=120)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return response.json(), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="submissions to seed")
    args = parser.parse_args()
    if args.n < 2000:
        parser.error("--n must be at least 2000: three 1000-record pages are timed")
    with SandboxServer() as server:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {server.token}"
        created = session.post(
            f"{server.url}/api/v2/imports/",
            files={"file": ("good_eats.xls", (FORMS / "good_eats_multilang.xls").read_bytes())},
            data={"name": "good_eats_multilang", "library": "false"},
            timeout=60,
        ).json()
        asset_uid = session.get(created["url"], timeout=60).json()["messages"]["created"][0]["uid"]
        session.post(f"{server.url}/api/v2/assets/{asset_uid}/deployment/", json={"active": True})
        asset = session.get(f"{server.url}/api/v2/assets/{asset_uid}/", timeout=60).json()

        started = time.perf_counter()
        first_id = last_id = 0
        for i in range(args.n):
            xml = TEMPLATE.format(
                u=asset_uid, fh=asset["deployment__uuid"], v=asset["version_id"], d=i % 28 + 1,
                food=FOODS[i % len(FOODS)], i=i, loc=i % 7, iid=uuid.uuid4(),
            )  # fmt: skip
            result = server.ingest_xml(xml.encode())
            last_id = result["_id"]
            first_id = first_id or last_id
        seed_s = time.perf_counter() - started
        print(f"seeded {args.n} submissions in {seed_s:.1f} s ({args.n / seed_s:,.0f}/s)")

        data_url = f"{server.url}/api/v2/assets/{asset_uid}/data/"
        timings = {}
        for label, cursor in (
            ("first", first_id - 1),
            ("middle", first_id - 1 + args.n // 2),
            ("last", last_id - 1000),
        ):
            params = {"query": json.dumps({"_id": {"$gt": cursor}}),
                      "sort": json.dumps({"_id": 1}), "limit": "1000"}  # fmt: skip
            page, elapsed = _timed_get(session, data_url, params)
            assert len(page["results"]) == 1000, len(page["results"])
            timings[label] = elapsed
            print(f"{label:>6} 1000-record page: {elapsed:.3f} s ({1000 / elapsed:,.0f} records/s)")
        print(f"last/first page time ratio: {timings['last'] / timings['first']:.2f}")

        started = time.perf_counter()
        url: str | None = data_url + '?fields=["_id","_uuid"]&limit=1000'
        seen = pages = 0
        while url:
            page, _elapsed = _timed_get(session, url)
            seen += len(page["results"])
            pages += 1
            url = page["next"]
        sweep_s = time.perf_counter() - started
        assert seen == args.n, seen
        print(
            f"fields sweep: {seen} records in {pages} pages, {sweep_s:.2f} s "
            f"({seen / sweep_s:,.0f} records/s)"
        )


if __name__ == "__main__":
    main()
