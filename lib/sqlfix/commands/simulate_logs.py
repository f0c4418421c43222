"""``sqlfix simulate-logs``: write a seeded platform log, its CREATE TABLEs and the ground truth."""

from __future__ import annotations

import json
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.simulate.logs import simulate


def add_arguments(parser) -> None:
    parser.add_argument("--out", required=True, help="output folder (logs/, schemas.jsonl, truth.jsonl)")
    parser.add_argument("--events", type=int, default=5000, help="about how many events (whole tasks are kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", type=int, help="verified task scripts in the pool (default: events / 4)")
    parser.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    parser.add_argument("--malformed-rate", type=float, default=0.0, help="share of broken lines mixed in (jsonl)")
    parser.add_argument("--adhoc-share", type=float, default=0.0, help="share of short ad-hoc analyst queries")
    parser.add_argument("--noise", action="store_true", help="transient failures and saved fixes that still fail")


def run(ctx, args) -> int:
    mining = ctx.cfg["mining"]
    counts = simulate(
        ctx.spark, Path(args.out), args.events, args.seed, args.variants, args.format, args.malformed_rate,
        window_hours=mining["fix_window_hours"], max_changed_ratio=mining["max_changed_ratio"],
        adhoc_share=args.adhoc_share, noise=args.noise,
    )  # fmt: skip
    print(f"simulate-logs: {json.dumps(counts)} -> {args.out}")
    return 0


SUBCOMMANDS = {
    "simulate-logs": Subcommand("Write a seeded, realistic platform query log with ground truth.", add_arguments, run)
}
