"""`sqlfix ingest` run as a command on files with malformed rows."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq

GOOD = {
    "event_time": "2026-11-01T09:00:00Z", "user_id": "alice", "task_id": "gmv", "action": "execute",
    "sql_text": "SELECT 1", "status": "success", "engine": "spark-4.1", "duration_ms": 5,
}  # fmt: skip


def _write(path, events, extra_lines=()):
    with path.open("wb") as fh:
        for e in events:
            fh.write((json.dumps(e) + "\n").encode())
        for line in extra_lines:
            fh.write(line + b"\n")
    return path


def _counts(out: str) -> dict[str, int]:
    m = re.search(
        r"ingest: (\d+) loaded, (\d+) duplicate, (\d+) rejected of (\d+) rows from (\d+) files \((\d+) already", out
    )
    assert m, out
    return dict(zip(["loaded", "duplicate", "rejected", "rows", "files", "skipped"], map(int, m.groups()), strict=True))


def test_folder_with_bad_rows_is_loaded_quarantined_and_idempotent(run_cli, lake, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    _write(logs / "a.jsonl", [{**GOOD, "event_id": "e1"}, {**GOOD, "event_id": "e2"}, {**GOOD, "event_id": "e1"}])
    _write(
        logs / "b.jsonl",
        [
            {**GOOD, "event_id": "e3"},
            {**GOOD, "event_id": "e4", "action": "drop"},
            {**GOOD, "event_time": "2026-11-01"},
        ],
        extra_lines=[b'{"event_id": "e5", "sql_text": "SELECT \'\xff\'"}', b"{not json", b"   "],
    )
    counts = _counts(run_cli("ingest", "--source", str(logs)))
    assert counts == {"loaded": 3, "duplicate": 1, "rejected": 4, "rows": 8, "files": 2, "skipped": 0}
    assert sorted(r.event_id for r in lake.read("query_logs").collect()) == ["e1", "e2", "e3"]
    rejected = {r.reason: r for r in lake.read("query_logs_rejected").collect()}
    assert sorted(rejected) == ["invalid_utf8", "malformed_json", "missing_event_id", "unknown_action"]
    assert rejected["malformed_json"].raw_row == "{not json"
    assert rejected["invalid_utf8"].raw_row.startswith("base64:")
    assert rejected["unknown_action"].source_file == str((logs / "b.jsonl").resolve())
    versions = {t: lake.version(t) for t in ("query_logs", "query_logs_rejected")}

    # Same folder again: nothing read, nothing written.
    assert _counts(run_cli("ingest", "--source", str(logs)))["skipped"] == 2
    assert {t: lake.version(t) for t in versions} == versions
    # Forced re-read of the same files: rows are read again but nothing is added.
    forced = _counts(run_cli("ingest", "--source", str(logs), "--force"))
    assert (forced["loaded"], forced["duplicate"], forced["rows"]) == (0, 4, 8)
    assert lake.read("query_logs").count() == 3 and lake.read("query_logs_rejected").count() == 4
    # A new file in the folder: only it is read.
    _write(logs / "c.jsonl", [{**GOOD, "event_id": "e9"}, {**GOOD, "event_id": "e2"}])
    assert _counts(run_cli("ingest", "--source", str(logs))) == {
        "loaded": 1, "duplicate": 1, "rejected": 0, "rows": 2, "files": 1, "skipped": 2,
    }  # fmt: skip


def test_column_map_sql_size_and_parquet_source(run_cli, lake, ctx, tmp_path):
    ctx.cfg["ingest"]["column_map"] = {"event_id": "id", "sql_text": "query", "event_time": "ts"}
    ctx.cfg["ingest"]["max_sql_bytes"] = 50
    table = pa.table(
        {
            "id": ["p1", "p2", "p3"],
            "ts": pa.array([1793264400000, 1793264401000, 1793264402000], pa.int64()),
            "user_id": ["u", "u", "u"],
            "task_id": ["t", "t", "t"],
            "action": ["execute", "save", "save"],
            "query": ["SELECT 1", "SELECT 2", "SELECT " + "x," * 40 + "1"],
            "status": ["error", None, None],
            "error_message": ["[X] boom", None, None],
        }
    )
    pq.write_table(table, tmp_path / "logs.parquet")
    counts = _counts(run_cli("ingest", "--source", str(tmp_path / "logs.parquet")))
    assert (counts["loaded"], counts["rejected"]) == (2, 1)
    rows = {r.event_id: r for r in lake.read("query_logs").collect()}
    assert rows["p1"].status == "error" and rows["p1"].error_message == "[X] boom"
    assert rows["p2"].sql_text == "SELECT 2" and str(rows["p2"].event_time) == "2026-10-29 09:00:01"
    assert [r.reason for r in lake.read("query_logs_rejected").collect()] == ["sql_too_large"]


def test_table_source_and_schemas(run_cli, lake, spark, tmp_path):
    spark.createDataFrame([{**GOOD, "event_id": "t1", "duration_ms": "7"}]).createOrReplaceTempView("platform_logs")
    assert _counts(run_cli("ingest", "--source", "platform_logs"))["loaded"] == 1
    assert lake.read("query_logs").collect()[0].source_file == "table:platform_logs"
    ddl = tmp_path / "schemas.sql"
    ddl.write_text(
        "CREATE TABLE a.orders (id BIGINT COMMENT 'x;y');\n-- note\nCREATE TABLE b (x INT);\nDROP TABLE c;\n"
    )
    out = run_cli("ingest", "--schemas", str(ddl), "--captured-at", "2026-11-01T00:00:00")
    assert "schemas: 2 loaded, 1 rejected" in out
    assert sorted(r.table_name for r in lake.read("table_schemas").collect()) == ["a.orders", "b"]
    assert "schemas: 0 loaded, 1 rejected" in run_cli(
        "ingest", "--schemas", str(ddl), "--captured-at", "2026-11-01T00:00:00"
    )
    assert lake.read("table_schemas_rejected").count() == 1


def test_missing_source_is_a_clear_error(run_cli_fails):
    assert run_cli_fails("ingest", "--source", "/no/such/place") == (
        2,
        "sqlfix ingest: --source is neither a file, a folder nor a known table: /no/such/place — "
        "give a JSON Lines or Parquet file or folder, or a table name\n",
    )
    assert run_cli_fails("ingest", "--schemas", "/no/such/place") == (
        2, "sqlfix ingest: no such file or folder: /no/such/place\n"
    )  # fmt: skip


def test_far_times_and_conflicting_duplicates_are_quarantined(run_cli, lake, cfg, tmp_path):
    from deltalake import DeltaTable

    logs = tmp_path / "logs"
    logs.mkdir()
    _write(
        logs / "a.jsonl",
        [
            {**GOOD, "event_id": "e1"},
            {**GOOD, "event_id": "e2", "event_time": "+10000-01-01T00:00:00Z"},
            # same id, other content, same batch: the earlier event (then file, then raw row) is kept
            {**GOOD, "event_id": "e1", "sql_text": "SELECT 'other'", "event_time": "2026-11-01T09:00:01Z"},
        ],
    )
    assert _counts(run_cli("ingest", "--source", str(logs))) == {
        "loaded": 1, "duplicate": 0, "rejected": 2, "rows": 3, "files": 1, "skipped": 0,
    }  # fmt: skip
    _write(logs / "b.jsonl", [{**GOOD, "event_id": "e1", "user_id": "mallory"}, {**GOOD, "event_id": "e1"}])
    assert _counts(run_cli("ingest", "--source", str(logs))) == {
        "loaded": 0, "duplicate": 1, "rejected": 1, "rows": 2, "files": 1, "skipped": 1,
    }  # fmt: skip
    rejected = sorted((r.reason, json.loads(r.raw_row).get("sql_text"), json.loads(r.raw_row)["user_id"])
                      for r in lake.read("query_logs_rejected").collect())  # fmt: skip
    assert rejected == [
        ("conflicting_duplicate", "SELECT 'other'", "alice"),
        ("conflicting_duplicate", "SELECT 1", "mallory"),
        ("event_time_out_of_range", "SELECT 1", "alice"),
    ]
    # the first version stays, and every Delta reader can still read the table
    frame = DeltaTable(str(tmp_path / "lake" / "query_logs")).to_pandas()
    assert frame[["event_id", "user_id", "sql_text"]].values.tolist() == [["e1", "alice", "SELECT 1"]]
    assert sorted(p.name for p in (tmp_path / "lake" / "query_logs").iterdir() if p.name.startswith("event_date")) == [
        "event_date=2026-11-01"
    ]


def test_hostile_names_bad_parquet_and_huge_rows(run_cli, run_cli_fails, lake, tmp_path):
    """Issue 25: table names that would reach the sandbox's SQL are quarantined; a .parquet file that is not
    Parquet is named; a valid 50 MB row is sql_too_large, not malformed_json."""
    ddl = tmp_path / "schemas.sql"
    ddl.write_text("CREATE TABLE a.b.t (x INT);\nCREATE TABLE global_temp.t (x INT);\nCREATE TABLE ok.t (x INT);\n")
    assert "schemas: 1 loaded, 2 rejected" in run_cli("ingest", "--schemas", str(ddl), "--captured-at", "2026-11-01")
    assert sorted(r.reason for r in lake.read("table_schemas_rejected").collect()) == ["bad_table_name"] * 2

    folder = tmp_path / "parquet"
    folder.mkdir()
    (folder / "broken.parquet").write_text('{"this": "is json"}\n')
    code, message = run_cli_fails("ingest", "--source", str(folder))
    assert code == 2 and message.startswith("sqlfix ingest: not a readable Parquet file (") and "broken.parquet" in message

    huge = _write(tmp_path / "huge.jsonl", [{**GOOD, "event_id": "big", "sql_text": "SELECT " + "1+" * 25_000_000 + "1"}])
    assert _counts(run_cli("ingest", "--source", str(huge)))["rejected"] == 1
    assert [(r.reason,) for r in lake.read("query_logs_rejected").select("reason").collect()] == [("sql_too_large",)]
