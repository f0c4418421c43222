"""Evaluation throughput and the cost of verification, measured side by side in one run.

    .venv/bin/python benchmarks/evaluate.py [--model models/smollm2-135m-instruct] [--samples 8] [--batch 8]

1. Batched vs one-at-a-time greedy generation of the same fixer prompts (short ad-hoc analyst queries with
   one injected bug, as the demo's eval set): samples/s of each and their ratio (target >= 4x at batch 8).
2. ``sqlfix fix`` latency on the same bugs with deterministic repairs and the model: the share of the
   time spent verifying candidates with Spark's analyzer.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path


def _bugs(spark, n: int, seed: int = 0) -> list[tuple[str, str, str, str]]:
    """(schema, bug, error, fix) of ``n`` short analyst queries with one verified bug each."""
    from sqlfix.simulate.domains import all_tables
    from sqlfix.simulate.queries import compose_adhoc
    from sqlfix.simulate.sessions import ScriptFactory
    from sqlfix.sql.references import referenced_tables

    factory, rng, out = ScriptFactory(spark), random.Random(seed), []
    tables = {t.name: t.ddl for t in all_tables()}
    while len(out) < n:
        fix = compose_adhoc(rng)
        bug = factory.bug(rng, fix.split("\n"), 1)
        if bug is None:
            continue
        ddl = ";\n".join(tables[t] for t in sorted(referenced_tables(fix)) if t in tables)
        out.append((ddl, bug.sql, bug.result.message or "", fix))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/smollm2-135m-instruct")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args(argv)
    if not Path(args.model).is_dir():
        print(f"no model at {args.model}: run `make model` (or pass --model)", file=sys.stderr)
        return 2
    from sqlfix.config import load_config
    from sqlfix.dataset.prompt import render_prompt
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.inference.generate import HFGenerator
    from sqlfix.repair.service import Fixer
    from sqlfix.spark import get_spark

    spark = get_spark(load_config("local"))
    cases = _bugs(spark, args.samples)
    prompts = [render_prompt(ddl, bug, err) for ddl, bug, err, _ in cases]
    bugs = [bug for _, bug, _, _ in cases]
    batched = HFGenerator(args.model, batch_size=args.batch)
    single = HFGenerator(args.model, batch_size=1)
    single.generate(prompts[:1], bugs[:1], progress=False)  # warm-up
    t0 = time.perf_counter()
    one = single.generate(prompts, bugs, progress=False)
    t_single = time.perf_counter() - t0
    t0 = time.perf_counter()
    many = batched.generate(prompts, bugs, progress=False)
    t_batched = time.perf_counter() - t0
    same = sum(a[0].sql == b[0].sql for a, b in zip(one, many, strict=True))
    print(f"generation, {len(cases)} samples: one at a time {len(cases) / t_single:.3f} samples/s ({t_single:.1f}s), "
          f"batch {args.batch} {len(cases) / t_batched:.3f} samples/s ({t_batched:.1f}s): ratio {t_single / t_batched:.2f}x; "
          f"{same}/{len(cases)} identical answers")  # fmt: skip
    fixer = Fixer(Judge(Sandbox(spark), threads=2), batched, samples=2, rounds=1)
    total = verify = 0.0
    fixed = 0
    for ddl, bug, err, _ in cases:
        result = fixer.fix(bug, ddl, err)
        total, verify, fixed = total + result.seconds, verify + result.verify_seconds, fixed + result.verified
    print(f"fix, {len(cases)} queries: {fixed} verified, {total / len(cases):.2f}s per query, "
          f"{100 * verify / total:.1f}% of it verification")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
