"""Fix rates on the failed queries of a domain the model never trained on, by edit size, measured side by
side in one run:

- ``greedy``: the model's greedy answer as it is (no verification, no retries) — AST-equal to the
  reference, and passing the analyzer;
- ``repairs``: the deterministic repairs alone, verified;
- ``model+verify``: the model alone with verification, samples and feedback rounds (no repairs);
- ``fix``: ``sqlfix fix`` — repairs, then the model with samples and feedback rounds, verified.

For each: verified, AST-equal to the reference, and **verified but not the reference** (a fix that compiles
and is not what the author wrote: the number the plausibility ranking exists to keep down), per edit size
and, for the repairs, per taxonomy leaf; and the share of verified fixes at each confidence.

    .venv/bin/python benchmarks/fix_rate.py --root /tmp/demo --model @champion --database ads [--limit 40]
    .venv/bin/python benchmarks/fix_rate.py --root /tmp/demo --no-model      # repairs only: seconds, no model
    .venv/bin/python benchmarks/fix_rate.py --root /tmp/real --generated --no-model --limit 300   # real SQL
    .venv/bin/python benchmarks/fix_rate.py --root /tmp/real --generated --model FOLDER --fix-only --limit 300

With ``--generated`` the samples are the ``generated_pairs`` of a lake ``benchmarks/real_generation.py`` built
from a repository of real SQL (a repository nothing was trained on).

``--root`` is the ``output_root`` of a lake the demo (or the pipeline) built; its latest ``sft_eval`` is read
and the samples that read ``--database`` are used (the demo holds that domain out of training).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import held_out


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0


def run(argv: list[str] | None = None) -> dict:
    """Measure and print; returns ``{"model": label, "samples": n, "by_size": {edit size: counts}}`` (the counts
    are sums: divide by ``n``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    held_out.add_arguments(ap)
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-model", action="store_true", help="the repairs alone (no greedy, model or fix columns)")
    ap.add_argument("--fix-only", action="store_true",
                    help="with a model: the repairs and `sqlfix fix` only (no ungated greedy answer and no model-alone "
                         "column, which both have the model write every query whole)")  # fmt: skip
    ap.add_argument("--edit-size", choices=("single-token", "multi-token"), help="only the samples of this edit size")
    ap.add_argument("--max-tokens", type=int,
                    help="only the samples whose prompt and reference fit in this many of the model's tokens "
                         "(what a CPU can generate in a session; the filter is stated in the output)")  # fmt: skip
    ap.add_argument("--misses", type=Path,
                    help="also write each sample a fixer did not fix as the author did (JSON Lines: fixer, leaf, "
                         "error, bug, reference, candidate, verified, confidence)")  # fmt: skip
    args = ap.parse_args(argv)
    if args.max_tokens and args.no_model:
        ap.error("--max-tokens counts the model's tokens: it needs a model")
    if args.fix_only and args.no_model:
        ap.error("--fix-only leaves out the model's own columns: it needs a model")

    from sqlfix.dataset.prompt import render_prompt
    from sqlfix.evaluation.metrics import ast_match, edit_size
    from sqlfix.evaluation.run import resolve_models
    from sqlfix.filtering.judge import judge_from_config
    from sqlfix.inference.generate import load_generator
    from sqlfix.repair.service import Fixer

    ctx, model, fits = None, None, None
    if not args.no_model:
        ctx = held_out.context(args)
        model = resolve_models(ctx, [args.model])[0]
        if args.max_tokens:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(model.path)

            def fits(r: dict) -> bool:
                text = render_prompt(r["schema_ddl"], r["bug_sql"], r["error_message"]) + r["fixed_sql"]
                return len(tokenizer(text)["input_ids"]) <= args.max_tokens

    def keep(r: dict) -> bool:
        if args.edit_size and edit_size(r["bug_sql"], r["fixed_sql"]) != args.edit_size:
            return False
        return fits is None or fits(r)

    ctx, rows = held_out.samples(args, args.limit, keep, ctx=ctx)
    judge = judge_from_config(ctx.spark, ctx.cfg)
    rules = Fixer(judge_from_config(ctx.spark, ctx.cfg))  # each its own judge: no shared cache of dry runs
    fixers = [("repairs", rules)]
    greedy, greedy_s, label = [""] * len(rows), 0.0, "none (repairs only)"
    show_greedy = model is not None and not args.fix_only
    if model is not None:
        label = model.label
        generator = load_generator(model.path, "hf", 8)
        if show_greedy:
            prompts = [render_prompt(r["schema_ddl"], r["bug_sql"], r["error_message"]) for r in rows]
            t0 = time.perf_counter()
            greedy = [c[0].sql for c in generator.generate(prompts, [r["bug_sql"] for r in rows])]
            greedy_s = (time.perf_counter() - t0) / max(1, len(rows))
            model_only = Fixer(judge_from_config(ctx.spark, ctx.cfg), generator, samples=args.samples,
                               rounds=args.rounds, use_rules=False)  # fmt: skip
            fixers.append(("model", model_only))
        full = Fixer(judge_from_config(ctx.spark, ctx.cfg), generator, samples=args.samples, rounds=args.rounds)
        fixers.append(("fix", full))
    stats: dict = defaultdict(lambda: defaultdict(float))
    leaves: dict = defaultdict(lambda: defaultdict(float))
    confidence: dict = defaultdict(lambda: defaultdict(float))
    misses: list[dict] = []
    for r, answer in zip(rows, greedy, strict=True):
        size = edit_size(r["bug_sql"], r["fixed_sql"])
        s = stats[size]
        s["n"] += 1
        judge.box.load(r["schema_ddl"])
        passes = judge.side(answer).ok if show_greedy and answer.strip() else False
        s["greedy_ast"] += passes and ast_match(answer, r["fixed_sql"])
        s["greedy_pass"] += passes
        s["greedy_s"] += greedy_s
        for name, fixer in fixers:
            fixer.judge.box.load(r["schema_ddl"])
            result = fixer.fix(r["bug_sql"], r["schema_ddl"], r["error_message"])
            same = bool(result.fixed_sql) and ast_match(result.fixed_sql, r["fixed_sql"])
            for bucket in (s, leaves[(name, r.get("category_l3") or "?")]):
                bucket["n_" + name] += 1
                bucket[f"{name}_verified"] += result.verified
                bucket[f"{name}_ast"] += same
                bucket[f"{name}_other"] += result.verified and not same
            s[f"{name}_s"] += result.seconds
            s[f"{name}_verify_s"] += result.verify_seconds
            if result.verified:
                confidence[name][(result.confidence, same)] += 1
            if not same:
                misses.append({"fixer": name, "edit_size": size, "leaf": r.get("category_l3"),
                               "error": r["error_message"], "bug": r["bug_sql"], "reference": r["fixed_sql"],
                               "candidate": result.fixed_sql, "verified": result.verified,
                               "confidence": result.confidence if result.verified else None})  # fmt: skip
    if args.misses:
        args.misses.write_text("".join(json.dumps(m) + "\n" for m in misses))
    where = "generated pairs of the imported repository" if args.generated else f"held-out database {args.database}"
    only = [f"edit size {args.edit_size}"] if args.edit_size else []
    only += [f"prompt + reference <= {args.max_tokens} tokens"] if args.max_tokens else []
    print(f"model {label}; {len(rows)} eval samples: {where}" + (f" ({', '.join(only)})" if only else ""))
    print("columns per fixer: verified / AST-equal to the reference / verified but not the reference")
    head = f"{'edit size':<13} {'n':>3}" + (f"  {'greedy: ref / passes':>21}" if show_greedy else "")
    head += "".join(f"  {name + ': ver / ref / other':>31}" for name, _ in fixers)
    print(head + f"  {'s/query (' + ', '.join(n for n, _ in fixers) + ')':>30}")
    for size in sorted(stats):
        s = stats[size]
        n = s["n"]

        def pct(key: str, s=s, n=n) -> str:
            return f"{100 * s[key] / n:5.1f}%"

        line = f"{size:<13} {int(n):>3}" + (
            f"  {pct('greedy_ast'):>10} / {pct('greedy_pass'):>8}" if show_greedy else ""
        )
        line += "".join(
            f"  {pct(f'{k}_verified'):>9} / {pct(f'{k}_ast'):>7} / {pct(f'{k}_other'):>7}" for k, _ in fixers
        )
        print(line + "  " + " ".join(f"{s[f'{k}_s'] / n:>7.2f}" for k, _ in fixers))
    for fixer in [name for name, _ in fixers if name in ("repairs", "fix")]:
        print(f"\n{fixer} per taxonomy leaf: n, verified, AST-equal, verified but not the reference")
        for (name, leaf), b in sorted(leaves.items()):
            if name == fixer:
                print(f"  {leaf:<45} {int(b['n_' + name]):>3} {int(b[name + '_verified']):>4} "
                      f"{int(b[name + '_ast']):>4} {int(b[name + '_other']):>4}")  # fmt: skip
    print("\nverified fixes by confidence (AST-equal to the reference / not):")
    for name, by in confidence.items():
        cells = [f"{level} {int(by[(level, True)])}/{int(by[(level, False)])}" for level in ("high", "medium", "low")]
        print(f"  {name:<8} " + ", ".join(cells))
    return {"model": label, "samples": len(rows), "by_size": {size: dict(s) for size, s in stats.items()}}


if __name__ == "__main__":
    sys.exit(main())
