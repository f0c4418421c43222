"""The lake on the delta-rs backend: every operation checked on data and schema."""

from __future__ import annotations

import datetime as dt

import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual, assertSchemaEqual
from sqlfix.lake import LakeError, has_native_delta
from sqlfix.tables import QUERY_LOGS, TABLES, Column, Table, register

T0 = dt.datetime(2026, 11, 1, 9, 0, 0)


def _log(event_id: str, day: int = 1, sql: str = "SELECT 1", status: str = "success"):
    t = T0.replace(day=day)
    return (
        event_id,
        t,
        "u1",
        "task",
        "execute",
        sql,
        status,
        None,
        "spark-4.1",
        10,
        hash(sql),
        t.date(),
        "f.jsonl",
        T0,
    )


def _frame(spark, rows):
    return spark.createDataFrame(rows, QUERY_LOGS.spark_schema)


def test_create_is_idempotent_and_has_the_contract_schema(lake):
    assert not lake.exists("query_logs")
    lake.create("query_logs")
    lake.create("query_logs")
    assert lake.exists("query_logs")
    assert lake.version("query_logs") == 0
    assertSchemaEqual(lake.read("query_logs").schema, QUERY_LOGS.spark_schema)
    assert lake.read("query_logs").count() == 0
    assert DeltaTable(lake.location("query_logs")).metadata().partition_columns == ["event_date"]


def test_append_overwrite_and_time_travel(lake, spark):
    lake.append("query_logs", _frame(spark, [_log("a"), _log("b", day=2)]))
    lake.append("query_logs", _frame(spark, [_log("c", day=3)]))
    assertDataFrameEqual(lake.read("query_logs"), _frame(spark, [_log("a"), _log("b", day=2), _log("c", day=3)]))
    lake.overwrite("query_logs", _frame(spark, [_log("z")]))
    assertDataFrameEqual(lake.read("query_logs"), _frame(spark, [_log("z")]))
    assertDataFrameEqual(lake.read("query_logs", version=1), _frame(spark, [_log("a"), _log("b", day=2)]))
    ops = [h["operation"] for h in lake.history("query_logs")]
    assert ops == ["WRITE", "WRITE", "WRITE", "CREATE TABLE"]


def test_merge_inserts_new_keys_and_rerun_adds_nothing(lake, spark):
    first = lake.merge("query_logs", _frame(spark, [_log("a"), _log("b")]))
    assert (first.inserted, first.updated) == (2, 0)
    version = lake.version("query_logs")
    again = lake.merge("query_logs", _frame(spark, [_log("a"), _log("b")]))
    assert (again.inserted, again.updated) == (0, 0)
    assert lake.version("query_logs") == version
    mixed = lake.merge("query_logs", _frame(spark, [_log("b", sql="SELECT 2"), _log("c")]))
    assert (mixed.inserted, mixed.updated) == (1, 0)
    assertDataFrameEqual(lake.read("query_logs"), _frame(spark, [_log("a"), _log("b"), _log("c")]))


def test_merge_with_update_replaces_matched_rows(lake, spark):
    lake.merge("query_logs", _frame(spark, [_log("a"), _log("b")]))
    result = lake.merge("query_logs", _frame(spark, [_log("b", sql="SELECT 2"), _log("c")]), update=True)
    assert (result.inserted, result.updated) == (1, 1)
    assertDataFrameEqual(lake.read("query_logs"), _frame(spark, [_log("a"), _log("b", sql="SELECT 2"), _log("c")]))
    # The same rows again update nothing: unchanged rows are not rewritten.
    again = lake.merge("query_logs", _frame(spark, [_log("b", sql="SELECT 2"), _log("c")]), update=True)
    assert (again.inserted, again.updated) == (0, 0)


def test_merge_does_not_update_rows_for_bookkeeping_columns_alone(lake, spark):
    rows = [("p", "u", "r1", "2026-11-01 00:00:00"), ("q", "u", "r1", "2026-11-01 00:00:00")]
    schema = "path string, sha256 string, target string, ingested_at string"
    frame = lambda rows: spark.createDataFrame(rows, schema).selectExpr(  # noqa: E731
        "path", "sha256", "1L AS size_bytes", "target", "2L AS rows_loaded", "0L AS rows_rejected",
        "CAST(ingested_at AS TIMESTAMP) AS ingested_at",
    )  # fmt: skip
    lake.merge("ingested_files", frame(rows))
    later = [(p, s, t, "2026-11-02 00:00:00") for p, s, t, _ in rows]
    assert lake.merge("ingested_files", frame(later), update=True).updated == 0
    changed = frame(later).selectExpr("*").withColumn("rows_loaded", F.when(F.col("path") == "q", 3).otherwise(2))
    assert lake.merge("ingested_files", changed, update=True).updated == 1


