"""A real-world workload through the optimisation pipeline: how many of its queries get a verified faster rewrite.

    .venv/bin/python benchmarks/workload.py --ddl DDL.sql --data DIR_A DIR_B --queries QUERIES \
        [--lake-root LAKE] [--load] [--repeats 1] [--confirm 5] [--only q1,q2] [--out results.jsonl]

For TPC-DS (the kit is the TPC's, not in this repository; see benchmarks/README.md): ``--ddl`` its
``tools/tpcds.sql``; ``--data`` two ``dsdgen -SCALE 1`` folders under different ``-RNGSEED``s; ``--queries``
``dsqgen -DIALECT netezza`` output (103 statements) or a folder of ``qN.sql`` files (Spark's copy).
``--load`` writes both instances through the lake first (about 2 min each at scale 1 on 2 cores).

Each query is the slow side; its candidates are the rule-based rewrite (sqlglot's optimizer, what iteration 0
offers a query no de-optimiser made) and, with ``--model``, ``--k`` samples of a policy. Every candidate
passes the tiers of ``optimize.verify`` (read-only screen, analysis, equal results on the first instance,
then on the second, then cost on the first). Speed-ups of at least ``--screen`` with ``--repeats`` runs are
re-timed with ``--confirm`` runs of each side before they count. One JSON line per query is appended to
``--out`` as it finishes (a rerun skips the queries already there), then a summary.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import time
from pathlib import Path

from sqlfix.config import load_config
from sqlfix.filtering.readonly import read_only_refusal
from sqlfix.lake import open_lake
from sqlfix.optimize.databases import Instance, ddl, instance_session
from sqlfix.optimize.rules import sqlglot_rewrite
from sqlfix.optimize.verify import Verifier
from sqlfix.optimize.workload import Workload, load_instance, parse_ddl, read_queries
from sqlfix.progress import progress
from sqlfix.spark import get_spark

_DAYS = re.compile(r"([+-])\s*(\d+)\s+days\b", re.IGNORECASE)
_QUOTED_ALIAS = re.compile(r"\bas\s+\"([^\"]+)\"", re.IGNORECASE)


def spark_sql(sql: str) -> str:
    """The query generator's ANSI-isms Spark does not read: ``+ 30 days`` and double-quoted aliases."""
    return _QUOTED_ALIAS.sub(lambda m: f"as `{m.group(1)}`", _DAYS.sub(r"\1 INTERVAL \2 DAYS", sql))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ddl", required=True)
    parser.add_argument("--data", nargs="+", required=True, help="one data folder per instance (2 or more)")
    parser.add_argument("--queries", required=True)
    parser.add_argument("--name", default="tpcds")
    parser.add_argument("--lake-root", default="lake")
    parser.add_argument("--load", action="store_true", help="(re)write the instances from --data first")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--screen", type=float, default=1.2)
    parser.add_argument("--confirm", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated query names")
    parser.add_argument("--model", help="a policy folder to sample --k rewrites from")
    parser.add_argument("--k", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/workload.jsonl")
    args = parser.parse_args()
    if len(args.data) < 2:
        parser.error("--data needs two or more instances: one instance cannot show a false positive")
    cfg = load_config(lake_root=args.lake_root)
    spark = get_spark(cfg)
    spark.sparkContext.setLogLevel("ERROR")
    lake = open_lake(cfg, spark)
    names = [f"{args.name}_{chr(ord('a') + i)}" for i in range(len(args.data))]
    work = Workload(args.name, [t for t in parse_ddl(Path(args.ddl).read_text()) if t.name != "dbgen_version"],
                    [(n, spark_sql(q)) for n, q in read_queries(args.queries)])  # fmt: skip
    if args.load:
        for name, folder in zip(names, args.data, strict=True):
            t0 = time.perf_counter()
            rows = load_instance(lake, work, name, folder)
            print(json.dumps({"instance": name, "rows": sum(rows.values()), "seconds": round(time.perf_counter() - t0, 1)}))  # fmt: skip
    sessions = {n: instance_session(cfg, spark, Instance(n, 1.0, 0), contracts=work.contracts(n)) for n in names}
    views = {t.name for t in work.tables}
    verifier = Verifier(sessions, names[0], views, repeats=args.repeats)
    confirm = Verifier(sessions, names[0], views, repeats=args.confirm)
    schema = work.schema()
    policy, ddls = None, {t.name: ddl(t) for t in work.tables}
    if args.model:
        from sqlfix.inference.generate import HFGenerator

        policy = HFGenerator(args.model, batch_size=args.k)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {json.loads(line)["query"] for line in out.read_text().splitlines()} if out.exists() else set()
    only = set(filter(None, args.only.split(",")))
    todo = [(n, q) for n, q in work.queries if n not in done and (not only or n in only)]
    with progress(len(todo), "workload", "query", every=60) as bar, out.open("a") as sink:
        for name, sql in todo:
            record = {"query": name, "runs_on_spark": True, "candidates": []}
            refusal = read_only_refusal(sessions[names[0]], sql, views)  # a workload's text is untrusted too
            if refusal is not None:
                record.update(runs_on_spark=False, reason=f"{refusal[0]}: {refusal[1]}"[:300])
            else:
                try:
                    sessions[names[0]].sql(sql)
                except Exception as exc:  # noqa: BLE001 - the workload's own query fails analysis: recorded
                    record.update(runs_on_spark=False, reason=str(exc).strip().splitlines()[0][:300])
            fasts = []
            if record["runs_on_spark"]:
                rewrite = sqlglot_rewrite(sql, schema)
                fasts += [("sqlglot", rewrite)] if rewrite else []
                if policy is not None:
                    from sqlfix.optimize import restem

                    item = {"slow_sql": sql}
                    fasts += [("policy", f) for f in restem.sample(policy, [item], ddls, args.k, 0.8)[0]]
            for source, fast in fasts:
                check = verifier.check(sql, fast)
                cand = {"source": source, "tier": check.tier, "equivalent": check.passed, "reason": check.reason,
                        "speedup": check.speedup, "seconds_by_tier": check.seconds_by_tier}  # fmt: skip
                if check.passed and check.speedup and check.speedup >= args.screen:
                    (slow_s, _), (fast_s, _) = confirm.cost(sql), confirm.cost(fast)
                    cand.update(confirmed_speedup=slow_s / fast_s, slow_seconds=slow_s, fast_seconds=fast_s)
                record["candidates"].append(cand)
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            bar.update(1)
    summarize([json.loads(line) for line in out.read_text().splitlines()], args.screen)


def summarize(records: list[dict], screen: float) -> None:
    best = {}
    for r in records:
        speedups = [c.get("confirmed_speedup") or c["speedup"] for c in r["candidates"] if c["equivalent"]]
        if speedups:
            best[r["query"]] = max(speedups)
    fast = sorted((q for q, s in best.items() if s >= 1.5), key=lambda q: -best[q])
    cands = [c for r in records for c in r["candidates"]]
    tiers: dict[str, list[float]] = {}
    for c in cands:
        for tier, s in c["seconds_by_tier"].items():
            tiers.setdefault(tier, []).append(s)
    print(json.dumps({
        "queries": len(records), "run_on_spark": sum(r["runs_on_spark"] for r in records),
        "with_candidate": sum(bool(r["candidates"]) for r in records), "candidates": len(cands),
        "equivalent": sum(c["equivalent"] for c in cands),
        "stopped_at": {t: sum(c["tier"] == t and not c["equivalent"] for c in cands) for t in ("allowlist", "analyze", "small", "instances")},
        "geomean_speedup": round(math.exp(statistics.fmean(math.log(s) for s in best.values())), 3) if best else None,
        "regressions": sum(s < 1.0 for s in best.values()),
        "ge_1.5x": [f"{q} {best[q]:.2f}x" for q in fast],
        "seconds_per_tier": {t: round(statistics.fmean(v), 3) for t, v in sorted(tiers.items())},
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
