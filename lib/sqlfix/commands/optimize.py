"""``sqlfix optimize``: SQL optimisation data verified on Spark (the second seed; after Quill, on Spark).

- ``sqlfix optimize databases``: every instance of ``optimize.instances`` (Quill's five domains and a
  TPC-DS-shaped star, seeded, at its scale) as Delta tables (overwritten: idempotent).
- ``sqlfix optimize rules``: the rule-based round: slow queries from the de-optimisers under the diversity
  quotas, the inverse and sqlglot rewrites as candidates, tiered verification on the instances, the reward
  -> ``opt_pairs`` (merged on pair_id), and the reward distribution printed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

from sqlfix.commands import Subcommand
from sqlfix.optimize.databases import Instance, all_tables, build_instance, instance_session
from sqlfix.optimize.deoptimize import PYTHON_UDFS
from sqlfix.optimize.reward import Reward, distribution
from sqlfix.optimize.rules import candidates, pair_id, slow_queries
from sqlfix.optimize.verify import Verifier
from sqlfix.tables import OPT_PAIRS


def instances(cfg: dict) -> list[Instance]:
    return [Instance(i["name"], float(i["scale"]), int(i["seed"])) for i in cfg["optimize"]["instances"]]


def run_databases(ctx) -> dict:
    out = {}
    for inst in instances(ctx.cfg):
        t0 = time.perf_counter()
        counts = build_instance(ctx.lake, inst)
        out[inst.name] = {"rows": sum(counts.values()), "seconds": round(time.perf_counter() - t0, 1)}
    return out


def run_rules(ctx, limit: int | None = None) -> dict:
    ocfg = ctx.cfg["optimize"]
    insts = instances(ctx.cfg)
    sessions = {i.name: instance_session(ctx.cfg, ctx.spark, i, PYTHON_UDFS) for i in insts}
    schema = {t.name: {n: typ for n, typ, _ in t.columns} for t in all_tables()}
    verifier = Verifier(sessions, ocfg["large"], {t.name for t in all_tables()}, repeats=int(ocfg["repeats"]))
    reward = Reward(cap=float(ocfg["reward"]["cap"]), keep_threshold=float(ocfg["reward"]["keep_threshold"]),
                    regression_penalty=float(ocfg["reward"]["regression_penalty"]))  # fmt: skip
    items = slow_queries(int(limit or ocfg["slow_queries"]), float(ocfg["max_pattern_share"]),
                         float(ocfg["validation_share"]))  # fmt: skip
    now, records = dt.datetime.now(dt.timezone.utc), []
    for item in items:
        for source, fast in candidates(item, schema):
            check = verifier.check(item["slow_sql"], fast)
            score = reward.score(check.speedup, check.passed, item["slow_sql"], fast)
            records.append({
                "pair_id": pair_id(item["slow_sql"], fast), "iteration": 0, "seed_id": item["seed_id"],
                "split": item["split"], "domain": item["domain"], "pattern": item["pattern"],
                "slow_sql": item["slow_sql"], "fast_sql": fast, "candidate": source, "tier": check.tier,
                "equivalent": check.passed, "reason": check.reason, "differs_on": check.differs_on,
                "speedup": check.speedup, "reward": score, "kept": check.passed and reward.keep(score),
                "slow_seconds": check.slow_seconds, "fast_seconds": check.fast_seconds,
                "slow_metrics": json.dumps(check.slow_metrics), "fast_metrics": json.dumps(check.fast_metrics),
                "verify_seconds": json.dumps(check.seconds_by_tier), "created_at": now,
            })  # fmt: skip
    if records:
        ctx.lake.merge("opt_pairs", ctx.spark.createDataFrame(records, OPT_PAIRS.spark_schema), update=True)
    return {"slow_queries": len(items), "candidates": len(records), "kept": sum(r["kept"] for r in records),
            "patterns": Counter(i["pattern"] for i in items), "domains": Counter(i["domain"] for i in items),
            "rewards": distribution([r["reward"] for r in records if r["equivalent"]]),
            "tiers": Counter(r["tier"] for r in records if not r["equivalent"]), "records": records}  # fmt: skip


def _databases(ctx, args) -> int:
    for name, info in run_databases(ctx).items():
        print(f"optimize: instance {name}: {info['rows']:,} rows in {info['seconds']}s")
    return 0


def _add_rules(parser) -> None:
    parser.add_argument("--limit", type=int, default=None, help="slow queries (default optimize.slow_queries)")


def _rules(ctx, args) -> int:
    out = run_rules(ctx, args.limit)
    share = max(out["patterns"].values()) / out["slow_queries"] if out["slow_queries"] else 0
    print(f"optimize: {out['slow_queries']} slow queries ({len(out['patterns'])} patterns, largest share "
          f"{share:.0%}; {len(out['domains'])} domains), {out['candidates']} candidates, {out['kept']} kept -> opt_pairs")  # fmt: skip
    print(f"optimize: reward distribution of equivalent rewrites: {out['rewards']}")
    if out["tiers"]:
        print(f"optimize: failed verification at tier: {dict(out['tiers'])}")
    for r in sorted(out["records"], key=lambda r: -(r["speedup"] or 0)):
        s = "-" if r["speedup"] is None else f"{r['speedup']:.2f}x"
        print(f"  {r['pattern']:<30} {r['seed_id']:<36} {r['candidate']:<8} {r['tier']:<9} {s:>8}  "
              f"reward {r['reward']:+.2f}{'  kept' if r['kept'] else ''}")  # fmt: skip
    return 0


SUBCOMMANDS = {
    "optimize": None,  # filled below: `sqlfix optimize databases|rules`
}


def _add(parser) -> None:
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    sub.add_parser("databases", help="generate the instances' Delta tables")
    _add_rules(sub.add_parser("rules", help="the rule-based round -> opt_pairs"))


def _run(ctx, args) -> int:
    return _databases(ctx, args) if args.stage == "databases" else _rules(ctx, args)


SUBCOMMANDS["optimize"] = Subcommand(
    "SQL optimisation data verified on Spark: databases, slow queries, verified rewrites.", _add, _run,
    section="optimize",
)  # fmt: skip
