"""``sqlfix spotcheck {sample,review,record,gate}``: the human quality gate on filter batches.

sample  draws a stratified sample of one batch's kept pairs into ``spot_checks`` (``--out F.csv`` also
        writes a sheet for reviewers: fill ``verdict`` with pass/fail, then ``record`` it)
review  walks the unreviewed pairs of a batch in the terminal: p(ass) / f(ail) / s(kip) / q(uit)
record  ingests verdicts from CSV or JSON Lines (batch_id, pair_id, verdict, note, reviewer)
gate    pass rate and Wilson interval of a batch; approves it (``batch_approvals``) at >= the threshold

A batch is a filter run (``filter_runs.batch_id``); without ``--batch`` the latest one is meant.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pyspark.sql import functions as F

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.spotcheck.run import gate, latest_batch, read_verdicts, record, sample, write_sheet


def review(ctx, batch_id: str, reviewer: str, stdin=None, stdout=None) -> int:
    """Terminal review of the batch's unreviewed pairs; returns how many verdicts were stored."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    todo = (
        ctx.lake.read("spot_checks").filter((F.col("batch_id") == batch_id) & F.col("verdict").isNull())
        .join(ctx.lake.read("bug_pairs").select("pair_id", "error_message"), "pair_id").orderBy("pair_id").collect()
    )  # fmt: skip
    done = []
    for i, r in enumerate(todo, 1):
        stdout.write(f"\n[{i}/{len(todo)}] {r['pair_id'][:12]}  {r['category_l3']}  ({r['signal']})\n")
        stdout.write(
            f"error: {(r['error_message'] or '').splitlines()[0][:200] if r['error_message'] else ''}\n{r['diff']}\n"
        )
        stdout.write("p(ass) / f(ail) / s(kip) / q(uit), then an optional note after a space: ")
        stdout.flush()
        answer = stdin.readline()
        if not answer:
            break
        choice, _, note = answer.strip().partition(" ")
        choice = choice.lower()[:1]
        if choice == "q":
            break
        if choice in ("p", "f"):
            done.append({"batch_id": batch_id, "pair_id": r["pair_id"], "verdict": "pass" if choice == "p" else "fail",
                         "note": note.strip() or None, "reviewer": reviewer})  # fmt: skip
    return record(ctx, done) if done else 0


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=("sample", "review", "record", "gate"))
    parser.add_argument("--batch", help="filter batch id (default: the latest)")
    parser.add_argument("--n", type=int, default=None, help="sample: pairs to draw (default spotcheck.sample_size)")
    parser.add_argument("--seed", type=int, default=0, help="sample: which pairs (same seed, same sample)")
    parser.add_argument("--out", help="sample: also write a CSV sheet for reviewers")
    parser.add_argument("--input", help="record: CSV or JSON Lines of verdicts")
    parser.add_argument("--reviewer", help="review: your name")
    parser.add_argument(
        "--threshold", type=float, default=None, help="gate: pass rate to approve (default spotcheck.threshold)"
    )


def run(ctx, args) -> int:
    cfg = ctx.cfg["spotcheck"]
    if args.action == "record":
        if not args.input:
            raise UsageError("spotcheck record needs --input")
        print(f"spotcheck: stored {record(ctx, read_verdicts(Path(args.input)))} verdicts")
        return 0
    batch = args.batch or latest_batch(ctx.lake)
    if args.action == "sample":
        n = sample(ctx, batch, int(cfg["sample_size"]), args.seed)
        print(f"spotcheck: batch {batch[:8]}: {n} pairs sampled into spot_checks")
        if args.out:
            print(f"spotcheck: review sheet {args.out} ({write_sheet(ctx.lake, batch, Path(args.out))} rows)")
    elif args.action == "review":
        if not args.reviewer:
            raise UsageError("spotcheck review needs --reviewer NAME")
        print(f"spotcheck: stored {review(ctx, batch, args.reviewer)} verdicts")
    else:
        d = gate(ctx, batch, float(cfg["threshold"]))
        rate = f"{d['pass_rate']:.1%}" if d["pass_rate"] is not None else "n/a"
        print(f"spotcheck gate: batch {batch[:8]}: {d['passed']}/{d['reviewed']} passed ({rate}, 95% CI "
              f"{d['ci_low']:.1%}-{d['ci_high']:.1%}), {d['sampled'] - d['reviewed']} unreviewed, threshold "
              f"{d['threshold']:.0%}: {'APPROVED' if d['approved'] else 'NOT APPROVED'}")  # fmt: skip
        return 0 if d["approved"] else 3
    return 0


SUBCOMMANDS = {
    "spotcheck": Subcommand("Spot checks of filter batches and the pass-rate gate.", add_arguments, run,
                            flags={"n": "spotcheck.sample_size", "threshold": "spotcheck.threshold"}),
}  # fmt: skip
