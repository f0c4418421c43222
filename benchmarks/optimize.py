"""SQL optimisation data on the validation split: equivalence on an unseen instance, speed-ups, diversity, cost.

    .venv/bin/python benchmarks/optimize.py --lake-root LAKE                  # after `sqlfix optimize run`
    .venv/bin/python benchmarks/optimize.py --lake-root LAKE --policies       # also each iteration's policy

Pass the run's own ``--set`` overrides (instances, keep threshold, ``optimize.seeds.builtin``) and its
``--limit`` so that both draw the same validation slow queries, over the same seeds: the hand-written ones
and/or the corpus seeds of ``sqlfix optimize seeds`` (``opt_seeds``, each over its own domain's tables).

For the rule-based rewrites (iteration 0) and, with ``--policies``, each iteration's fine-tuned policy
(``opt_runs.model_path``, sampling ``--k`` rewrites per validation slow query): kept rewrites of the
validation slow queries, their equivalence re-checked on a *holdout* instance never used while generating
(target 100 %; the holdout draw of each domain's tables is written first), the validation rate (slow
queries with a kept rewrite / validation slow queries), the share of slow queries made >= 1.5x and >= 2x
faster, the geometric-mean speed-up and the regression rate. Then, over ``opt_pairs``: the largest pattern
share, unique normalised slow queries, the reward's median and spread, and the seconds verification spent per
tier (what the cheap tiers save).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import Counter, defaultdict

from pyspark.sql import functions as F
from sqlfix.config import load_config
from sqlfix.context import Context
from sqlfix.optimize.databases import Instance
from sqlfix.optimize.rules import candidates, slow_queries
from sqlfix.optimize.run import Verifiers, holdout_verifiers, instances, reward_from_config, seed_pool
from sqlfix.sql.normalize import normalized


def _summary(best: dict[str, float | None], n: int) -> dict:
    speedups = [s for s in best.values() if s]
    return {
        "slow_queries": n, "with_kept_rewrite": len(speedups),
        "validation_rate": round(len(speedups) / n, 3) if n else None,
        "share_ge_1.5x": round(sum(s >= 1.5 for s in speedups) / n, 3) if n else None,
        "share_ge_2x": round(sum(s >= 2.0 for s in speedups) / n, 3) if n else None,
        "geomean_speedup": round(math.exp(statistics.fmean(math.log(s) for s in speedups)), 3) if speedups else None,
        "regression_rate": round(sum(s < 1.0 for s in speedups) / len(speedups), 3) if speedups else None,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake-root", default="lake")
    parser.add_argument("--policies", action="store_true", help="also sample each iteration's policy")
    parser.add_argument("--k", type=int, default=2)
    parser.add_argument("--limit", type=int, help="the run's own --limit (which slow queries were drawn)")
    parser.add_argument("--holdout-seed", type=int, default=99)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="the run's own --set's")
    args = parser.parse_args()
    ctx = Context(load_config(lake_root=args.lake_root, overrides=args.set))
    lake, ocfg = ctx.lake, ctx.cfg["optimize"]
    pool = seed_pool(ctx)  # the run's seeds: hand-written and/or corpus seeds (optimize.seeds.builtin)
    items = [i for i in slow_queries(int(args.limit or ocfg["slow_queries"]), float(ocfg["max_pattern_share"]),
                                     float(ocfg["validation_share"]), pool=pool, sites=int(ocfg["sites"]))
             if i["split"] == "validation"]  # fmt: skip
    large = next(i for i in instances(ctx.cfg) if i.name == ocfg["large"])
    verifiers = Verifiers(ctx.cfg, ctx.spark, pool)
    unseen = holdout_verifiers(
        ctx, pool, {i["domain"] for i in items}, Instance("holdout", large.scale, args.holdout_seed)
    )
    reward = reward_from_config(ocfg)
    print(json.dumps({"validation_slow_queries": len(items), "domains": len({i["domain"] for i in items}),
                      "patterns": dict(Counter(i["pattern"] for i in items))}))  # fmt: skip
    rounds = {"rules": [[fast for _, fast in candidates(i, pool.schema(i["domain"]))] for i in items]}
    if args.policies:
        from sqlfix.inference.generate import HFGenerator
        from sqlfix.optimize import restem

        for run in lake.read("opt_runs").filter(F.col("iteration") > 0).orderBy("iteration").collect():
            gen = HFGenerator(
                run["model_path"], batch_size=int(ocfg["batch_size"]), max_new_tokens=int(ocfg["max_new_tokens"])
            )
            rounds[f"iteration {run['iteration']}"] = restem.sample(
                gen, items, lambda item: pool.ddls(item["domain"]), args.k, float(ocfg["temperature"])
            )
    for name, texts in rounds.items():
        best, unseen_checked, unseen_equal = {}, 0, 0
        for item, fasts in zip(items, texts, strict=True):
            for fast in fasts:
                check = verifiers(item["domain"]).check(item["slow_sql"], fast)
                if not (check.passed and reward.keep(reward.score(check.speedup, True))):
                    continue
                unseen_checked += 1
                unseen_equal += unseen(item["domain"]).check(item["slow_sql"], fast, measure=False).passed
                if check.speedup > (best.get(item["slow_sql"]) or 0):
                    best[item["slow_sql"]] = check.speedup
        print(json.dumps({"round": name, **_summary(best, len(items)), "kept_rewrites": unseen_checked,
                          "equivalent_on_unseen_instance": round(unseen_equal / unseen_checked, 3) if unseen_checked else None}))  # fmt: skip

    pairs = [r.asDict() for r in lake.read("opt_pairs").collect()]
    slow = {r["slow_sql"]: r["pattern"] for r in pairs}
    patterns = Counter(slow.values())
    rewards = [r["reward"] for r in pairs if r["equivalent"]]
    tiers: dict[str, list[float]] = defaultdict(list)
    for r in pairs:
        for tier, s in json.loads(r["verify_seconds"] or "{}").items():
            tiers[tier].append(s)
    stopped_early = sum(1 for r in pairs if r["tier"] != "cost")
    print(json.dumps({
        "slow_queries": len(slow), "largest_pattern_share": round(max(patterns.values()) / len(slow), 3) if slow else None,
        "unique_normalised_slow_share": round(len({normalized(s) for s in slow}) / len(slow), 3) if slow else None,
        "reward_median": round(statistics.median(rewards), 3) if rewards else None,
        "reward_stdev": round(statistics.stdev(rewards), 3) if len(rewards) > 1 else None,
        "seconds_per_tier": {t: round(statistics.fmean(v), 4) for t, v in sorted(tiers.items())},
        "candidates": len(pairs), "stopped_before_cost": stopped_early,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