def test_failed_write_leaves_the_table_at_its_last_version(lake, spark):
    lake.append("query_logs", _frame(spark, [_log("a")]))
    version = lake.version("query_logs")
    # The frame fails half way: rows flow until one raises inside the Spark job.
    poisoned = _frame(spark, [_log(f"x{i}") for i in range(50)]).withColumn(
        "sql_text",
        F.when(F.col("event_id") == "x37", F.raise_error(F.lit("disk on fire"))).otherwise(F.col("sql_text")),
    )
    for write in (lake.append, lake.overwrite, lake.merge):
        with pytest.raises(Exception, match="disk on fire"):
            write("query_logs", poisoned)
        assert lake.version("query_logs") == version
        assertDataFrameEqual(lake.read("query_logs"), _frame(spark, [_log("a")]))
    assert not (lake.backend.root / "_staging").exists()
    assert not (lake.backend.root / "query_logs" / "_sqlfix_staging").exists()
    # No file of a failed write is left beside the table's own.
    on_disk = {p.name for p in (lake.backend.root / "query_logs").rglob("*.parquet")}
    assert on_disk == {u.rsplit("/", 1)[-1] for u in DeltaTable(lake.location("query_logs")).file_uris()}


def test_spark_written_files_commit_with_their_partition_values(lake, spark):
    """Appends commit the files Spark wrote: partition folders Spark escapes, nulls, empty frames."""
    name = "partitioned_test_table"
    TABLES.pop(name, None)
    register(
        Table(name, "test", (Column("k", "string"), Column("part", "string")), keys=("k",), partition_by=("part",))
    )
    try:
        rows = [("a", "x y:z/é%"), ("b", None), ("c", "plain")]
        lake.append(name, spark.createDataFrame(rows, "k string, part string"))
        version = lake.version(name)
        lake.append(name, spark.createDataFrame([], "k string, part string"))
        assert lake.version(name) == version  # nothing to add: no commit
        plain = DeltaTable(lake.location(name)).to_pyarrow_table().to_pylist()
        assert sorted((r["k"], r["part"]) for r in plain) == sorted(rows, key=lambda r: r[0])
        assert sorted(map(tuple, lake.read(name).collect())) == sorted(rows, key=lambda r: r[0])
        assert len(DeltaTable(lake.location(name)).file_uris()) == 3  # the empty append added no file
    finally:
        TABLES.pop(name)


def test_null_keys_are_refused_and_nothing_is_written(lake, spark):
    lake.create("query_logs")
    with pytest.raises(Exception, match="null in key columns"):
        lake.append("query_logs", _frame(spark, [_log("a"), (None, *_log("b")[1:])]))
    assert lake.read("query_logs").count() == 0


def test_missing_columns_and_unknown_tables_get_clear_errors(lake, spark):
    with pytest.raises(LakeError, match="lacks columns"):
        lake.append("query_logs", _frame(spark, [_log("a")]).drop("engine"))
    with pytest.raises(LakeError, match="unknown table: nope — the lake's tables are batch_approvals, bug_pairs"):
        lake.read("nope")


def test_delta_rs_reads_back_what_the_lake_wrote(lake, spark):
    rows = [_log("a"), _log("b", day=2, sql="SELECT 'é', \"x\"\nFROM t")]
    lake.merge("query_logs", _frame(spark, rows))
    plain = DeltaTable(lake.location("query_logs")).to_pyarrow_table().to_pandas()
    plain = plain.sort_values("event_id").reset_index(drop=True)
    via_spark = lake.read("query_logs").orderBy("event_id").toPandas()
    assert list(plain.columns) == QUERY_LOGS.column_names
    assert plain["event_id"].tolist() == ["a", "b"]
    assert plain["sql_text"].tolist() == via_spark["sql_text"].tolist()
    assert [t.replace(tzinfo=None) for t in plain["event_time"]] == [T0, T0.replace(day=2)]
    assert plain["duration_ms"].tolist() == [10, 10]
    assert plain["sql_hash"].tolist() == via_spark["sql_hash"].tolist()


def test_new_contract_columns_are_added_to_an_existing_table(lake, spark):
    name = "evolving_test_table"
    TABLES.pop(name, None)
    register(Table(name, "test", (Column("k", "string"), Column("v", "bigint")), keys=("k",)))
    lake.append(name, spark.createDataFrame([("a", 1)], "k string, v bigint"))
    TABLES.pop(name)
    register(
        Table(name, "test", (Column("k", "string"), Column("v", "bigint"), Column("w", "array<string>")), keys=("k",))
    )
    try:
        assert lake.read(name).columns == ["k", "v", "w"]
        lake.merge(name, spark.createDataFrame([("b", 2, ["x"])], "k string, v bigint, w array<string>"))
        assert sorted(map(tuple, lake.read(name).collect())) == [("a", 1, None), ("b", 2, ["x"])]
    finally:
        TABLES.pop(name)


@pytest.mark.cluster
@pytest.mark.skipif("not __import__('importlib').util.find_spec('delta')", reason="delta-spark not installed")
def test_native_backend_merge_is_idempotent(spark, tmp_path):
    if not has_native_delta(spark):
        pytest.skip("Delta's jars are not on this session's classpath")
    from sqlfix.lake import Lake
    from sqlfix.lake.native import NativeDelta

    lake = Lake(NativeDelta(spark, str(tmp_path), None, None), spark)
    assert lake.merge("query_logs", _frame(spark, [_log("a")])).inserted == 1
    assert lake.merge("query_logs", _frame(spark, [_log("a")])).inserted == 0
