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

from pyspark.sql import Column, DataFrame, Window
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
    after = w.rowsBetween(1, Window.unboundedFollowing)
    action, status = F.col("action"), F.col("status")
    is_exec = action == "execute"
    is_save = action == "save"
    ev = events.filter(action.isin("execute", "save", "fix_rejected", "fix_accepted")).select(*NARROW)
    ev = (
        ev.withColumn("seq", F.row_number().over(w))
        .withColumn("rej_cum", F.sum((action == "fix_rejected").cast("int")).over(running))
        .withColumn("acc_cum", F.sum((action == "fix_accepted").cast("int")).over(running))
    )
    save = F.struct("seq", "event_id", "event_time", "sql_hash")
    ev = ev.withColumn("save_before", F.last(F.when(is_save, save), ignorenulls=True).over(before))
    run = F.struct("seq", "event_id", "event_time", "sql_hash", "status", "save_before", "rej_cum", "acc_cum")
    ev = (
        ev.withColumn("next_exec", F.first(F.when(is_exec, run), ignorenulls=True).over(after))
        .withColumn("next_success", F.first(F.when(is_exec & (status == "success"), run), ignorenulls=True).over(after))
        .withColumn("last_save", F.last(F.when(is_save, save), ignorenulls=True).over(after))
    )
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


def attach_sql(pairs: DataFrame, logs: DataFrame) -> DataFrame:
    """Add bug_sql, error_message and fixed_sql: one pass over the logs, the pairs' ids broadcast."""
    roles = pairs.select(
        "pair_id",
        F.explode(F.array(F.struct(F.lit("bug").alias("role"), F.col("bug_event_id").alias("event_id")),
                          F.struct(F.lit("fix").alias("role"), F.col("fix_event_id").alias("event_id")))).alias("r"),
    ).select("pair_id", "r.role", "r.event_id")  # fmt: skip
    texts = logs.select("event_id", "sql_text", "error_message").join(F.broadcast(roles), "event_id")
    per_pair = texts.groupBy("pair_id").agg(
        F.max(F.when(F.col("role") == "bug", F.col("sql_text"))).alias("bug_sql"),
        F.max(F.when(F.col("role") == "bug", F.col("error_message"))).alias("error_message"),
        F.max(F.when(F.col("role") == "fix", F.col("sql_text"))).alias("fixed_sql"),
    )
    return pairs.join(per_pair, "pair_id", "left")


TABLE_REF = r"(?i)\b(?:from|join)\s+([`\w]+(?:\.[`\w]+)*)"


def referenced_tables(sql: Column) -> Column:
    """Lower-case names after FROM/JOIN (CTE names included; the catalog join drops them)."""
    names = F.regexp_extract_all(sql, F.lit(TABLE_REF), 1)
    return F.array_distinct(F.transform(names, lambda s: F.lower(F.regexp_replace(s, "`", ""))))


def attach_schemas(pairs: DataFrame, schemas: DataFrame) -> DataFrame:
    """Add ``tables`` and ``schema_ddl``: each catalog table either SQL references, its DDL as of bug_time.

    Both sides count (a misspelt table in the bug SQL is spelt right in the fix). A table matches by full
    name or by its name without the database. Where no definition was captured before bug_time, the
    earliest one is used.
    """
    names = referenced_tables(F.col("bug_sql"))
    if "fixed_sql" in pairs.columns:
        names = F.array_union(names, F.coalesce(referenced_tables(F.col("fixed_sql")), F.array().cast("array<string>")))
    refs = pairs.select("pair_id", "bug_time", F.explode(names).alias("ref"))
    cat = schemas.select("table_name", "ddl", "captured_at", F.substring_index("table_name", ".", -1).alias("short"))
    matched = refs.join(F.broadcast(cat), (refs.ref == cat.table_name) | (refs.ref == cat.short))
    pick = Window.partitionBy("pair_id", "table_name").orderBy(
        (F.col("captured_at") <= F.col("bug_time")).desc(),
        F.when(F.col("captured_at") <= F.col("bug_time"), F.col("captured_at")).desc_nulls_last(),
        F.col("captured_at").asc(),
    )
    latest = matched.withColumn("_n", F.row_number().over(pick)).filter(F.col("_n") == 1)
    per_pair = latest.groupBy("pair_id").agg(F.array_sort(F.collect_list(F.struct("table_name", "ddl"))).alias("_t"))
    per_pair = per_pair.select(
        "pair_id",
        F.transform("_t", lambda t: t["table_name"]).alias("tables"),
        F.array_join(F.transform("_t", lambda t: t["ddl"]), ";\n\n").alias("schema_ddl"),
    )
    out = pairs.join(per_pair, "pair_id", "left")
    return out.withColumn("tables", F.coalesce("tables", F.array().cast("array<string>")))


def apply_limits(pairs: DataFrame, max_changed_lines: int, max_changed_ratio: float) -> DataFrame:
    """Set ``reason`` = diff_too_large on pairs over either limit (other reasons win)."""
    too_large = (F.col("changed_lines") > max_changed_lines) | (F.col("changed_line_ratio") > max_changed_ratio)
    return pairs.withColumn("reason", F.coalesce(F.col("reason"), F.when(too_large, F.lit("diff_too_large"))))
