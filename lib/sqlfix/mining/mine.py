"""Mining as one transformation: candidate pairs of a log, their SQL, error category, diff and DDL."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sqlfix.mining.pairs import NARROW, apply_limits, candidate_pairs, sql_sides
from sqlfix.sql.catalog import attach_schemas
from sqlfix.sql.diff import with_diff_stats
from sqlfix.taxonomy.classify import categorize, with_normalized


def mine(logs: DataFrame, schemas: DataFrame, cfg: dict, run_id: str, now: dt.datetime) -> DataFrame:
    """All pairs of ``logs`` with SQL, schemas, diff stats and ``reason`` (null = goes to bug_pairs).

    The windows read only the narrow columns. The text columns are read once per side (``sql_sides``); the
    bug side is normalised and categorised where it is read, so the one shuffle that brings a pair's two
    sides together carries the short normalised message, not the plan dump.
    """
    pairs = candidate_pairs(logs.select(*NARROW), float(cfg["fix_window_hours"])).localCheckpoint()
    bug, fix = sql_sides(pairs, logs)
    bug = categorize(
        with_normalized(bug, "error_message", "error_message"), "error_message", "bug_sql", normalized=True
    )
    joined = with_diff_stats(pairs.join(bug, "pair_id").join(fix, "pair_id"))
    joined = attach_schemas(joined, schemas)
    joined = apply_limits(joined, int(cfg["max_changed_lines"]), float(cfg["max_changed_ratio"]))
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
