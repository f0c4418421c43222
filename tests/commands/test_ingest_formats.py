"""`sqlfix ingest --format databricks_query_history|spark_event_log` on fixture logs in the systems' own
layouts (tests/fixtures/logs), then mined and filtered into the expected pairs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
SCHEMAS = str(FIXTURES / "retail_schemas.sql")
W = "w1234567890123456/"


def _counts(out: str) -> tuple[int, ...]:
    import re

    m = re.search(r"ingest: (\d+) loaded, (\d+) duplicate, (\d+) rejected of (\d+) rows from (\d+) files", out)
    assert m, out
    return tuple(map(int, m.groups()))


def _logs(lake) -> dict[str, tuple]:
    return {
        r.event_id: (r.user_id, r.task_id, r.status, r.engine, r.duration_ms)
        for r in lake.read("query_logs").collect()
    }


def _pairs(lake) -> set[tuple]:
    verdicts = {r.pair_id: r.verdict for r in lake.read("pair_verdicts").collect()}
    return {(r.bug_event_id, r.fix_event_id, r.signal, verdicts[r.pair_id]) for r in lake.read("bug_pairs").collect()}


def test_databricks_query_history_export_ingests_mines_and_filters(run_cli, lake, tmp_path):
    source = tmp_path / "history"
    source.mkdir()
    shutil.copy(FIXTURES / "databricks_query_history.jsonl", source)
    out = run_cli("ingest", "--format", "databricks_query_history", "--source", str(source), "--schemas", SCHEMAS)
    assert _counts(out) == (7, 1, 4, 12, 1)
    assert out.rstrip().endswith("; 2 of the rejected are statements never mined")
    nb, query = f"{W}notebook:1832045567001", f"{W}sql_query:7d1c0ffe-0b0b-4e55-9a3f-5a1e2f3c4d5e"
    assert _logs(lake) == {
        "01f0a1-a1": ("alice@example.com", nb, "error", "databricks-serverless_compute", 1200),
        "01f0a1-a2": ("alice@example.com", nb, "success", "databricks-serverless_compute", 1200),
        "01f0b2-b1": ("bob@example.com", query, "error", "databricks-warehouse", 1200),
        "01f0b2-b2": ("bob@example.com", query, "canceled", "databricks-warehouse", 1200),
        "01f0b2-b3": ("bob@example.com", query, "success", "databricks-warehouse", 1200),
        "01f0d4-d1": ("2967", f"{W}session:0123-d4", "error", "databricks-warehouse", 1200),
        "01f0d4-d2": ("2967", f"{W}session:0123-d4", "success", "databricks-warehouse", 1200),
    }
    rejected = sorted(
        (r.reason, json.loads(r.raw_row).get("statement_id", "") if r.reason != "malformed_json" else "")
        for r in lake.read("query_logs_rejected").collect()
    )
    assert rejected == [
        ("malformed_json", ""), ("missing_event_id", ""),
        ("statement_type_not_mined", "01f0c3-c1"), ("statement_type_not_mined", "01f0c3-c2"),
    ]  # fmt: skip
    versions = {t: lake.version(t) for t in ("query_logs", "query_logs_rejected")}
    assert _counts(run_cli("ingest", "--format", "databricks_query_history", "--source", str(source), "--force")) == (
        0, 8, 4, 12, 1,
    )  # fmt: skip
    assert {t: lake.version(t) for t in versions} == versions  # re-ingesting adds nothing
    run_cli("mine")
    run_cli("filter")
    # The canceled run between b1 and b3 is no fix: b1 pairs with the next success.
    assert _pairs(lake) == {
        ("01f0a1-a1", "01f0a1-a2", "run", "kept"),
        ("01f0b2-b1", "01f0b2-b3", "run", "kept"),
        ("01f0d4-d1", "01f0d4-d2", "run", "kept"),
    }


def test_query_history_table_is_read_incrementally_from_a_watermark(run_cli, lake, spark, tmp_path):
    """A table source (system.query.history on a cluster; a temp view here) is read from the last end_time
    minus the overlap; what was read before adds nothing."""
    from sqlfix.ingest.query_history import SOURCE_SCHEMA

    lines = [line for line in (FIXTURES / "databricks_query_history.jsonl").read_text().splitlines() if line.strip()]
    (tmp_path / "five.jsonl").write_text("\n".join(lines[:5]) + "\n")
    table = spark.read.schema(SOURCE_SCHEMA).json(str(tmp_path / "five.jsonl"))
    table = table.withColumn("end_time", table.end_time.cast("timestamp")).withColumn(
        "start_time", table.start_time.cast("timestamp")
    )
    table.filter("statement_id < '01f0b2'").createOrReplaceTempView("qh_first")
    table.createOrReplaceTempView("qh_all")
    assert _counts(run_cli("ingest", "--format", "databricks_query_history", "--source", "qh_first"))[:4] == (2, 0, 0, 2)
    mark = lake.read("ingest_watermarks").first()
    assert (mark.source, mark.format, str(mark.watermark)) == ("qh_first", "databricks_query_history",
                                                               "2026-11-03 09:03:01.200000")  # fmt: skip
    # The same view name now holding every row: only rows ended after the watermark minus 2 h are read.
    table.filter("statement_id < '01f0b2' OR start_time >= '2026-11-03 10:00:00'").createOrReplaceTempView("qh_first")
    assert _counts(run_cli("ingest", "--format", "databricks_query_history", "--source", "qh_first"))[:4] == (3, 2, 0, 5)
    spark.sql("CREATE OR REPLACE TEMP VIEW qh_first AS SELECT * FROM qh_all WHERE end_time > '2026-11-04'")
    assert _counts(run_cli("ingest", "--format", "databricks_query_history", "--source", "qh_first"))[:4] == (0, 0, 0, 0)
    assert sorted(r.event_id for r in lake.read("query_logs").collect()) == [
        "01f0a1-a1", "01f0a1-a2", "01f0b2-b1", "01f0b2-b2", "01f0b2-b3",
    ]  # fmt: skip


def _lz4_java(data: bytes) -> bytes:
    """lz4-java's LZ4BlockOutputStream framing, written for the test: one LZ4 block and the end block."""
    import cramjam

    block = bytes(cramjam.lz4.compress_block(data, store_size=False))
    head = b"LZ4Block" + bytes([0x20 | 9]) + len(block).to_bytes(4, "little") + len(data).to_bytes(4, "little")
    end = b"LZ4Block" + bytes([0x10]) + (0).to_bytes(12, "little")
    return head + b"\0\0\0\0" + block + end


