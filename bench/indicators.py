"""Indicator benchmark: the whole catalogue over N synthetic submissions (default 100,000).

Run: .venv/bin/python bench/indicators.py [--n 100000] [--store 20000] [--repeat 3]

Prints, for one run on this machine:
- compute: synthetic raw frames (N submissions, about N/2 law_change rows, answers drawn
  from the form's own choice lists) -> counting rules (build_frames) -> every catalogue
  indicator (compute_indicators), with and without `--by region,sw_led`; best of --repeat;
- load: with --store M > 0, M of those submissions written into a SQLite file through
  `commit_page`, then `load_frames` timed (store -> DataFrames), reported per submission;
  then `export_packs` of every region in its publication languages (xlsx, csv, html).
Loading is reported apart from computing: the goal (< 2 s for 100,000) is on the computing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from nswp_survey.export.pack import check_choice
from nswp_survey.export.run import export_packs
from nswp_survey.indicators import (
    build_frames,
    compute_indicators,
    load_catalogue,
    load_form_schema,
    load_frames,
)
from nswp_survey.indicators.form import FormSchema

ROOT = Path(__file__).resolve().parents[1]
FORM = ROOT / "forms" / "annual_member_survey.xlsx"
CATALOGUE = ROOT / "config" / "indicators.toml"
STATUSES = [None, "validation_status_approved", "validation_status_on_hold"]
STATUSES += ["validation_status_not_approved"]
NUMBERS = {"ment_18_29": 8, "ment_30p": 8, "ment_f": 6, "ment_m": 3, "ment_t": 3, "ment_gd": 2}


def _pick(rng: np.random.Generator, choices: list[str], n: int, multi: bool) -> np.ndarray:
    options = np.array(choices, dtype=object)
    first = rng.integers(0, len(options), n)
    if not multi:
        return options[first]
    second = rng.integers(0, len(options), n)
    two = rng.random(n) < 0.5
    joined = np.where(two & (first != second), options[first] + " " + options[second], None)
    return np.where(joined == None, options[first], joined)  # noqa: E711 (numpy elementwise)


def synthetic_raw(n: int, schema: FormSchema, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """N stored submissions (5% duplicate members, every status, 1% deleted) and law rows."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    raw = pd.DataFrame(
        {
            "submission_id": np.arange(1, n + 1),
            "asset_uid": "aBench",
            "kobo_id": np.arange(1, n + 1),
            "submission_time": pd.to_datetime(start)
            + pd.to_timedelta(rng.integers(0, 86400 * 90, n), unit="s"),
            "validation_status": rng.choice(
                np.array(STATUSES, dtype=object), n, p=[0.6, 0.3, 0.05, 0.05]
            ),
            "deleted": rng.random(n) < 0.01,
            "version_uid": "vBench",
        }
    )
    for name, info in schema.fields.items():
        if info.list_name and info.kind in ("select_one", "select_multiple"):
            choices = list(schema.choices.get(info.list_name, {})) or ["x"]
            raw[name] = _pick(rng, choices, n, info.kind == "select_multiple")
        elif info.kind == "integer":
            raw[name] = rng.integers(0, NUMBERS.get(name, 12), n).astype(str)
    raw["consent"] = np.where(rng.random(n) < 0.97, "yes", "no")
    raw["survey_year"] = "2025"
    raw["member_code"] = [f"XX-{i:04d}" for i in rng.integers(0, int(n * 0.95), n) % 10000]
    raw["member_code"] = raw["member_code"] + "-" + (raw["submission_id"] % 97).astype(str)
    raw["sw_led"] = np.where(rng.random(n) < 0.6, "1", "0")
    raw = raw.drop(
        columns=[c for c in ("lc_area", "lc_level", "lc_stage", "lc_direction") if c in raw]
    )
    m = n // 2
    law = pd.DataFrame(
        {"repeat_row_id": np.arange(1, m + 1), "submission_id": rng.integers(1, n + 1, m)}
    )
    for name in ("lc_area", "lc_level", "lc_stage", "lc_direction"):
        info = schema.fields[name]
        choices = list(schema.choices[info.list_name or ""])
        law[name] = _pick(rng, choices, m, info.kind == "select_multiple")
    law["lc_date"] = "2025-" + pd.Series(rng.integers(1, 13, m)).map("{:02d}-01".format)
    law["lc_source"] = np.where(
        rng.random(m) < 0.5,
        "https://example.org/law/" + pd.Series(rng.integers(0, 3000, m)).astype(str),
        None,
    )
    return raw, law


