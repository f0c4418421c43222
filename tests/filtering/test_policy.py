"""The sandbox's screens: refusals and complexity bounds decided on the text and the plan class."""

from __future__ import annotations

import pytest
from sqlfix.filtering.policy import check_plan, check_text

REFUSED = [
    ("SELECT reflect('java.lang.Runtime', 'getRuntime')", "reflection"),
    ("SELECT java_method('java.lang.System', 'exit', 0)", "reflection"),
    ("SELECT TRY_REFLECT('java.lang.System', 'exit', 0)", "reflection"),
    ("SELECT * FROM parquet.`/lake/query_logs`", "file_path"),
    ("SELECT * FROM delta.`s3://bucket/lake/bug_pairs`", "file_path"),
    ("SELECT * FROM read_files('/lake')", "file_path"),
    ("CREATE TABLE x (a INT) USING parquet LOCATION '/lake/query_logs'", "file_path"),
    ("INSERT OVERWRITE DIRECTORY '/lake/query_logs' SELECT 1", "file_path"),
    ("INSERT OVERWRITE LOCAL DIRECTORY '/tmp/x' SELECT 1", "file_path"),
    ("LOAD DATA INPATH '/data/x' INTO TABLE t", "file_path"),
    ("SELECT " + "(" * 250 + "1" + ")" * 250, "too_complex"),
    ("SELECT 1 WHERE a IN (" + ",".join(["1"] * 110_000) + ")", "too_complex"),
]
ALLOWED = [
    "SELECT 'reflect(' AS s, location FROM t",  # words in strings and plain column names
    "SELECT `location`, directory FROM t",
    "SELECT parquet.a FROM t parquet",
    "SELECT " + "(" * 150 + "1" + ")" * 150,
    "SELECT 'unbalanced ( in a string' FROM t",
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED)
def test_refused_text(sql, reason):
    assert check_text(sql).reason == reason


@pytest.mark.parametrize("sql", ALLOWED)
def test_allowed_text(sql):
    assert check_text(sql) is None


@pytest.mark.parametrize(
    ("kind", "key", "reason"),
    [
        ("AddJarsCommand", None, "add_jar"),
        ("AddFilesCommand", None, "add_file"),
        ("AddArchivesCommand", None, "add_file"),
        ("CreateFunction", None, "create_function"),
        ("CreateFunctionCommand", None, "create_function"),
        ("InsertIntoDir", None, "file_path"),
        ("LoadData", None, "file_path"),
        ("SetCommand", "spark.sql.warehouse.dir", "set_outside_session"),
        ("SetCommand", "spark.sql.catalog.evil", "set_outside_session"),
        ("SetCommand", "spark.hadoop.fs.defaultFS", "set_outside_session"),
        ("SetCommand", "spark.executor.memory", "set_outside_session"),
        ("SetCommand", "spark.sql.extensions", "set_outside_session"),
    ],
)
def test_refused_plans(kind, key, reason):
    assert check_plan(kind, key).reason == reason


@pytest.mark.parametrize(
    "key",
    [
        "spark.sql.ansi.enabled",
        "spark.sql.shuffle.partitions",
        "hive.exec.dynamic.partition",
        "mapreduce.job.queuename",
    ],
)
def test_session_settings_allowed(key):
    assert check_plan("SetCommand", key) is None
