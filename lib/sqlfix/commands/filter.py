"""``sqlfix filter``: the execution filter over ``bug_pairs`` (-> ``pair_verdicts``), or over a file.

Table mode judges the pairs without a verdict for their current SQL (``--refilter``: all of them), one
schema group at a time (pairs whose DDL is the same share a sandbox state), and merges the verdicts on
``pair_id``: re-running adds nothing. Each run is a batch (``filter_runs``) that spot checks sample.

File mode: ``--input pairs.jsonl --ddl schema.sql --output out.jsonl`` adds the verdict fields to each line
(``bug_sql``, ``fixed_sql``, optional ``error_message``, ``category_l1``).
"""

from __future__ import annotations

from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.filtering.run import describe, filter_file, run_filter, summary


def add_arguments(parser) -> None:
    parser.add_argument("--refilter", action="store_true", help="judge every pair again (default: only new or changed)")
    parser.add_argument("--input", help="file mode: JSON Lines with bug_sql, fixed_sql, optional error_message")
    parser.add_argument("--ddl", help="file mode: CREATE TABLE statements the pairs' SQL reads")
    parser.add_argument("--output", help="file mode: where the lines go, with the verdict fields")


def run(ctx, args) -> int:
    if args.input:
        if not args.output:
            raise UsageError("filter --input needs --output")
        counts = filter_file(ctx, Path(args.input), Path(args.ddl) if args.ddl else None, Path(args.output))
        print(
            f"filter: {sum(counts.values())} pairs -> {args.output}: "
            + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        )
        return 0
    report = run_filter(ctx, refilter=args.refilter)
    print(describe(report))
    if report["pairs"]:
        print(summary(ctx))
    return 0


SUBCOMMANDS = {
    "filter": Subcommand(
        "Execution filter: keep pairs whose bug fails and whose fix passes Spark's analyzer.", add_arguments, run
    )
}