def time_compute(raw, law, catalogue, schema, repeat: int) -> None:
    for by in ((), ("region", "sw_led")):
        best_rules = best_all = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            frames = build_frames(raw, law, catalogue, years=[2025], schema=schema)
            t1 = time.perf_counter()
            results = compute_indicators(frames, catalogue, 2025, by=by)
            t2 = time.perf_counter()
            best_rules, best_all = min(best_rules, t1 - t0), min(best_all, t2 - t0)
        print(
            f"compute  n={len(raw):,} by={','.join(by) or '-'}: rules {best_rules:.2f}s, "
            f"rules+{len(results)} indicators {best_all:.2f}s (R={len(frames.responses):,}, "
            f"law rows={len(frames.law):,})"
        )


def _kobo_json(row: pd.Series, law: pd.DataFrame, schema: FormSchema) -> dict:
    raw = {"_id": int(row["kobo_id"]), "_uuid": f"u{row['kobo_id']}", "__version__": "vBench"}
    for name, value in row.items():
        info = schema.fields.get(str(name))
        if info is not None and isinstance(value, str):
            raw[info.path] = value
    changes = [
        {
            f"d_law/law_change/{k}": v
            for k, v in r.items()
            if k.startswith("lc_") and isinstance(v, str)
        }
        for r in law.to_dict("records")
    ]
    if changes:
        raw["d_law/law_change"] = changes
    return raw


def time_load(raw, law, catalogue, schema, m: int) -> None:
    from nswp_survey.store import (
        SubmissionRow,
        commit_page,
        make_engine,
        migrate,
        transaction,
        upsert_form,
    )

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        with transaction(engine) as conn:
            upsert_form(conn, "aBench", name="bench")
        sub, by_sub = raw.head(m), dict(tuple(law.groupby("submission_id")))
        t0 = time.perf_counter()
        for i in range(0, m, 1000):
            rows = [
                SubmissionRow(
                    kobo_id=int(r["kobo_id"]),
                    uuid=f"u{r['kobo_id']}",
                    version_uid="vBench",
                    raw=_kobo_json(r, by_sub.get(r["submission_id"], law.head(0)), schema),
                    submission_time=r["submission_time"].to_pydatetime(),
                    validation_status=r["validation_status"],
                )
                for _, r in sub.iloc[i : i + 1000].iterrows()
            ]
            commit_page(engine, "aBench", rows, None)
        t1 = time.perf_counter()
        frames = load_frames(engine, catalogue, years=[2025], schema=schema)
        t2 = time.perf_counter()
        compute_indicators(frames, catalogue, 2025)
        t3 = time.perf_counter()
        written = export_packs(
            engine, catalogue, 2025, check_choice("all", "en"), Path(tmp) / "out",
            form_fallback=FORM,
        )  # fmt: skip
        t4 = time.perf_counter()
        engine.dispose()
    print(
        f"store    n={m:,}: written in {t1 - t0:.1f}s (Kobo JSON built, then commit_page); "
        f"load_frames {t2 - t1:.2f}s "
        f"({(t2 - t1) / m * 1e6:.0f} µs/submission, ~{(t2 - t1) / m * 100_000:.0f}s per 100,000); "
        f"compute on loaded {t3 - t2:.2f}s"
    )
    files = sum(len(paths) for _pack, paths in written)
    print(
        f"export   n={m:,}: {len(written)} packs (every region in its publication languages; "
        f"xlsx, csv, html; {files} files) in {t4 - t3:.1f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--store", type=int, default=10_000, help="submissions to load via SQLite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    schema = load_form_schema(FORM)
    catalogue = load_catalogue(CATALOGUE)
    t0 = time.perf_counter()
    raw, law = synthetic_raw(args.n, schema)
    print(
        f"generate n={args.n:,}: {time.perf_counter() - t0:.1f}s "
        f"({len(catalogue.indicators)} indicators)"
    )
    time_compute(raw, law, catalogue, schema, args.repeat)
    if args.store:
        time_load(raw, law, catalogue, schema, args.store)


if __name__ == "__main__":
    main()
