"""Validation rules of query-log rows, on hand-built raw rows."""

from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual
from sqlfix.ingest.logs import LOG_FIELDS, REASONS, parse_events

RAW = "raw_row string, source_file string, _valid_utf8 boolean, _valid_json boolean, " + ", ".join(
    f"{f} string" for f in LOG_FIELDS
)


def _raw(spark, **over):
    row = {
        "raw_row": "{}", "source_file": "f", "_valid_utf8": True, "_valid_json": True,
        "event_id": "e1", "event_time": "2026-11-01T09:00:00Z", "user_id": "u", "task_id": "t",
        "action": "execute", "sql_text": "SELECT 1", "status": "success", "error_message": None,
        "engine": "spark-4.1", "duration_ms": "12",
    }  # fmt: skip
    row.update(over)
    return row


def _reasons(spark, rows, max_sql_bytes=100):
    df = spark.createDataFrame(rows, RAW)
    return [r.reason for r in parse_events(df, max_sql_bytes, ["yyyy/MM/dd HH:mm:ss"]).collect()]


def test_each_rule_rejects_with_its_reason(spark):
    cases = {
        "invalid_utf8": {"_valid_utf8": False},
        "malformed_json": {"_valid_json": False},
        "missing_event_id": {"event_id": "  "},
        "missing_event_time": {"event_time": None},
        "unparseable_event_time": {"event_time": "last tuesday"},
        "missing_user_id": {"user_id": None},
        "missing_task_id": {"task_id": ""},
        "unknown_action": {"action": "delete"},
        "missing_sql_text": {"action": "save", "sql_text": None},
        "invalid_status": {"status": "maybe"},
        "sql_too_large": {"sql_text": "x" * 101},
        "invalid_duration_ms": {"duration_ms": "-5"},
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
