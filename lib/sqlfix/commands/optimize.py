"""``sqlfix optimize``: SQL optimisation data verified on Spark (the second seed; after Quill, on Spark).

- ``sqlfix optimize databases``: every instance of ``optimize.instances`` (Quill's five domains and a
  TPC-DS-shaped star, seeded, at its scale) as Delta tables (overwritten: idempotent).
- ``sqlfix optimize seeds``: ``sql_corpus`` queries over data generated for their DDL -> ``opt_seeds``
  (the rest, with the reason, -> ``opt_seeds_rejected``); the rounds below draw from them too.
- ``sqlfix optimize rules [--junior]``: the rule-based round: slow queries from the de-optimisers (and the
  LLM junior developer) under the diversity quotas, the inverse and sqlglot rewrites as candidates, tiered
  verification on the instances, the reward -> ``opt_pairs`` (merged on pair_id), the reward distribution.
- ``sqlfix optimize run --iterations N``: the ReSTEM loop (``opt_runs``: one row per finished iteration).
- ``sqlfix optimize export --out DIR``: kept pairs plus renamed copies as chat JSON Lines.
"""

from __future__ import annotations

from sqlfix.commands import Subcommand
from sqlfix.optimize.run import log_iterations, run_databases, run_export, run_loop, run_rules, run_seeds


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


def _seeds(ctx, args) -> int:
    out = run_seeds(ctx)
    print(f"optimize: {out['kept']} seeds of {out['corpus']} corpus queries -> opt_seeds ({len(out['domains'])} "
          f"domains, {out['generated_tables']} tables generated); patterns {dict(out['patterns'].most_common())}; "
          f"rejected -> opt_seeds_rejected: {dict(out['rejected'].most_common())}")  # fmt: skip
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
    out = run_rules(ctx, junior=junior)
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
    sub.add_parser("seeds", help="sql_corpus queries as seeds over data generated for their DDL")
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


def _loop(ctx, args) -> int:
    ocfg = ctx.cfg["optimize"]
    k, steps = int(ocfg["k"]), int(ocfg["steps"])
    summaries = run_loop(ctx, args.iterations, args.model, k, steps, None)
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
    return {"databases": _databases, "seeds": _seeds, "rules": _rules, "run": _loop, "export": _export}[args.stage](ctx, args)


SUBCOMMANDS = {
    "optimize": Subcommand(
        "SQL optimisation data verified on Spark: databases, slow queries, verified rewrites, ReSTEM.",
        _add,
        _run,
        section="optimize",
        flags={"limit": "optimize.slow_queries", "k": "optimize.k", "steps": "optimize.steps"},
    )
}
