"""Execution-filter throughput: ``Judge.many`` (driver threads, screens, caches) vs a naive sequential loop.

    .venv/bin/python benchmarks/filter.py                 # 300 pairs
    .venv/bin/python benchmarks/filter.py --pairs 600 --threads 4

Pairs are built from large analytical queries over the simulated catalog: three domain reports joined into
one cross-domain report (50-150 lines, 10+ table references, CTEs, window functions, LATERAL VIEW), each
with a few bugs from the simulator's mutators; the fix is the original query, so several pairs share it,
and some pairs repeat (a user re-running the same failure), as in real logs.

The naive loop calls ``spark.sql`` on the bug and then on the fix for every pair (``spark.sql`` analyses a
query eagerly and runs nothing). Prints pairs/s of both, the ratio (targets: >= 60 pairs/s, >= 2x) and
whether both reached the same verdicts. Then the floor: every side the filter had to judge, checked again
one after the other, gives Spark's cost per side; with the sides per pair that the caches leave, that is
the most pairs/s the machine's cores could reach if they were all busy with nothing else.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time

from pyspark.errors.exceptions.captured import CapturedException
from sqlfix.config import load_config
from sqlfix.filtering.judge import Judge
from sqlfix.filtering.sandbox import Sandbox
from sqlfix.filtering.script import check_script
from sqlfix.simulate import bugs
from sqlfix.simulate.domains import DOMAINS, all_tables, joinable
from sqlfix.simulate.queries import compose
from sqlfix.spark import get_spark

TABLE_NAMES = [t.name for t in all_tables()]


def _part(rng: random.Random, domain: str, j: int) -> list[str]:
    """A star join of one domain: its fact table, every joinable dimension, grouped by user."""
    tables = DOMAINS[domain]
    fact = rng.choice([t for t in tables if t.by_role("measure") and t.by_role("time") and t.by_role("key")])
    dims = [t for t in tables if t is not fact and joinable(fact, t)]
    rng.shuffle(dims)
    key = fact.by_role("key")[0].name
    measure = rng.choice(fact.by_role("measure")).name
    lines = [f"part{j} AS (", "  SELECT", f"    f.{key},"]
    joins, groups = [], [f"f.{key}"]
    for i, dim in enumerate(dims[:3], 1):
        shared = joinable(fact, dim)[0]
        joins.append(f"  LEFT JOIN {dim.name} d{i} ON f.{shared} = d{i}.{shared} AND d{i}.dt = f.dt")
        for col in dim.by_role("dim")[:1]:
            lines.append(f"    d{i}.{col.name},")
            groups.append(f"d{i}.{col.name}")
    lines += [
        "    COUNT(*) AS events,",
        f"    SUM(f.{measure}) AS total_{measure},",
        f"    AVG(f.{measure}) AS avg_{measure}",
        f"  FROM {fact.name} f",
        *joins,
        "  WHERE f.dt BETWEEN '2026-09-01' AND '2026-09-30'",
        f"  GROUP BY {', '.join(groups)}",
        ")",
    ]
    return lines


def wide_query(rng: random.Random) -> str:
    """A cross-domain report: a star join per domain and one composed domain report, side by side."""
    domains = sorted(DOMAINS)
    lines = ["-- cross-domain daily report", "-- owner: team-bi, refreshed daily", "WITH"]
    for j, domain in enumerate(domains):
        part = _part(rng, domain, j)
        lines += [part[0] if j == 0 else ", " + part[0], *part[1:]]
    report = [line for line in compose(rng, size=rng.choice((2, 3))).splitlines() if not line.startswith("--")]
    lines += [", report AS (", *["  " + line for line in report], ")"]
    lines += [
        "SELECT",
        "  p0.*,",
        "  p1.events AS events_1,",
        "  p2.events AS events_2,",
        "  p3.events AS events_3,",
        "  ROW_NUMBER() OVER (ORDER BY p0.events DESC) AS rank_0,",
        "  (SELECT COUNT(*) FROM report) AS report_rows",
        "FROM part0 p0",
        "CROSS JOIN (SELECT SUM(events) AS events FROM part1) p1",
        "CROSS JOIN (SELECT SUM(events) AS events FROM part2) p2",
        "CROSS JOIN (SELECT SUM(events) AS events FROM part3) p3",
    ]
    return "\n".join(lines)


def table_refs(sql: str) -> int:
    return sum(len(re.findall(rf"\b{re.escape(name)}\b", sql)) for name in TABLE_NAMES)


def build_pairs(spark, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    names, weights = zip(*bugs.WEIGHTS.items(), strict=True)
    pairs: list[dict] = []
    while len(pairs) < n:
        fix = wide_query(rng)
        lines = fix.split("\n")
        if not (50 <= len(lines) <= 150 and table_refs(fix) >= 10):
            continue
        try:
            spark.sql(fix)
        except CapturedException:
            continue
        for _ in range(rng.choice((2, 3, 4))):
            mutation = bugs.MUTATORS[rng.choices(names, weights)[0]](lines, rng)
            if mutation is None:
                continue
            pair = {"bug_sql": "\n".join(mutation[0]), "fixed_sql": fix}
            pairs.append(pair)
            if rng.random() < 0.15:
                pairs.append(dict(pair))  # the same failure run again
    return pairs[:n]


def naive(spark, pairs: list[dict]) -> list[str]:
    out = []
    for p in pairs:
        try:
            spark.sql(p["bug_sql"])
            out.append("bug_passes")
            continue
        except CapturedException:
            pass
        try:
            spark.sql(p["fixed_sql"])
            out.append("kept")
        except CapturedException:
            out.append("fix_fails")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    spark = get_spark(load_config())
    box = Sandbox(spark)
    box.load(";\n".join(t.ddl for t in all_tables()))
    pairs = build_pairs(box.shared, args.pairs, args.seed)
    lines = [p["fixed_sql"].count("\n") + 1 for p in pairs]
    refs = [table_refs(p["fixed_sql"]) for p in pairs]
    print(f"{len(pairs)} pairs; fixed SQL {min(lines)}-{max(lines)} lines, {min(refs)}-{max(refs)} table references, "
          f"{len({p['fixed_sql'] for p in pairs})} distinct fixes")  # fmt: skip
    naive(box.shared, pairs[:20])  # warm the JIT and the catalog alike for both
    Judge(box, threads=args.threads).many(pairs[:20])

    t0 = time.perf_counter()
    expected = naive(box.shared, pairs)
    t_naive = time.perf_counter() - t0
    judge = Judge(box, threads=args.threads)
    t0 = time.perf_counter()
    verdicts = judge.many(pairs)
    t_judge = time.perf_counter() - t0
    judge.close()
    same = sum(v.reason == e for v, e in zip(verdicts, expected, strict=True))
    fast, slow = len(pairs) / t_judge, len(pairs) / t_naive
    print(f"naive sequential spark.sql loop: {t_naive:.1f}s = {slow:.1f} pairs/s")
    print(f"sqlfix filter ({args.threads} threads): {t_judge:.1f}s = {fast:.1f} pairs/s (target >= 60)")
    print(f"speed-up {fast / slow:.2f}x (target >= 2x); same verdict on {same}/{len(pairs)} pairs")

    sides = [sql for (_, sql, _) in judge._sides]  # noqa: SLF001 - what the filter had to analyse
    t0 = time.perf_counter()
    for sql in sides:
        check_script(box, sql)
    per_side = (time.perf_counter() - t0) / len(sides)
    cores = os.cpu_count() or 1
    ceiling = cores / (per_side * len(sides) / len(pairs))
    print(f"floor: {len(sides)} sides analysed for {len(pairs)} pairs, {per_side * 1000:.1f} ms each one after the "
          f"other; ceiling with all {cores} cores busy: {ceiling:.1f} pairs/s")  # fmt: skip


if __name__ == "__main__":
    main()
