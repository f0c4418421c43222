"""``sqlfix optimize``: SQL optimisation data verified on Spark (the second seed; after Quill, on Spark).

- ``sqlfix optimize databases``: every instance of ``optimize.instances`` (Quill's five domains and a
  TPC-DS-shaped star, seeded, at its scale) as Delta tables (overwritten: idempotent).
- ``sqlfix optimize rules [--junior]``: the rule-based round: slow queries from the de-optimisers (and the
  LLM junior developer) under the diversity quotas, the inverse and sqlglot rewrites as candidates, tiered
  verification on the instances, the reward -> ``opt_pairs`` (merged on pair_id), the reward distribution.
- ``sqlfix optimize run --iterations N``: the ReSTEM loop (``opt_runs``: one row per finished iteration).
- ``sqlfix optimize export --out DIR``: kept pairs plus renamed copies as chat JSON Lines.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

from sqlfix.commands import Subcommand
from sqlfix.optimize.databases import Instance, all_tables, build_instance, ddl_by_table, instance_session, schema
from sqlfix.optimize.deoptimize import PYTHON_UDFS, select_with_quotas
from sqlfix.optimize.reward import Reward, distribution
from sqlfix.optimize.rules import candidates, pair_id, slow_queries
from sqlfix.optimize.verify import Verifier
from sqlfix.tables import OPT_PAIRS, OPT_RUNS


def instances(cfg: dict) -> list[Instance]:
    return [Instance(i["name"], float(i["scale"]), int(i["seed"])) for i in cfg["optimize"]["instances"]]


def make_verifier(cfg: dict, spark, insts: list[Instance] | None = None, large: str | None = None) -> Verifier:
    """A verifier over hardened sessions of ``insts`` (default: ``optimize.instances``), the Python UDFs the
    de-optimisers use registered in each."""
    insts = insts or instances(cfg)
    sessions = {i.name: instance_session(cfg, spark, i, PYTHON_UDFS) for i in insts}
    ocfg = cfg["optimize"]
    return Verifier(sessions, large or ocfg["large"], {t.name for t in all_tables()}, repeats=int(ocfg["repeats"]),
                    max_rows=int(ocfg["verify_max_rows"]), timeout_s=float(ocfg["verify_timeout_s"]))  # fmt: skip


def run_databases(ctx) -> dict:
    out = {}
    for inst in instances(ctx.cfg):
        t0 = time.perf_counter()
        counts = build_instance(ctx.lake, inst)
        out[inst.name] = {"rows": sum(counts.values()), "seconds": round(time.perf_counter() - t0, 1)}
    return out


def run_rules(ctx, limit: int | None = None, junior=None) -> dict:
    ocfg = ctx.cfg["optimize"]
    tables = schema()
    verifier = make_verifier(ctx.cfg, ctx.spark)
    reward = _reward(ocfg)
    items = slow_queries(int(limit or ocfg["slow_queries"]), float(ocfg["max_pattern_share"]),
                         float(ocfg["validation_share"]))  # fmt: skip
    junior_outcomes = {}
    if junior is not None:  # the LLM junior developer's slow queries, verified like the rules' ones
        from sqlfix.optimize.junior import junior_slow_queries
        from sqlfix.optimize.queries import SEEDS
        from sqlfix.optimize.restem import tables_ddl

        ddls = ddl_by_table()
        extra, junior_outcomes = junior_slow_queries(
            junior, list(SEEDS), lambda sql: tables_ddl(sql, ddls),
            int(ctx.cfg["generation"]["llm"]["max_requests"]), float(ocfg["validation_share"]),
        )  # fmt: skip
        pool = slow_queries(10**6, 1.0, float(ocfg["validation_share"])) + extra  # one draw under the quotas
        items = select_with_quotas(pool, len(items) + len(extra), float(ocfg["max_pattern_share"]))
    now, records = dt.datetime.now(dt.timezone.utc), []
    for item in items:
        for source, fast in candidates(item, tables):
            check = verifier.check(item["slow_sql"], fast)
            score = reward.score(check.speedup, check.passed, item["slow_sql"], fast)
            records.append(_record(item, source, fast, check, score, check.passed and reward.keep(score), 0, now))
    if records:
        ctx.lake.merge("opt_pairs", ctx.spark.createDataFrame(records, OPT_PAIRS.spark_schema), update=True)
    return {"slow_queries": len(items), "candidates": len(records), "kept": sum(r["kept"] for r in records),
            "patterns": Counter(i["pattern"] for i in items), "domains": Counter(i["domain"] for i in items),
            "rewards": distribution([r["reward"] for r in records if r["equivalent"]]),
            "tiers": Counter(r["tier"] for r in records if not r["equivalent"]), "records": records,
            "junior": junior_outcomes}  # fmt: skip


def _record(item: dict, source: str, fast: str, check, score: float, keep: bool, iteration: int, now) -> dict:
    return {
        "pair_id": pair_id(item["slow_sql"], fast), "iteration": iteration, "seed_id": item["seed_id"],
        "split": item["split"], "domain": item["domain"], "pattern": item["pattern"],
        "slow_sql": item["slow_sql"], "fast_sql": fast, "candidate": source, "tier": check.tier,
        "equivalent": check.passed, "reason": check.reason, "differs_on": check.differs_on,
        "speedup": check.speedup, "reward": score, "kept": keep,
        "slow_seconds": check.slow_seconds, "fast_seconds": check.fast_seconds,
        "slow_metrics": json.dumps(check.slow_metrics), "fast_metrics": json.dumps(check.fast_metrics),
        "verify_seconds": json.dumps(check.seconds_by_tier), "created_at": now,
    }  # fmt: skip


def _finish(ctx, iteration: int, policy, model_path, metrics: dict) -> None:
    row = {"iteration": iteration, "status": "done", "policy": policy, "model_path": model_path,
           "opt_pairs_version": ctx.lake.version("opt_pairs"), "metrics": json.dumps(metrics, sort_keys=True),
           "finished_at": dt.datetime.now(dt.timezone.utc)}  # fmt: skip
    ctx.lake.merge("opt_runs", ctx.spark.createDataFrame([row], OPT_RUNS.spark_schema), update=True)


def run_loop(ctx, iterations: int, model: str | None, k: int, steps: int, limit: int | None, say=print) -> list[dict]:
    """Iteration 0 (rules), then ``iterations`` ReSTEM iterations; iterations already done are skipped."""
    from pathlib import Path

    from pyspark.sql import functions as F

    from sqlfix.inference.generate import HFGenerator
    from sqlfix.optimize import restem

    ocfg = ctx.cfg["optimize"]
    done = {r["iteration"]: r.asDict() for r in ctx.lake.read("opt_runs").filter(F.col("status") == "done").collect()}
    if 0 not in done:
        out = run_rules(ctx, limit)
        _finish(ctx, 0, None, None, restem.iteration_metrics(out["records"], out["slow_queries"]))
        say(f"optimize: iteration 0 (rules): {out['kept']} kept of {out['candidates']} candidates")
    else:
        say("optimize: iteration 0 (rules) done already")
    verifier = make_verifier(ctx.cfg, ctx.spark)
    reward = _reward(ocfg)
    ddls = ddl_by_table()
    items = [i for i in slow_queries(int(limit or ocfg["slow_queries"]), float(ocfg["max_pattern_share"]),
                                     float(ocfg["validation_share"])) if i["split"] == "train"]  # fmt: skip
    policy = model or ctx.cfg["train"]["model"]
    if model is None and not (Path(policy) / "config.json").is_file():
        from sqlfix.training.base_model import prepare

        say(f"optimize: converting the embedded default base model into {policy}")
        prepare(Path(policy))
    root = Path(ocfg["output_dir"])
    summaries = []
    for it in range(1, iterations + 1):
        if it in done:
            policy = done[it]["model_path"]
            say(f"optimize: iteration {it} done already (policy {policy})")
            continue
        generator = HFGenerator(policy, batch_size=int(ocfg["batch_size"]), max_new_tokens=int(ocfg["max_new_tokens"]))
        samples = restem.sample(generator, items, ddls, k, float(ocfg["temperature"]))
        del generator
        now, records = dt.datetime.now(dt.timezone.utc), []
        for item, texts in zip(items, samples, strict=True):
            for fast in texts:
                check = verifier.check(item["slow_sql"], fast)
                score = reward.score(check.speedup, check.passed, item["slow_sql"], fast)
                records.append(_record(item, f"policy:{Path(policy).name}", fast, check, score,
                                            check.passed and reward.keep(score), it, now))  # fmt: skip
        kept = [r.asDict() for r in ctx.lake.read("opt_pairs").filter(F.col("kept")).collect()]
        rows = restem.training_rows(kept + [r for r in records if r["kept"]], ddls)
        metrics = restem.iteration_metrics(records, len(items))
        say(f"optimize: iteration {it}: {len(records)} sampled rewrites, {metrics['equivalent']} equivalent, "
            f"{metrics['kept']} kept; rewards mean {metrics['reward_mean']} stdev {metrics['reward_stdev']}; "
            f"fine-tuning on {len(rows)} kept pairs for {steps} steps")  # fmt: skip
        if rows and steps > 0:
            data = restem.write_dataset(
                rows, root / f"iter-{it}" / "data", f"opt_pairs@v{ctx.lake.version('opt_pairs')}"
            )
            policy = str(restem.fine_tune(dict(ctx.cfg["train"]), data, root / f"iter-{it}" / "run", policy, steps))
        if records:  # written once the iteration's policy is trained: a crash before leaves opt_pairs as it was
            ctx.lake.merge("opt_pairs", ctx.spark.createDataFrame(records, OPT_PAIRS.spark_schema), update=True)
        _finish(ctx, it, str(policy), str(policy), metrics)
        summaries.append({"iteration": it, **metrics})
    return summaries


def _reward(ocfg: dict) -> Reward:
    return Reward(cap=float(ocfg["reward"]["cap"]), keep_threshold=float(ocfg["reward"]["keep_threshold"]),
                  regression_penalty=float(ocfg["reward"]["regression_penalty"]))  # fmt: skip


def run_export(ctx, out, copies: int) -> dict:
    """Kept pairs of ``opt_pairs`` plus ``copies`` renamed copies of each (split first, then augment) as chat
    JSON Lines: ``train.jsonl`` and ``validation.jsonl``."""
    from pyspark.sql import functions as F

    from sqlfix.optimize import augment, restem

    tables_ = schema()
    kept = [r.asDict() for r in ctx.lake.read("opt_pairs").filter(F.col("kept")).orderBy("pair_id").collect()]
    copies_, rejected = augment.augment(kept, tables_, copies)

    def render(row: dict) -> str:
        tables = row.get("schema") or tables_
        ddls = {t: f"CREATE TABLE {t} ({', '.join(f'{c} {typ.upper()}' for c, typ in cols.items())})"
                for t, cols in tables.items()}  # fmt: skip
        return restem.render_opt_prompt(restem.tables_ddl(row["slow_sql"], ddls), row["slow_sql"])

    counts = augment.export(kept + copies_, out, render)
    return {**counts, "originals": len(kept), "copies": len(copies_), "rejected_copies": rejected}


def _export(ctx, args) -> int:
    from pathlib import Path

    out = run_export(ctx, Path(args.out), args.copies)
    print(f"optimize: exported {out['train']} train / {out['validation']} validation chat records to {args.out} "
          f"({out['originals']} kept pairs + {out['copies']} renamed copies; {out['rejected_copies']} copies "
          f"rejected: a name did not resolve)")  # fmt: skip
    return 0


def _databases(ctx, args) -> int:
    for name, info in run_databases(ctx).items():
        print(f"optimize: instance {name}: {info['rows']:,} rows in {info['seconds']}s")
    return 0


def _add_rules(parser) -> None:
    parser.add_argument("--limit", type=int, default=None, help="slow queries (default optimize.slow_queries)")
    parser.add_argument("--junior", action="store_true",
                        help="also slow queries from the LLM junior developer (the generation.llm endpoint)")  # fmt: skip


def _rules(ctx, args) -> int:
    junior = None
    if args.junior:
        from sqlfix.generation.llm import backend_from_config

        junior = backend_from_config(ctx.cfg["generation"])
    out = run_rules(ctx, args.limit, junior)
    if out["junior"]:
        print(f"optimize: LLM junior developer answers: {out['junior']}")
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


def _add(parser) -> None:
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    sub.add_parser("databases", help="generate the instances' Delta tables")
    _add_rules(sub.add_parser("rules", help="the rule-based round -> opt_pairs"))
    run = sub.add_parser("run", help="the ReSTEM loop: rules, then N iterations of sample -> verify -> fine-tune")
    run.add_argument("--iterations", type=int, default=1)
    run.add_argument("--model", default=None, help="the first policy (default: train.model, the embedded default)")
    run.add_argument("--k", type=int, default=None, help="rewrites sampled per slow query (default optimize.k)")
    run.add_argument("--steps", type=int, default=None, help="fine-tuning steps per iteration (default optimize.steps)")
    run.add_argument("--limit", type=int, default=None, help="slow queries (default optimize.slow_queries)")
    run.add_argument("--no-mlflow", action="store_true", help="do not log the iterations' metrics to MLflow")
    exp = sub.add_parser("export", help="kept pairs and renamed copies as chat JSON Lines (split before augment)")
    exp.add_argument("--out", required=True, help="folder for train.jsonl and validation.jsonl")
    exp.add_argument("--copies", type=int, default=2, help="renamed copies per kept pair (default 2)")


def log_iterations(mlflow_cfg: dict, summaries: list[dict], params: dict) -> str | None:
    """One MLflow run per ``sqlfix optimize run``: every iteration's numeric metrics at its step, and the
    pattern mix as a JSON artifact per iteration."""
    if not summaries:
        return None
    import mlflow

    mlflow.set_tracking_uri(mlflow_cfg["tracking_uri"])
    mlflow.set_experiment(mlflow_cfg.get("experiment_optimize") or "sqlfix-optimize")
    with mlflow.start_run(run_name="restem") as run:
        mlflow.log_params(params)
        for s in summaries:
            numeric = {k: float(v) for k, v in s.items() if isinstance(v, int | float) and k != "iteration"}
            mlflow.log_metrics(numeric, step=int(s["iteration"]))
            mlflow.log_dict(s.get("pattern_mix") or {}, f"pattern_mix/iteration-{s['iteration']}.json")
        return run.info.run_id


def _loop(ctx, args) -> int:
    ocfg = ctx.cfg["optimize"]
    k = args.k if args.k is not None else int(ocfg["k"])
    steps = args.steps if args.steps is not None else int(ocfg["steps"])
    summaries = run_loop(ctx, args.iterations, args.model, k, steps, args.limit)
    if not args.no_mlflow:
        run_id = log_iterations(ctx.cfg["train"]["mlflow"], summaries, {"k": k, "steps": steps,
                                "iterations": args.iterations, "model": args.model or ctx.cfg["train"]["model"]})  # fmt: skip
        if run_id:
            print(f"optimize: iteration metrics in MLflow run {run_id}")
    for s in summaries:
        print(f"optimize: iteration {s['iteration']}: success rate {s['success_rate']:.0%}, "
              f"{s['unique_rewrites']} unique rewrites, mean speed-up {s['speedup_mean']}, p90 {s['speedup_p90']}, "
              f"{s['regressions']} regressions")  # fmt: skip
    return 0


def _run(ctx, args) -> int:
    return {"databases": _databases, "rules": _rules, "run": _loop, "export": _export}[args.stage](ctx, args)


SUBCOMMANDS = {
    "optimize": Subcommand(
        "SQL optimisation data verified on Spark: databases, slow queries, verified rewrites, ReSTEM.",
        _add,
        _run,
        section="optimize",
    )
}
