"""The model path's latency on long queries, localised repair against whole-query rewriting, side by side in
one run: the same queries, the same model, the same time budget per query (``fix.budget_s``).

The queries are the held-out domain's eval samples whose error names a line, made ``--lines`` long by a
block of comment lines above them (what a scheduled query's header looks like): the bug, its line and the
fix do not change, but a whole-query rewrite has to generate all of it again. With ``--generated`` (a lake
of real SQL from ``real_generation.py``) they are the generated pairs of at least ``--min-lines`` lines,
as written (``--lines 0``: no header). Repairs are off, so that every query takes the model path.
``--batched`` then fixes the same queries once more as one ``fix_many`` call (what ``sqlfix fix --input``
runs, at ``fix.batch_size`` or ``--batch``), to compare its seconds per query with one query at a time.

    .venv/bin/python benchmarks/fix_latency.py --root /tmp/demo/main --model @champion [--n 8] [--lines 100]
    .venv/bin/python benchmarks/fix_latency.py --root REAL/eval --generated --model FOLDER --min-lines 100 \
        --lines 0 --n 16 --batched
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import held_out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    held_out.add_arguments(ap)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--lines", type=int, default=100, help="pad each query to this many lines (0: as written)")
    ap.add_argument("--min-lines", type=int, default=0, help="only queries at least this long")
    ap.add_argument("--batched", action="store_true", help="also fix them all in one fix_many call")
    ap.add_argument("--modes", default="local,whole", help="one query at a time in these modes (local, whole)")
    ap.add_argument("--batch", default=None, help="the batch of that call (default: fix.batch_size)")
    ap.add_argument("--defaults", action="store_true",
                    help="the profile's samples and feedback rounds after the greedy answer (default: greedy only)")  # fmt: skip
    args = ap.parse_args(argv)

    from sqlfix.evaluation.run import resolve_models
    from sqlfix.filtering.judge import judge_from_config
    from sqlfix.inference.generate import load_generator
    from sqlfix.repair.rules import error_position
    from sqlfix.repair.service import Fixer

    def keep(r: dict) -> bool:
        return error_position(r["error_message"]) is not None and r["bug_sql"].count("\n") + 1 >= args.min_lines

    ctx, rows = held_out.samples(args, args.n, keep)
    model = resolve_models(ctx, [args.model])[0]
    generator = load_generator(model.path, "hf", 1)
    judge = judge_from_config(ctx.spark, ctx.cfg)
    fcfg = ctx.cfg["fix"]
    tries = {} if args.defaults else {"samples": 0, "rounds": 0}
    modes = {"local": Fixer.from_config(judge, generator, fcfg, use_rules=False, **tries),
             "whole": Fixer.from_config(judge, generator, fcfg, use_rules=False, local_min_lines=10**6, **tries)}  # fmt: skip
    modes = {m: modes[m] for m in args.modes.split(",")}
    stats: dict = {m: {"s": [], "verified": 0, "ast": 0} for m in modes}
    cases = []
    for r in rows:
        pad = max(0, args.lines - r["bug_sql"].count("\n") - 1)
        header = "".join(f"-- scheduled report, note {i}\n" for i in range(pad))
        cases.append((header + r["bug_sql"], header + r["fixed_sql"], r["schema_ddl"]))
    for bug, fix, ddl in cases:
        for name, fixer in modes.items():  # one query, both modes, in turn: the machine's load is shared
            _count(stats[name], fixer.fix(bug, ddl), fix)
    batched = None
    if args.batched:
        many = load_generator(model.path, "hf", args.batch or fcfg["batch_size"])
        fixer = Fixer.from_config(judge, many, fcfg, use_rules=False, **tries)
        started = time.perf_counter()
        results = fixer.fix_many([(bug, ddl, None) for bug, _, ddl in cases], progress=True)
        batched = {"s": [], "verified": 0, "ast": 0, "wall": time.perf_counter() - started, "generator": many}
        for (_, fix, _), result in zip(cases, results, strict=True):
            _count(batched, result, fix)
    n = len(rows)
    lines = sorted(bug.count("\n") + 1 for bug, _, _ in cases)
    size = f"{args.lines} lines" if args.lines else f"{lines[0]}-{lines[-1]} lines (median {statistics.median(lines):g})"  # fmt: skip
    print(f"model {model.label}; {n} held-out queries of {size}; budget {fcfg['budget_s']}s per query; repairs off; "
          + ("the profile's samples and rounds" if args.defaults else "greedy only"))  # fmt: skip
    print(f"{'mode':<6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'verified':>9} {'reference':>10}")
    for name, s in stats.items():
        times = sorted(s["s"])
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{name:<6} {statistics.median(times):>7.1f} {p95:>7.1f} {times[-1]:>7.1f} "
              f"{s['verified']:>4}/{n:<4} {s['ast']:>5}/{n:<4}")  # fmt: skip
    if {"whole", "local"} <= set(stats):
        whole, local = statistics.median(stats["whole"]["s"]), statistics.median(stats["local"]["s"])
        print(f"median speed-up of localised repair: {whole / max(local, 1e-9):.1f}x")
    if batched:
        many = batched["generator"]
        one = statistics.mean(stats["local"]["s"]) if "local" in stats else float("nan")
        print(f"batched (fix_many, batch {args.batch or fcfg['batch_size']} = {many.batch_size}): "
              f"{batched['wall'] / n:.1f} s per query against "
              f"{one:.1f} s one at a time (mean, local); verified {batched['verified']}/{n}, reference "
              f"{batched['ast']}/{n}")  # fmt: skip
    return 0


def _count(stats: dict, result, fix: str) -> None:
    from sqlfix.evaluation.metrics import ast_match

    stats["s"].append(result.seconds)
    stats["verified"] += result.verified
    stats["ast"] += bool(result.fixed_sql) and ast_match(result.fixed_sql, fix)


if __name__ == "__main__":
    sys.exit(main())
