"""Fix rates on the failed queries of a domain the model never trained on, by edit size, measured side by
side in one run:

- ``greedy``: the model's greedy answer as it is (no verification, no retries) — AST-equal to the
  reference, and passing the analyzer;
- ``repairs``: the deterministic repairs alone, verified;
- ``model+verify``: the model alone with verification, samples and feedback rounds (no repairs);
- ``fix``: ``sqlfix fix`` — repairs, then the model with samples and feedback rounds, verified.

    .venv/bin/python benchmarks/fix_rate.py --root /tmp/demo --model @champion --database ads [--limit 40]

``--root`` is the ``output_root`` of a lake the demo (or the pipeline) built; its latest ``sft_eval`` is read
and the samples that read ``--database`` are used (the demo holds that domain out of training).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="output_root of the lake and registry")
    ap.add_argument("--model", default="@champion")
    ap.add_argument("--database", default="ads")
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args(argv)

    from sqlfix.config import load_config
    from sqlfix.context import Context
    from sqlfix.dataset.build import databases
    from sqlfix.dataset.prompt import render_prompt
    from sqlfix.evaluation.evaluate import pick
    from sqlfix.evaluation.metrics import ast_match, edit_size
    from sqlfix.evaluation.run import resolve_models
    from sqlfix.filtering.judge import judge_from_config
    from sqlfix.inference.generate import load_generator
    from sqlfix.repair.service import Fixer

    ctx = Context(load_config("local", overrides=[f"output_root={args.root}"]))
    rows = [r.asDict() for r in ctx.lake.read("sft_eval").collect()]
    rows = pick([r for r in rows if args.database in databases(r["bug_sql"])], args.limit)
    model = resolve_models(ctx, [args.model])[0]
    generator = load_generator(model.path, "hf", 8)
    judge = judge_from_config(ctx.spark, ctx.cfg)
    prompts = [render_prompt(r["schema_ddl"], r["bug_sql"], r["error_message"]) for r in rows]
    t0 = time.perf_counter()
    greedy = [c[0].sql for c in generator.generate(prompts, [r["bug_sql"] for r in rows])]
    greedy_s = (time.perf_counter() - t0) / max(1, len(rows))
    # each its own judge: no fixer profits from the other's cache of dry runs
    rules = Fixer(judge_from_config(ctx.spark, ctx.cfg))
    full = Fixer(judge_from_config(ctx.spark, ctx.cfg), generator, samples=args.samples, rounds=args.rounds)
    model_only = Fixer(judge_from_config(ctx.spark, ctx.cfg), generator, samples=args.samples, rounds=args.rounds,
                       use_rules=False)  # fmt: skip
    stats: dict = defaultdict(lambda: defaultdict(float))
    for r, answer in zip(rows, greedy, strict=True):
        size = edit_size(r["bug_sql"], r["fixed_sql"])
        s = stats[size]
        s["n"] += 1
        judge.box.load(r["schema_ddl"])
        passes = judge.side(answer).ok if answer.strip() else False
        s["greedy_ast"] += passes and ast_match(answer, r["fixed_sql"])
        s["greedy_pass"] += passes
        s["greedy_s"] += greedy_s
        for name, fixer in (("repairs", rules), ("model", model_only), ("fix", full)):
            fixer.judge.box.load(r["schema_ddl"])
            result = fixer.fix(r["bug_sql"], r["schema_ddl"], r["error_message"])
            s[f"{name}_verified"] += result.verified
            s[f"{name}_ast"] += bool(result.fixed_sql) and ast_match(result.fixed_sql, r["fixed_sql"])
            s[f"{name}_s"] += result.seconds
            s[f"{name}_verify_s"] += result.verify_seconds
    print(f"model {model.label}; {len(rows)} eval samples of held-out database {args.database}")
    print(f"{'edit size':<13} {'n':>3}  {'greedy: ref / passes':>21}  {'repairs: verified / ref':>24}  "
          f"{'model+verify: verified / ref':>29}  {'fix: verified / ref':>20}  {'s/query (repairs, model, fix)':>30}  "
          f"{'fix verify share':>16}")  # fmt: skip
    for size in sorted(stats):
        s = stats[size]
        n = s["n"]

        def pct(key: str, s=s, n=n) -> str:
            return f"{100 * s[key] / n:5.1f}%"

        print(f"{size:<13} {int(n):>3}  {pct('greedy_ast'):>10} / {pct('greedy_pass'):>8}  "
              f"{pct('repairs_verified'):>11} / {pct('repairs_ast'):>10}  {pct('model_verified'):>16} / {pct('model_ast'):>10}  "
              f"{pct('fix_verified'):>8} / {pct('fix_ast'):>9}  {s['repairs_s'] / n:>9.2f} {s['model_s'] / n:>9.2f} "
              f"{s['fix_s'] / n:>9.2f}  {100 * s['fix_verify_s'] / max(s['fix_s'], 1e-9):>15.1f}%")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
