"""``sqlfix mine``: bronze ``query_logs`` -> silver ``bug_pairs`` (and ``bug_pairs_dropped``), incrementally.

A run reads only tasks with events ingested since the last run's watermark, plus ``lookback_hours`` of
their history, so a fix arriving in a later batch still pairs with its error. Pairs are merged on
``pair_id`` (updating a pair whose fix changed), so re-running adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sqlfix.cli import Subcommand
from sqlfix.mining.pairs import NARROW, apply_limits, attach_schemas, candidate_pairs, sql_sides
from sqlfix.sql.diff import with_diff_stats
from sqlfix.tables import BUG_PAIRS
from sqlfix.taxonomy.classify import categorize, with_normalized


@dataclass
class MineReport:
    run_id: str
    events_scanned: int
    pairs: int
    dropped: int
    inserted: int
    updated: int


def mine(logs: DataFrame, schemas: DataFrame, cfg: dict, run_id: str, now: dt.datetime) -> DataFrame:
    """All pairs of ``logs`` with SQL, schemas, diff stats and ``reason`` (null = goes to bug_pairs).

    The windows read only the narrow columns. The text columns are read once per side (``sql_sides``); the
    bug side is normalised and categorised where it is read, so the one shuffle that brings a pair's two
    sides together carries the short normalised message, not the plan dump.
    """
    pairs = candidate_pairs(logs.select(*NARROW), float(cfg.get("fix_window_hours", 24))).localCheckpoint()
    bug, fix = sql_sides(pairs, logs)
    bug = categorize(
        with_normalized(bug, "error_message", "error_message"), "error_message", "bug_sql", normalized=True
    )
    joined = with_diff_stats(pairs.join(bug, "pair_id").join(fix, "pair_id"))
    joined = attach_schemas(joined, schemas)
    joined = apply_limits(joined, int(cfg.get("max_changed_lines", 60)), float(cfg.get("max_changed_ratio", 0.5)))
    return joined.withColumn("mined_at", F.lit(now).cast("timestamp")).withColumn("run_id", F.lit(run_id))


def select_events(logs: DataFrame, watermark, lookback_hours: float) -> tuple[DataFrame, object]:
    """Events to mine after ``watermark`` (None: all) and the new watermark."""
    new = logs if watermark is None else logs.filter(F.col("ingested_at") > F.lit(watermark))
    stats = new.agg(F.max("ingested_at").alias("hi"), F.min("event_time").alias("lo")).collect()[0]
    if stats["hi"] is None:
        return logs.limit(0), watermark
    if watermark is None:
        return logs, stats["hi"]
    keys = new.select("user_id", "task_id").distinct()
    start = stats["lo"] - dt.timedelta(hours=lookback_hours)
    scope = logs.filter(F.col("event_time") >= F.lit(start)).join(keys, ["user_id", "task_id"], "left_semi")
    return scope, stats["hi"]


def run_mining(ctx, full: bool = False) -> MineReport:
    lake, cfg = ctx.lake, ctx.cfg.get("mining", {})
    run_id, now = uuid.uuid4().hex, dt.datetime.now(dt.timezone.utc)
    watermark = None if full else lake.read("mining_runs").agg(F.max("watermark")).collect()[0][0]
    events, new_watermark = select_events(lake.read("query_logs"), watermark, float(cfg.get("lookback_hours", 48)))
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
    from sqlfix.simulate.sessions import paper_diff_sizes

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
    from sqlfix.taxonomy.job import category_counts

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
