"""The mining pipeline: bronze ``query_logs`` -> silver ``bug_pairs`` (and ``bug_pairs_dropped``), incrementally.

A run reads only tasks with events ingested since the last run's watermark, plus ``lookback_hours`` of
their history, so a fix arriving in a later batch still pairs with its error. Pairs are merged on
``pair_id`` (updating a pair whose fix changed), so re-running adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import functions as F

from sqlfix.mining.mine import mine, select_events
from sqlfix.reference import paper_diff_sizes
from sqlfix.tables import BUG_PAIRS
from sqlfix.taxonomy.classify import category_counts


@dataclass
class MineReport:
    run_id: str
    events_scanned: int
    pairs: int
    dropped: int
    inserted: int
    updated: int

    def describe(self) -> str:
        """The line ``sqlfix mine`` prints."""
        if self.events_scanned == 0:
            return "mine: no new events in query_logs since the last run; nothing to mine (run sqlfix ingest first)"
        return (f"mine: run {self.run_id[:8]} scanned {self.events_scanned} events -> {self.pairs} pairs "
                f"({self.inserted} new, {self.updated} updated), {self.dropped} dropped")  # fmt: skip


def run_mining(ctx, full: bool = False) -> MineReport:
    lake, cfg = ctx.lake, ctx.cfg["mining"]
    run_id, now = uuid.uuid4().hex, dt.datetime.now(dt.timezone.utc)
    watermark = None if full else lake.read("mining_runs").agg(F.max("watermark")).collect()[0][0]
    events, new_watermark = select_events(lake.read("query_logs"), watermark, float(cfg["lookback_hours"]))
    scanned = events.count()
    pairs = mine(events, lake.read("table_schemas"), cfg, run_id, now).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        kept = pairs.filter(F.col("reason").isNull()).select(*BUG_PAIRS.column_names)
        dropped = pairs.filter(F.col("reason").isNotNull())
        n_kept, n_dropped = kept.count(), dropped.count()
        result = lake.merge("bug_pairs", kept, update=True)
        lake.merge("bug_pairs_dropped", dropped, update=True)
    finally:
        pairs.unpersist()
    runs = ctx.spark.createDataFrame(
        [(run_id, now, new_watermark, scanned, n_kept, n_dropped)],
        "run_id string, started_at timestamp, watermark timestamp, events_scanned bigint, pairs bigint, dropped bigint",
    )
    lake.append("mining_runs", runs)
    return MineReport(run_id, scanned, n_kept, n_dropped, result.inserted, result.updated)


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
