"""``sqlfix mine``: the mining pipeline (``sqlfix.mining.run``), then a summary of what it mined."""

from __future__ import annotations

from sqlfix.commands import Subcommand
from sqlfix.mining.run import run_mining
from sqlfix.reference import paper_diff_sizes
from sqlfix.taxonomy.classify import category_counts


def summary(ctx) -> str:
    """Pairs by signal, dropped by reason, the diff-size histogram next to the paper's, pairs by category."""
    lake = ctx.lake
    pairs = lake.read("bug_pairs")
    by_signal = {r["signal"]: r["count"] for r in pairs.groupBy("signal").count().collect()}
    dropped = {r["reason"]: r["count"] for r in lake.read("bug_pairs_dropped").groupBy("reason").count().collect()}
    # One row per distinct size (at most max_changed_lines rows) reaches the driver, not one per pair.
    sizes = {r["changed_lines"]: r["count"] for r in pairs.groupBy("changed_lines").count().collect()}
    paper = paper_diff_sizes()
    lines = [
        "pairs by signal: " + ", ".join(f"{k}={v}" for k, v in sorted(by_signal.items())),
        "dropped by reason: " + (", ".join(f"{k}={v}" for k, v in sorted(dropped.items())) or "none"),
        "changed lines per pair   ours   paper",
    ]
    for label, test in (("1", lambda d: d == 1), ("2", lambda d: d == 2), ("3-5", lambda d: 3 <= d <= 5),
                        ("6-10", lambda d: 6 <= d <= 10), ("11+", lambda d: d > 10)):  # fmt: skip
        a = sum(n for d, n in sizes.items() if test(d)) / max(sum(sizes.values()), 1)
        b = sum(map(test, paper)) / len(paper)
        lines.append(f"  {label:>5} {'#' * round(a * 40):<40} {a:6.1%} {b:6.1%}")
    if sizes:
        mean = sum(d * n for d, n in sizes.items()) / sum(sizes.values())
        lines.append(f"  mean {mean:.2f} (paper {sum(paper) / len(paper):.2f}), max {max(sizes)} (paper {max(paper)})")
    lines.append("pairs by error category (taxonomy leaf):")
    lines += [f"  {n:>6}  {leaf}" for leaf, n in category_counts(pairs)]
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("--full", action="store_true", help="re-mine all of query_logs (default: only new events)")


def run(ctx, args) -> int:
    report = run_mining(ctx, full=args.full)
    if report.events_scanned == 0:
        print("mine: no new events in query_logs since the last run; nothing to mine (run sqlfix ingest first)")
        return 0
    print(
        f"mine: run {report.run_id[:8]} scanned {report.events_scanned} events -> {report.pairs} pairs "
        f"({report.inserted} new, {report.updated} updated), {report.dropped} dropped"
    )
    print(summary(ctx))
    return 0


SUBCOMMANDS = {
    "mine": Subcommand("Mine (bug SQL, error, fixed SQL) pairs from query_logs into bug_pairs.", add_arguments, run)
}