def _snappy_java(data: bytes) -> bytes:
    """snappy-java's SnappyOutputStream framing: magic, versions, then length-prefixed raw chunks."""
    import cramjam

    out = b"\x82SNAPPY\x00" + (1).to_bytes(4, "big") + (1).to_bytes(4, "big")
    for at in range(0, len(data), 1000):
        chunk = bytes(cramjam.snappy.compress_raw(data[at : at + 1000]))
        out += len(chunk).to_bytes(4, "big") + chunk
    return out


@pytest.mark.parametrize("codec", ["zstd", "lz4", "snappy"])
def test_decompress_reads_the_framing_spark_writes(codec):
    import cramjam
    from sqlfix.ingest.event_log import decompress

    text = (FIXTURES / "spark_event_log_app.jsonl").read_bytes()
    packed = {"zstd": lambda d: bytes(cramjam.zstd.compress(d)), "lz4": _lz4_java, "snappy": _snappy_java}[codec]
    assert decompress(packed(text) + packed(b"more"), codec) == text + b"more"  # concatenated streams too


def test_spark_event_logs_ingest_mine_and_filter(run_cli, lake, tmp_path):
    import cramjam

    app = (FIXTURES / "spark_event_log_app.jsonl").read_bytes().splitlines(keepends=True)
    logs = tmp_path / "spark-events"
    rolling = logs / "eventlog_v2_app-20261103090000-0001"
    rolling.mkdir(parents=True)
    (rolling / "appstatus_app-20261103090000-0001").write_bytes(b"")
    (rolling / "events_1_app-20261103090000-0001.zstd").write_bytes(bytes(cramjam.zstd.compress(b"".join(app[:6]))))
    (rolling / "events_2_app-20261103090000-0001.zstd").write_bytes(bytes(cramjam.zstd.compress(b"".join(app[6:]))))
    (logs / "app-20261103100000-0002.lz4").write_bytes(_lz4_java((FIXTURES / "spark_event_log_thrift.jsonl").read_bytes()))
    (logs / "app-20261103110000-0003.inprogress").write_bytes(b"".join(app[:4]))  # still running: left alone
    (logs / "app-20261103120000-0004.zstd").write_bytes(b"this is not zstd")
    out = run_cli("ingest", "--format", "spark_event_log", "--source", str(logs), "--schemas", SCHEMAS)
    # Rows: app 1 executions 0, 1, 2, 4 (3 is nested in 2); Thrift operations 1-3 (their execution is op 2's);
    # the damaged file. Rejected: a call-site description, an end without a start, the damaged file.
    assert _counts(out) == (5, 0, 3, 8, 4)
    assert out.rstrip().endswith("; 1 logs still being written, left for a later run")
    a1, a2 = "app-20261103090000-0001", "app-20261103100000-0002"
    assert _logs(lake) == {
        f"{a1}:sql:0": ("etl", "app:nightly_gmv", "error", "spark-4.0.1", 800),
        f"{a1}:sql:2": ("etl", "app:nightly_gmv", "success", "spark-4.0.1", 1000),
        f"{a2}:op:9a0c-op1": ("dana", "thrift-session:b6f1e0c2-sess", "error", "spark-3.5.3", 300),
        f"{a2}:op:9a0c-op2": ("dana", "thrift-session:b6f1e0c2-sess", "success", "spark-3.5.3", 1000),
        f"{a2}:op:9a0c-op3": ("dana", "thrift-session:b6f1e0c2-sess", "canceled", "spark-3.5.3", 4000),
    }
    reasons = sorted(r.reason for r in lake.read("query_logs_rejected").collect())
    assert reasons == ["malformed_json", "missing_event_time", "missing_sql_text"]
    # Nothing new: every file is skipped; forced, every row is a duplicate or the same quarantine row.
    assert _counts(run_cli("ingest", "--format", "spark_event_log", "--source", str(logs))) == (0, 0, 0, 0, 0)
    assert _counts(run_cli("ingest", "--format", "spark_event_log", "--source", str(logs), "--force")) == (0, 5, 3, 8, 4)
    assert lake.read("query_logs_rejected").count() == 3
    run_cli("mine")
    run_cli("filter")
    assert _pairs(lake) == {
        (f"{a1}:sql:0", f"{a1}:sql:2", "run", "kept"),
        (f"{a2}:op:9a0c-op1", f"{a2}:op:9a0c-op2", "run", "kept"),
    }


