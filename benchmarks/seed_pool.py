"""How many slow queries real SQL gives: every ``sql_corpus`` query of one or more lakes placed as
``sqlfix optimize seeds`` places it, then every de-optimiser over every candidate seed, before any data is
generated or anything runs (the ceiling of what ``optimize seeds`` + ``optimize rules`` can verify).

    .venv/bin/python benchmarks/seed_pool.py --lake-root /tmp/lk_bq --lake-root /tmp/lk_mm --sites 3

Reports, per lake and over all of them: corpus queries, candidate seeds and their domains (each lake's
domains kept apart), the rejections before running by reason, the distinct slow queries (after
normalisation) by pattern, and how many of them one draw can keep under the quotas (no pattern and no
domain above ``--max-share``: ``deoptimize.select_with_quotas``, the draw ``optimize rules`` makes).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from sqlfix.config import load_config
from sqlfix.context import Context
from sqlfix.optimize import seeds
from sqlfix.optimize.deoptimize import deoptimize, select_with_quotas
from sqlfix.sql.normalize import normalized


def slow_items(lake_root: str, sites: int, label: str) -> tuple[list[dict], dict]:
    ctx = Context(load_config("local", lake_root=lake_root))
    scfg = ctx.cfg["optimize"]["seeds"]
    cols = ["corpus_id", "sql_text", "source", "origin", "tables", "schema_ddl"]
    rows = [r.asDict() for r in ctx.lake.read("sql_corpus").select(*cols).orderBy("corpus_id").collect()]
    t0 = time.perf_counter()
    specs, placed, rejected = seeds.place(rows, ctx.cfg["dataset"]["reserved"], scfg)
    items, seen = [], set()
    for p in placed:
        where = {}
        if p.domain in specs:
            where = {"schema": {s.view: {c.name: c.type for c in s.columns} for s in specs[p.domain]},
                     "partition_columns": {c for s in specs[p.domain] for c in s.partition_by}}  # fmt: skip
        for pattern, slow in deoptimize(p.sql, sites=sites, **where):
            key = normalized(slow)
            if key not in seen:
                seen.add(key)
                items.append({"pattern": pattern, "domain": f"{label}:{p.domain}", "seed": p.seed_id})
    stats = {"corpus": len(rows), "candidates": len(placed), "domains": len({p.domain for p in placed}),
             "rejected": dict(Counter(r["reason"] for r in rejected).most_common()),
             "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
    return items, stats


def describe(items: list[dict], max_share: float) -> list[str]:
    by_pattern = Counter(i["pattern"] for i in items)
    drawn = select_with_quotas(items, len(items), max_share)
    top_p = Counter(i["pattern"] for i in drawn).most_common(1)
    top_d = Counter(i["domain"] for i in drawn).most_common(1)
    return [
        f"  distinct slow queries: {len(items)} over {len({i['domain'] for i in items})} domains, "
        f"from {len({i['seed'] for i in items})} seeds",
        "  by pattern: " + ", ".join(f"{p} {n}" for p, n in by_pattern.most_common()),
        f"  one draw under the quotas (<= {max_share:.0%} per pattern and per domain): {len(drawn)}"
        + (f" (largest pattern {top_p[0][0]} {top_p[0][1]}, largest domain {top_d[0][1]})" if drawn else ""),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lake-root", action="append", required=True, help="a lake whose sql_corpus to read (repeat)")
    ap.add_argument("--sites", type=int, default=3, help="per rule and region, how many sites (optimize.sites)")
    ap.add_argument("--max-share", type=float, default=0.25, help="the quota per pattern and per domain")
    args = ap.parse_args()
    everything = []
    for n, root in enumerate(args.lake_root):
        items, stats = slow_items(root, args.sites, f"lake{n}")
        everything += items
        print(f"# {root}: {stats['corpus']} corpus queries -> {stats['candidates']} candidate seeds in "
              f"{stats['domains']} domains ({stats['seconds']}s); rejected before running: {stats['rejected']}")  # fmt: skip
        print("\n".join(describe(items, args.max_share)))
    if len(args.lake_root) > 1:
        print(f"# all {len(args.lake_root)} lakes (sites {args.sites})")
        print("\n".join(describe(everything, args.max_share)))


if __name__ == "__main__":
    main()
