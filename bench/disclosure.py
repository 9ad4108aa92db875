"""Disclosure-control benchmark: protect + audit one survey year's tables, all packs at once.

Run: .venv/bin/python bench/disclosure.py [--members 300] [--indicators 60] [--seed 7]

A synthetic survey of --members member organisations in 5 regions and about 60 countries
(a few large, many with one or two members); --indicators indicators, alternately
single-choice (up to 6 categories that sum to the indicator's n) and multi-choice (each
category a count of its own, never above n), each counted by country, region and globally:
the cells and relations every regional pack and the global pack publish together.
Prints the problem's size, then protect's and audit's figures on this machine (wall
time, and the CPU time: on a shared machine the difference is time spent waiting); exits 1
if the audit recovers a cell.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nswp_survey.disclosure import Cell, Problem, Relation, audit, protect
from nswp_survey.disclosure.tables import Tree, cross_table

REGIONS = ("africa", "asia_pacific", "europe", "latin_america", "north_america_caribbean")


def geography(rng: np.random.Generator, countries: int) -> tuple[Tree, list[str]]:
    """World > 5 regions > countries, with every country's members drawn skewed."""
    per_region = np.array_split(np.arange(countries), len(REGIONS))
    regions = tuple(
        Tree(region, tuple(Tree(f"C{i:02d}") for i in ids))
        for region, ids in zip(REGIONS, per_region, strict=True)
    )
    return Tree("global", regions), [f"C{i:02d}" for i in range(countries)]


def survey(members: int, indicators: int, countries: int, seed: int) -> Problem:
    rng = np.random.default_rng(seed)
    world, names = geography(rng, countries)
    weights = rng.pareto(1.2, countries) + 0.2
    home = rng.choice(names, size=members, p=weights / weights.sum())
    cells: list[Cell] = []
    equalities: list[Relation] = []
    inequalities: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for number in range(indicators):
        prefix = (f"IND-{number:02d}", "2025")
        answered = rng.random(members) < rng.uniform(0.6, 1.0)
        categories = [f"c{j}" for j in range(int(rng.integers(1, 7)))]
        n = {(country, "n"): int((answered & (home == country)).sum()) for country in names}
        single = number % 2 == 0 and len(categories) > 1
        if single:  # one answer each: the categories sum to n, and to an "all" column
            pick = rng.choice(categories, size=members)
            chosen = [answered & (pick == category) for category in categories]
        else:  # any number of answers: each category at most n
            chosen = [answered & (rng.random(members) < rng.uniform(0.1, 0.9)) for _ in categories]
        counts = {
            (country, category): int((yes & (home == country)).sum())
            for category, yes in zip(categories, chosen, strict=True)
            for country in names
        }
        leaves = tuple(Tree(category) for category in categories)
        # multi-choice: each category a table of its own, no total over them
        tables = [Tree("all", leaves)] if single else list(leaves)
        for table, relations in [cross_table(prefix, world, Tree("n"), n)] + [
            cross_table(prefix, world, columns, counts) for columns in tables
        ]:
            cells += table
            equalities += relations
        for node in world.nodes():
            n_key = (*prefix, node.name, "n")
            parts = tuple((*prefix, node.name, category) for category in categories)
            if single:
                equalities.append(Relation(n_key, parts))
            else:
                inequalities += [(part, n_key) for part in parts]
    return Problem(tuple(cells), tuple(equalities), tuple(inequalities))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--indicators", type=int, default=60)
    parser.add_argument("--countries", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    problem = survey(args.members, args.indicators, args.countries, args.seed)
    built = time.perf_counter() - started
    print(
        f"problem: {len(problem.cells):,} cells, {len(problem.equalities):,} totals, "
        f"{len(problem.inequalities):,} inequalities, {len(problem.components())} components "
        f"(built in {built:.1f} s)"
    )
    cpu = time.process_time()
    plan = protect(problem)
    print(
        f"protect: {len(plan.primary):,} primary + {len(plan.secondary):,} secondary hidden "
        f"({len(plan.as_x):,} small cells shown x) in {plan.seconds:.1f} s"
    )
    report = audit(problem, plan)
    print(
        f"audit: {report.published:,} published, {report.primary:,} primary, "
        f"{report.secondary:,} secondary, {len(report.leaks)} recovered, "
        f"{'ok' if report.ok else 'FAILED'} in {report.seconds:.1f} s"
    )
    print(
        f"total protect + audit: {plan.seconds + report.seconds:.1f} s "
        f"({time.process_time() - cpu:.1f} s of CPU: the rest is waiting for a shared core)"
    )
    raise SystemExit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