@pytest.mark.slow
def test_an_event_log_that_spark_itself_wrote(run_cli, lake, tmp_path):
    """A real Spark application (this machine's PySpark) writes a rolling, zstd-compressed event log the way
    the spark-sql shell does (job description = the statement); sqlfix reads its failure and its fix."""
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(f"""
        from pyspark.sql import SparkSession
        spark = (SparkSession.builder.master("local[1]").appName("shell_session")
                 .config("spark.eventLog.enabled", "true").config("spark.eventLog.dir", {str(tmp_path / 'ev')!r})
                 .config("spark.ui.enabled", "false").getOrCreate())
        spark.sql("CREATE TEMP VIEW people AS SELECT * FROM VALUES (1, 'ann') AS t(id, name)")
        for sql in ("SELECT nmae FROM people", "SELECT name FROM people"):
            spark.sparkContext.setJobDescription(sql)
            try:
                spark.sql(sql).collect()
            except Exception:
                pass
        spark.stop()
    """))
    (tmp_path / "ev").mkdir()
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, timeout=300)
    out = run_cli("ingest", "--format", "spark_event_log", "--source", str(tmp_path / "ev"))
    rows = sorted((r.sql_text, r.status, r.task_id) for r in lake.read("query_logs").collect())
    assert rows == [("SELECT name FROM people", "success", "app:shell_session"),
                    ("SELECT nmae FROM people", "error", "app:shell_session")], out  # fmt: skip
    error = lake.read("query_logs").filter("status = 'error'").first().error_message
    assert error.startswith("[UNRESOLVED_COLUMN.WITH_SUGGESTION]")
