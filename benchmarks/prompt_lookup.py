"""Prompt-lookup decoding against plain greedy decoding, side by side in one run: the same model, the same
prompts (held-out queries' fixer prompts), one prompt at a time, alternating query by query.

A fix copies most of its bug, so drafting the next tokens from the prompt (``evaluate.prompt_lookup``
tokens, HF's assisted generation) lets the model accept a run of them in one forward pass. The answer is
the same greedy answer; the script checks that, and reports tokens per second for each arm. Each
generation stops at the model's end of answer, its token budget or ``--max-time`` seconds (then the
arms are compared on the tokens they reached).

    .venv/bin/python benchmarks/prompt_lookup.py --root REAL/eval --generated --model FOLDER [--n 6] \\
        [--min-lines 40] [--max-time 60] [--lookup 10]
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
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--min-lines", type=int, default=40, help="only queries at least this long")
    ap.add_argument("--max-time", type=float, default=60.0, help="seconds per generation")
    ap.add_argument("--lookup", type=int, default=10, help="tokens drafted from the prompt per step")
    args = ap.parse_args(argv)

    import torch
    from sqlfix.dataset.prompt import render_prompt
    from sqlfix.evaluation.run import resolve_models
    from sqlfix.inference.generate import HFGenerator, prompt_text

    ctx, rows = held_out.samples(args, args.n, lambda r: r["bug_sql"].count("\n") + 1 >= args.min_lines)
    model = resolve_models(ctx, [args.model])[0]
    generator = HFGenerator(model.path, batch_size=1, prompt_lookup=0)
    tok = generator.tokenizer
    arms = {"plain": {}, f"lookup {args.lookup}": {"prompt_lookup_num_tokens": args.lookup}}
    stats: dict = {arm: {"tokens": 0, "seconds": 0.0, "rates": [], "last": 0.0} for arm in arms}
    same = 0
    print(f"model {model.label}; {len(rows)} held-out queries of at least {args.min_lines} lines; greedy, one at a "
          f"time; at most {args.max_time:g}s each")  # fmt: skip
    for r in rows:
        text = prompt_text(tok, render_prompt(r["schema_ddl"], r["bug_sql"], r["error_message"]))
        enc = tok([text], return_tensors="pt", add_special_tokens=False)
        answers = {}
        for arm, extra in arms.items():
            started = time.perf_counter()
            with torch.inference_mode():
                out = generator.model.generate(**enc, max_new_tokens=generator.budget(r["bug_sql"]), do_sample=False,
                                               pad_token_id=tok.pad_token_id, max_time=args.max_time, **extra)  # fmt: skip
            seconds = time.perf_counter() - started
            answers[arm] = out[0, enc["input_ids"].shape[1] :].tolist()
            s = stats[arm]
            s["tokens"] += len(answers[arm])
            s["seconds"] += seconds
            s["rates"].append(len(answers[arm]) / seconds)
            s["last"] = seconds
        plain, looked = answers.values()
        reached = min(len(plain), len(looked))
        same += plain[:reached] == looked[:reached]
        print(f"  {enc['input_ids'].shape[1]:>5} prompt tokens: "
              + ", ".join(f"{arm} {len(a)} tokens in {stats[arm]['last']:.1f}s" for arm, a in answers.items()),
              flush=True)  # fmt: skip
    print(f"{'arm':<10} {'tokens/s':>9} {'median':>7}")
    for arm, s in stats.items():
        print(f"{arm:<10} {s['tokens'] / s['seconds']:>9.2f} {statistics.median(s['rates']):>7.2f}")
    rates = [stats[a]["tokens"] / stats[a]["seconds"] for a in arms]
    print(f"speed-up {rates[1] / rates[0]:.2f}x; the same greedy tokens (as far as both reached) on {same} of "
          f"{len(rows)} queries")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
