"""``sqlfix mine``: the mining pipeline (``sqlfix.mining.run``), then a summary of what it mined."""

from __future__ import annotations

from sqlfix.commands import Subcommand
from sqlfix.mining.run import run_mining, summary


def add_arguments(parser) -> None:
    parser.add_argument("--full", action="store_true", help="re-mine all of query_logs (default: only new events)")


def run(ctx, args) -> int:
    report = run_mining(ctx, full=args.full)
    print(report.describe())
    if report.events_scanned:
        print(summary(ctx))
    return 0


SUBCOMMANDS = {
    "mine": Subcommand("Mine (bug SQL, error, fixed SQL) pairs from query_logs into bug_pairs.", add_arguments, run)
}
