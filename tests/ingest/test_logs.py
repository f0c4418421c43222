"""Validation rules of query-log rows, on hand-built raw rows."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual
from sqlfix.ingest.logs import LOG_FIELDS, REASONS, mark_conflicts, parse_events

RAW = "raw_row string, source_file string, _valid_utf8 boolean, _valid_json boolean, " + ", ".join(
    f"{f} string" for f in (*LOG_FIELDS, "_skip")
)


def _raw(spark, **over):
    row = {
        "raw_row": "{}", "source_file": "f", "_valid_utf8": True, "_valid_json": True,
        "event_id": "e1", "event_time": "2026-11-01T09:00:00Z", "user_id": "u", "task_id": "t",
        "action": "execute", "sql_text": "SELECT 1", "status": "success", "error_message": None,
        "engine": "spark-4.1", "duration_ms": "12", "_skip": None,
    }  # fmt: skip
    row.update(over)
    return row


def _reasons(spark, rows, max_sql_bytes=100):
    df = spark.createDataFrame(rows, RAW)
    return [r.reason for r in parse_events(df, max_sql_bytes, ["yyyy/MM/dd HH:mm:ss"]).select("reason").collect()]


def test_each_rule_rejects_with_its_reason(spark):
    cases = {
        "invalid_utf8": {"_valid_utf8": False},
        "malformed_json": {"_valid_json": False},
        "missing_event_id": {"event_id": "  "},
        "missing_event_time": {"event_time": None},
        "unparseable_event_time": {"event_time": "last tuesday"},
        "event_time_out_of_range": {"event_time": "+10000-01-01T00:00:00Z"},
        "missing_user_id": {"user_id": None},
        "missing_task_id": {"task_id": ""},
        "unknown_action": {"action": "delete"},
        "missing_sql_text": {"action": "save", "sql_text": None},
        "invalid_status": {"status": "maybe"},
        "sql_too_large": {"sql_text": "x" * 101},
        "invalid_duration_ms": {"duration_ms": "-5"},
        "statement_type_not_mined": {"_skip": "INSERT"},
    }
    assert tuple(cases) == REASONS
    rows = [
        _raw(spark, event_id=f"e{i}", **over) if "event_id" not in over else _raw(spark, **over)
        for i, over in enumerate(cases.values())
    ]
    assert _reasons(spark, rows) == list(cases)


def test_good_rows_are_typed_and_normalised(spark):
    rows = [
        _raw(spark, event_id=" e1 ", action="EXECUTE", status="Error", error_message="boom", duration_ms=None),
        _raw(spark, event_id="e2", event_time="2026/11/01 10:00:00", action="save", status="success"),
        _raw(spark, event_id="e3", event_time="1793264400000", engine="", action="fix_rejected", sql_text=None),
    ]
    got = parse_events(spark.createDataFrame(rows, RAW), 100, ["yyyy/MM/dd HH:mm:ss"]).drop("raw_row", "source_file")
    expected = spark.createDataFrame(
        [
            (
                None,
                "e1",
                dt.datetime(2026, 11, 1, 9),
                "u",
                "t",
                "execute",
                "SELECT 1",
                "error",
                "boom",
                "spark-4.1",
                None,
            ),
            (None, "e2", dt.datetime(2026, 11, 1, 10), "u", "t", "save", "SELECT 1", None, None, "spark-4.1", 12),
            (None, "e3", dt.datetime(2026, 10, 29, 9), "u", "t", "fix_rejected", None, None, None, None, 12),
        ],
        "reason string, event_id string, event_time timestamp, user_id string, task_id string, action string, "
        "sql_text string, status string, error_message string, engine string, duration_ms bigint",
    )
    assertDataFrameEqual(got, expected)


def test_event_time_range_is_a_half_open_interval(spark):
    rows = [
        _raw(spark, event_id="a", event_time="1969-12-31T23:59:59Z"),
        _raw(spark, event_id="b", event_time="1970-01-01T00:00:00Z"),
        _raw(spark, event_id="c", event_time="2099-12-31T23:59:59Z"),
        _raw(spark, event_id="d", event_time="2100-01-01T00:00:00Z"),
    ]
    assert _reasons(spark, rows) == ["event_time_out_of_range", None, None, "event_time_out_of_range"]
    narrow = parse_events(spark.createDataFrame(rows, RAW), 100, (), ("2000-01-01T00:00:00Z", "2100-01-01T00:00:01Z"))
    assert [r.reason for r in narrow.select("reason").collect()] == [
        "event_time_out_of_range",
        "event_time_out_of_range",
        None,
        None,
    ]


def test_conflicting_duplicates_are_marked_against_the_lake_and_the_batch(spark):
    from sqlfix.ingest.logs import good_rows

    batch = [
        _raw(spark, event_id="old", raw_row="1"),  # same content as the lake's row: a plain duplicate
        _raw(spark, event_id="old", raw_row="2", sql_text="SELECT 2"),  # other content: conflict with the lake
        _raw(spark, event_id="new", raw_row="3", source_file="a"),  # first of the batch: kept
        _raw(spark, event_id="new", raw_row="4", source_file="b"),  # same content: duplicate
        _raw(spark, event_id="new", raw_row="5", source_file="c", user_id="mallory"),  # conflict in the batch
        _raw(spark, event_id="bad", raw_row="6", action="nope"),  # rejected for its own reason
    ]
    parsed = parse_events(spark.createDataFrame(batch, RAW), 100)
    existing = good_rows(
        parse_events(spark.createDataFrame([_raw(spark, event_id="old")], RAW), 100), F.current_timestamp()
    )
    got = {r.raw_row: r.reason for r in mark_conflicts(parsed, existing).collect()}
    assert got == {"1": None, "2": "conflicting_duplicate", "3": None, "4": None, "5": "conflicting_duplicate",
                   "6": "unknown_action"}  # fmt: skip
