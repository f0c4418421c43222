"""The model path's latency on long queries, localised repair against whole-query rewriting, side by side in
one run: the same queries, the same model, the same time budget per query (``fix.budget_s``).

The queries are the held-out domain's eval samples whose error names a line, made ``--lines`` long by a
block of comment lines above them (what a scheduled query's header looks like): the bug, its line and the
fix do not change, but a whole-query rewrite has to generate all of it again. Repairs are off, so that every
query takes the model path.

    .venv/bin/python benchmarks/fix_latency.py --root /tmp/demo/main --model @champion [--n 8] [--lines 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys

import held_out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    held_out.add_arguments(ap)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--lines", type=int, default=100)
    args = ap.parse_args(argv)

    from sqlfix.evaluation.metrics import ast_match
    from sqlfix.evaluation.run import resolve_models
    from sqlfix.filtering.judge import judge_from_config
    from sqlfix.inference.generate import load_generator
    from sqlfix.repair.rules import error_position
    from sqlfix.repair.service import Fixer

    ctx, rows = held_out.samples(args, args.n, lambda r: error_position(r["error_message"]) is not None)
    model = resolve_models(ctx, [args.model])[0]
    generator = load_generator(model.path, "hf", 1)
    judge = judge_from_config(ctx.spark, ctx.cfg)
    fcfg = ctx.cfg["fix"]
    modes = {"local": Fixer.from_config(judge, generator, fcfg, use_rules=False, samples=0, rounds=0),
             "whole": Fixer.from_config(judge, generator, fcfg, use_rules=False, samples=0, rounds=0,
                                        local_min_lines=10**6)}  # fmt: skip
    stats: dict = {m: {"s": [], "verified": 0, "ast": 0} for m in modes}
    for r in rows:
        pad = max(0, args.lines - r["bug_sql"].count("\n") - 1)
        header = "".join(f"-- scheduled report, note {i}\n" for i in range(pad))
        bug, fix = header + r["bug_sql"], header + r["fixed_sql"]
        for name, fixer in modes.items():  # one query, both modes, in turn: the machine's load is shared
            result = fixer.fix(bug, r["schema_ddl"])
            s = stats[name]
            s["s"].append(result.seconds)
            s["verified"] += result.verified
            s["ast"] += bool(result.fixed_sql) and ast_match(result.fixed_sql, fix)
    n = len(rows)
    print(f"model {model.label}; {n} held-out queries of {args.lines} lines; budget {fcfg['budget_s']}s per query; "
          f"repairs off; greedy only")  # fmt: skip
    print(f"{'mode':<6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'verified':>9} {'reference':>10}")
    for name, s in stats.items():
        times = sorted(s["s"])
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{name:<6} {statistics.median(times):>7.1f} {p95:>7.1f} {times[-1]:>7.1f} "
              f"{s['verified']:>4}/{n:<4} {s['ast']:>5}/{n:<4}")  # fmt: skip
    whole, local = statistics.median(stats["whole"]["s"]), statistics.median(stats["local"]["s"])
    print(f"median speed-up of localised repair: {whole / max(local, 1e-9):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
