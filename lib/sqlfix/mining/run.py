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
from sqlfix.tables import BUG_PAIRS


@dataclass
class MineReport:
    run_id: str
    events_scanned: int
    pairs: int
    dropped: int
    inserted: int
    updated: int


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
