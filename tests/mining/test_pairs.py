"""Pair rules on hand-built sessions (edge cases named by the mining issue)."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual
from sqlfix.mining.pairs import NARROW, candidate_pairs
from sqlfix.sql.catalog import attach_schemas
from sqlfix.sql.references import referenced_tables, referenced_tables_column

T0 = dt.datetime(2026, 11, 1, 9, 0)
SCHEMA = "user_id string, task_id string, event_id string, event_time timestamp, action string, status string, sql_hash bigint, engine string"


def _events(spark, *rows):
    """rows: (event_id, minutes, action, status, sql) for user u / task t, or with user and task prefixed."""
    out = []
    for row in rows:
        user, task, eid, minutes, action, status, sql = row if len(row) == 7 else ("u", "t", *row)
        out.append(
            (
                user,
                task,
                eid,
                T0 + dt.timedelta(minutes=minutes),
                action,
                status,
                hash(sql) if sql else None,
                "spark-4.1",
            )
        )
    return spark.createDataFrame(out, SCHEMA).select(*NARROW)


def _pairs(df, window_hours=24):
    rows = candidate_pairs(df, window_hours).select("bug_event_id", "fix_event_id", "signal", "reason").collect()
    return sorted(tuple(r) for r in rows)


def test_run_pairs_error_with_next_success(spark):
    df = _events(
        spark,
        ("e1", 0, "execute", "success", "A"),
        ("e2", 5, "execute", "error", "B"),
        ("e3", 9, "execute", "success", "C"),
    )
    assert _pairs(df) == [("e2", "e3", "run", None)]


def test_error_as_last_event_and_abandoned_task_give_nothing(spark):
    assert _pairs(_events(spark, ("e1", 0, "execute", "success", "A"), ("e2", 5, "execute", "error", "B"))) == []


def test_save_before_any_run_is_not_a_fix(spark):
    df = _events(
        spark, ("e0", 0, "save", None, "A"), ("e1", 3, "execute", "success", "A"), ("e2", 4, "save", None, "A2")
    )
    assert _pairs(df) == []


def test_last_save_before_the_next_execution_is_the_fix(spark):
    df = _events(
        spark,
        ("e1", 0, "execute", "error", "B"),
        ("e2", 2, "save", None, "B1"),
        ("e3", 4, "save", None, "FIX"),
        ("e4", 60, "execute", "error", "D"),
        ("e5", 61, "save", None, "D2"),
    )
    assert _pairs(df) == [("e1", "e3", "save", None), ("e4", "e5", "save", None)]


def test_multiple_failed_attempts_each_pair_with_the_success(spark):
    df = _events(
        spark,
        ("e1", 0, "execute", "error", "B1"),
        ("e2", 3, "execute", "error", "B2"),
        ("e3", 7, "execute", "success", "F"),
    )
    assert _pairs(df) == [("e1", "e3", "run", None), ("e2", "e3", "run", None)]


def test_identical_consecutive_reruns_collapse_into_the_last(spark):
    df = _events(
        spark,
        ("e1", 0, "execute", "error", "B"),
        ("e2", 1, "execute", "error", "B"),
        ("e3", 2, "execute", "error", "B"),
        ("e4", 5, "execute", "success", "F"),
        ("e5", 6, "execute", "success", "F"),
    )
    assert _pairs(df) == [("e3", "e4", "run", None)]


def test_fix_outside_the_window_is_not_a_pair(spark):
    df = _events(spark, ("e1", 0, "execute", "error", "B"), ("e2", 25 * 60, "execute", "success", "F"))
    assert _pairs(df, window_hours=24) == []
    assert _pairs(df, window_hours=48) == [("e1", "e2", "run", None)]


def test_model_suggestions_rejected_and_accepted(spark):
    rejected = _events(
        spark,
        ("e1", 0, "execute", "error", "B"),
        ("e2", 1, "fix_suggested", None, "M"),
        ("e3", 2, "fix_rejected", None, "M"),
        ("e4", 6, "execute", "success", "F"),
    )
    assert _pairs(rejected) == [("e1", "e4", "rejected_fix", None)]
    accepted = _events(
        spark,
        ("e1", 0, "execute", "error", "B"),
        ("e2", 1, "fix_suggested", None, "M"),
        ("e3", 2, "fix_accepted", None, "M"),
        ("e4", 3, "execute", "success", "M"),
    )
    assert _pairs(accepted) == [("e1", "e4", "run", "model_fix_accepted")]


def test_flaky_error_rerun_unchanged_is_no_change(spark):
    df = _events(spark, ("e1", 0, "execute", "error", "A"), ("e2", 2, "execute", "success", "A"))
    assert _pairs(df) == [("e1", "e2", "run", "no_change")]


def test_interleaved_tasks_and_same_sql_in_two_tasks_stay_apart(spark):
    df = _events(
        spark,
        ("u", "t1", "a1", 0, "execute", "error", "B"),
        ("u", "t2", "b1", 1, "execute", "error", "B"),
        ("u", "t1", "a2", 2, "execute", "success", "F"),
        ("u", "t2", "b2", 3, "save", None, "F"),
        ("v", "t1", "c1", 2, "execute", "success", "F"),
    )
    pairs = candidate_pairs(df, 24).select("pair_id", "user_id", "task_id", "bug_event_id", "fix_event_id", "signal")
    expected = spark.createDataFrame(
        [("u", "t1", "a1", "a2", "run"), ("u", "t2", "b1", "b2", "save")],
        "user_id string, task_id string, bug_event_id string, fix_event_id string, signal string",
    )
    assertDataFrameEqual(pairs.drop("pair_id"), expected)
    assert pairs.select("pair_id").distinct().count() == 2


def test_referenced_tables_and_schema_as_of_bug_time(spark):
    sql = (
        "WITH x AS (SELECT * FROM shop.orders o)\nSELECT * FROM x JOIN `shop`.`users` u ON 1=1 LEFT JOIN dims d ON 1=1"
    )
    fixed = sql.replace("LEFT JOIN dims d ON 1=1", "")
    pairs = spark.createDataFrame(
        [("p1", T0, sql.replace("shop.orders", "shop.ordrs"), fixed)],
        "pair_id string, bug_time timestamp, bug_sql string, fixed_sql string",
    )
    assert pairs.select(referenced_tables_column(pairs.fixed_sql)).first()[0] == ["shop.orders", "x", "shop.users"]
    assert referenced_tables(fixed) == ["shop.orders", "x", "shop.users"]  # Python and Spark: one rule
    schemas = spark.createDataFrame(
        [
            ("shop.orders", "CREATE TABLE shop.orders (v1 INT)", T0 - dt.timedelta(days=2)),
            ("shop.orders", "CREATE TABLE shop.orders (v2 INT)", T0 - dt.timedelta(days=1)),
            ("shop.orders", "CREATE TABLE shop.orders (v3 INT)", T0 + dt.timedelta(days=1)),
            ("shop.users", "CREATE TABLE shop.users (later INT)", T0 + dt.timedelta(days=3)),
            ("other.dims", "CREATE TABLE other.dims (k INT)", T0 - dt.timedelta(days=9)),
        ],
        "table_name string, ddl string, captured_at timestamp",
    )
    # The catalog joined (large catalogs) and inlined as map literals (small ones): the same answer.
    for row in (attach_schemas(pairs, schemas).first(), attach_schemas(pairs, schemas, inline_max=0).first()):
        assert row.tables == ["other.dims", "shop.orders", "shop.users"]
        assert row.schema_ddl.split(";\n\n") == [
            "CREATE TABLE other.dims (k INT)",
            "CREATE TABLE shop.orders (v2 INT)",
            "CREATE TABLE shop.users (later INT)",
        ]
    unknown = pairs.withColumn("bug_sql", F.lit("SELECT 1 FROM nowhere")).withColumn("fixed_sql", F.lit("SELECT 1"))
    for row in (attach_schemas(unknown, schemas).first(), attach_schemas(unknown, schemas, inline_max=0).first()):
        assert (row.tables, row.schema_ddl) == ([], None)


@pytest.mark.parametrize("window", [1, 24])
def test_every_error_yields_at_most_one_pair(spark, window):
    df = _events(spark, *[(f"e{i}", i, "execute", "error" if i % 3 else "success", f"S{i % 5}") for i in range(30)])
    pairs = candidate_pairs(df, window)
    assert pairs.count() == pairs.select("bug_event_id").distinct().count() > 0
