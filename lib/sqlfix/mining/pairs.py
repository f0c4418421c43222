"""Pair mining as DataFrame transformations (window functions and built-in expressions only).

Rules, per (user_id, task_id) ordered by event_time, for every failed execution E:

1. ``run``: the next execution is a success within the fix window -> (E, that success).
2. ``save``: otherwise, the last save after E and before the next execution (or the end of the task
   history) within the window -> (E, that save).
3. ``run``: otherwise, the next successful execution within the window, after more failed attempts.

A pair whose fix came after the user rejected a model suggestion has signal ``rejected_fix``; one whose
fix followed an accepted model suggestion is not a human fix (reason ``model_fix_accepted``); a fix whose
SQL is identical to the bug's is no fix (reason ``no_change``). E is skipped when the next execution
re-runs identical SQL and fails again: identical consecutive re-runs collapse into the last one.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

NARROW = ("user_id", "task_id", "event_id", "event_time", "action", "status", "sql_hash", "engine")


def candidate_pairs(events: DataFrame, window_hours: float) -> DataFrame:
    """Pairs of event ids from narrow events (the columns of ``NARROW``; no SQL text needed).

    Returns pair_id, user_id, task_id, engine, bug_event_id, fix_event_id, bug_time, fix_time, signal,
    reason (null, ``no_change`` or ``model_fix_accepted``).
    """
    w = Window.partitionBy("user_id", "task_id").orderBy("event_time", "event_id")
    before = w.rowsBetween(Window.unboundedPreceding, -1)
    running = w.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    whole = w.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    action, status = F.col("action"), F.col("status")
    is_exec = action == "execute"
    is_save = action == "save"
    ev = events.filter(action.isin("execute", "save", "fix_rejected", "fix_accepted")).select(*NARROW)
    # Two passes over one sort: the running and whole-task frames first (one Window operator), then the
    # next execution and next success as offsets that skip nulls (linear, unlike a frame to the task's end).
    # ``seq`` (event_time, event_id) orders events exactly as the window does.
    seq = F.struct("event_time", "event_id")
    save = F.struct(seq.alias("seq"), "event_id", "event_time", "sql_hash")
    ev = ev.select(
        "*",
        seq.alias("seq"),
        F.sum((action == "fix_rejected").cast("int")).over(running).alias("rej_cum"),
        F.sum((action == "fix_accepted").cast("int")).over(running).alias("acc_cum"),
        F.last(F.when(is_save, save), ignorenulls=True).over(before).alias("save_before"),
        F.last(F.when(is_save, save), ignorenulls=True).over(whole).alias("_task_last_save"),
    )
    run = F.struct("seq", "event_id", "event_time", "sql_hash", "status", "save_before", "rej_cum", "acc_cum")
    ev = ev.withColumn("_exec", F.when(is_exec, run)).withColumn("_ok", F.when(is_exec & (status == "success"), run))
    spec = "OVER (PARTITION BY user_id, task_id ORDER BY event_time, event_id)"  # = w; SQL has IGNORE NULLS
    ev = ev.selectExpr(
        "*", f"lead(_exec, 1) IGNORE NULLS {spec} AS next_exec", f"lead(_ok, 1) IGNORE NULLS {spec} AS next_success"
    )
    last_save = F.col("_task_last_save")
    ev = ev.withColumn("last_save", F.when(last_save["seq"] > F.col("seq"), last_save))
    errors = ev.filter(is_exec & (status == "error"))
    nxt, ok = F.col("next_exec"), F.col("next_success")
    collapsed = (nxt["status"] == "error") & (nxt["sql_hash"] == F.col("sql_hash"))
    errors = errors.filter(~F.coalesce(collapsed, F.lit(False)))
    seg_save = F.when(nxt.isNull(), F.col("last_save")).when(
        nxt["save_before"]["seq"] > F.col("seq"), nxt["save_before"]
    )
    within = lambda t: (F.unix_micros(t) - F.unix_micros(F.col("event_time"))) <= F.lit(int(window_hours * 3600e6))  # noqa: E731
    rule1 = F.coalesce((nxt["status"] == "success") & within(nxt["event_time"]), F.lit(False))
    rule2 = ~rule1 & F.coalesce(within(seg_save["event_time"]), F.lit(False))
    rule3 = ~rule1 & ~rule2 & F.coalesce(within(ok["event_time"]), F.lit(False))
    errors = errors.withColumn("signal", F.when(rule1 | rule3, "run").when(rule2, "save")).filter(
        F.col("signal").isNotNull()
    )
    is_run = F.col("signal") == "run"
    fix_id = F.when(is_run, ok["event_id"]).otherwise(seg_save["event_id"])
    fix_time = F.when(is_run, ok["event_time"]).otherwise(seg_save["event_time"])
    fix_hash = F.when(is_run, ok["sql_hash"]).otherwise(seg_save["sql_hash"])
    rejected = is_run & (ok["rej_cum"] > F.col("rej_cum"))
    accepted = is_run & (ok["acc_cum"] > F.col("acc_cum")) & ~rejected
    return errors.select(
        F.sha2(F.col("event_id"), 256).alias("pair_id"),
        "user_id",
        "task_id",
        "engine",
        F.col("event_id").alias("bug_event_id"),
        fix_id.alias("fix_event_id"),
        F.col("event_time").alias("bug_time"),
        fix_time.alias("fix_time"),
        F.when(rejected, "rejected_fix").otherwise(F.col("signal")).alias("signal"),
        F.when(fix_hash == F.col("sql_hash"), "no_change").when(accepted, "model_fix_accepted").alias("reason"),
    )


def sql_sides(pairs: DataFrame, logs: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The text columns of each pair's two events, without moving the logs: each side is a hash join of the
    logs' text columns against the pairs' ids (broadcast; about 100 bytes a pair).

    Returns (pair_id, bug_sql, error_message) and (pair_id, fixed_sql); join them on pair_id.
    """
    bug_ids = F.broadcast(pairs.select("pair_id", F.col("bug_event_id").alias("event_id")))
    fix_ids = F.broadcast(pairs.select("pair_id", F.col("fix_event_id").alias("event_id")))
    bug = logs.select("event_id", F.col("sql_text").alias("bug_sql"), "error_message").join(bug_ids, "event_id")
    fix = logs.select("event_id", F.col("sql_text").alias("fixed_sql")).join(fix_ids, "event_id")
    return bug.drop("event_id"), fix.drop("event_id")


def apply_limits(pairs: DataFrame, max_changed_lines: int, max_changed_ratio: float) -> DataFrame:
    """Set ``reason`` (where no other reason is set) to ``no_change`` on pairs that change no line (the
    one line diff: only whitespace, line endings or line order differ) and ``diff_too_large`` on pairs over
    either limit."""
    too_large = (F.col("changed_lines") > max_changed_lines) | (F.col("changed_line_ratio") > max_changed_ratio)
    limit = F.when(F.col("changed_lines") == 0, F.lit("no_change")).when(too_large, F.lit("diff_too_large"))
    return pairs.withColumn("reason", F.coalesce(F.col("reason"), limit))
