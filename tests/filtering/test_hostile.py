"""Logged SQL is untrusted: hostile scripts change nothing outside the sandbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from sqlfix.simulate.domains import all_tables

SHOP_DDL = ";\n".join(t.ddl for t in all_tables() if t.name.startswith("shop."))


def hostile(lake_root: Path, outside: Path) -> list[str]:
    return [
        "DROP TABLE shop.orders",
        "DROP DATABASE shop CASCADE",
        "TRUNCATE TABLE shop.orders",
        "DELETE FROM shop.orders WHERE true",
        "INSERT OVERWRITE TABLE shop.users SELECT * FROM shop.users WHERE false",
        "CREATE TABLE shop.copy USING parquet AS SELECT * FROM shop.orders",
        "ALTER TABLE shop.orders RENAME TO shop.gone",
        f"DROP TABLE delta.`{lake_root}/query_logs`",
        f"INSERT OVERWRITE TABLE delta.`{lake_root}/bug_pairs` SELECT * FROM shop.orders",
        f"INSERT OVERWRITE DIRECTORY '{lake_root}/query_logs' USING parquet SELECT 1 AS a",
        f"INSERT OVERWRITE LOCAL DIRECTORY '{outside}' SELECT 1",
        f"CREATE TABLE stolen (a INT) USING parquet LOCATION '{lake_root}/query_logs'",
        f"CREATE DATABASE evil LOCATION '{outside}/evil_db'",
        f"LOAD DATA LOCAL INPATH '{outside}/secret.txt' INTO TABLE shop.users",
        "ADD JAR /tmp/evil.jar",
        f"ADD FILE {outside}/secret.txt",
        "CREATE FUNCTION evil AS 'com.evil.Udf' USING JAR '/tmp/evil.jar'",
        "CREATE TEMPORARY FUNCTION evil AS 'com.evil.Udf'",
        f"SET spark.sql.warehouse.dir={outside}/warehouse",
        "SET spark.sql.catalog.evil=com.evil.Catalog",
        "SET spark.hadoop.fs.defaultFS=file:///",
        "SELECT reflect('java.lang.System', 'exit', 1)",
        "SELECT java_method('java.lang.Runtime', 'getRuntime')",
        f"SELECT * FROM text.`{outside}/secret.txt`",
        f"SELECT * FROM read_files('{outside}')",
        "SET spark.sql.ansi.enabled=false;\nSELECT order_id FROM shop.orders",
        "CREATE OR REPLACE TEMPORARY VIEW orders AS SELECT 1 AS x;\nSELECT * FROM orders",
        "CACHE TABLE shop.orders",
        "USE shop;\nDROP TABLE orders",
    ]


def _snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(part in skip for part in path.relative_to(root).parts):
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _pair_rows(scripts: list[str]) -> list[dict]:
    now = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    rows = []
    for i, script in enumerate(scripts):
        for side, (bug, fix) in enumerate(
            ((script, "SELECT order_id FROM shop.orders"), ("SELECT order_idd FROM shop.orders", script))
        ):
            rows.append({
                "pair_id": f"h{i:03d}{side}", "user_id": "mallory", "task_id": f"t{i}", "engine": "spark-4.1",
                "bug_event_id": f"b{i}{side}", "fix_event_id": f"f{i}{side}", "bug_time": now, "fix_time": now,
                "bug_sql": bug, "error_message": "[UNRESOLVED_COLUMN.WITH_SUGGESTION] ...", "fixed_sql": fix,
                "signal": "run", "tables": ["shop.orders"], "schema_ddl": SHOP_DDL, "changed_lines": 1, "bug_lines": 1,
                "fixed_lines": 1, "changed_line_ratio": 1.0, "category_l1": "resolution", "category_l2": "resolution.column",
                "category_l3": "resolution.column.misspelled_column", "error_condition": "UNRESOLVED_COLUMN.WITH_SUGGESTION",
                "mined_at": now, "run_id": "r0",
            })  # fmt: skip
    return rows


@pytest.mark.slow
def test_hostile_scripts_change_nothing_outside_the_sandbox(ctx, lake, spark, run_cli, tmp_path):
    from sqlfix.tables import BUG_PAIRS

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not read me\n")
    lake_root = Path(ctx.cfg["lake"]["root"])
    scripts = hostile(lake_root, outside)
    lake.append("query_logs", spark.createDataFrame([], lake.table("query_logs").spark_schema))
    lake.append("bug_pairs", spark.createDataFrame(_pair_rows(scripts), BUG_PAIRS.spark_schema))
    versions = {name: lake.version(name) for name in ("query_logs", "bug_pairs")}
    lake_files = _snapshot(lake_root, skip=("pair_verdicts", "filter_runs", "_staging"))
    outside_files = _snapshot(outside)
    warehouse = spark.conf.get("spark.sql.warehouse.dir")
    ansi = spark.conf.get("spark.sql.ansi.enabled")
    functions_before = {f.name for f in spark.catalog.listFunctions()}
    jars_before = spark.sparkContext._jsc.sc().listJars().size()  # noqa: SLF001

    printed = run_cli("filter")

    assert f"judged {2 * len(scripts)} pairs" in printed
    verdicts = {r["pair_id"]: r.asDict() for r in lake.read("pair_verdicts").collect()}
    assert len(verdicts) == 2 * len(scripts)
    refused = {r["reason"] for r in verdicts.values()} - {"kept", "fix_fails", "bug_passes"}
    assert refused == {"refused", "statement_kind_changed"}, refused
    # a destructive statement is never kept as the "fix" of a failing SELECT
    kept_fixes = {scripts[i] for i in range(len(scripts)) if verdicts[f"h{i:03d}1"]["reason"] == "kept"}
    assert kept_fixes == {
        "SET spark.sql.ansi.enabled=false;\nSELECT order_id FROM shop.orders",
        "CREATE OR REPLACE TEMPORARY VIEW orders AS SELECT 1 AS x;\nSELECT * FROM orders",
    }
    for i, script in enumerate(scripts):
        if any(
            word in script
            for word in (
                "reflect(",
                "java_method",
                "ADD ",
                "FUNCTION",
                "DIRECTORY",
                "LOCATION",
                "INPATH",
                "warehouse",
                "catalog.",
                "hadoop",
                "`/",
                "read_files",
            )
        ):
            assert verdicts[f"h{i:03d}0"]["reason"] == "refused", script
            assert verdicts[f"h{i:03d}1"]["reason"] == "refused", script
    # nothing changed: lake tables, files outside the sandbox, the session, the catalog
    assert {name: lake.version(name) for name in ("query_logs", "bug_pairs")} == versions
    assert _snapshot(lake_root, skip=("pair_verdicts", "filter_runs", "_staging")) == lake_files
    assert _snapshot(outside) == outside_files and not (outside / "evil_db").exists()
    assert spark.conf.get("spark.sql.warehouse.dir") == warehouse
    assert spark.conf.get("spark.sql.ansi.enabled") == ansi
    assert spark.sparkContext._jsc.sc().listJars().size() == jars_before  # noqa: SLF001
    assert "evil" not in {f.name for f in spark.catalog.listFunctions()} - functions_before
    assert spark.catalog.tableExists("shop.orders") and spark.catalog.tableExists("shop.users")
    assert not spark.catalog.tableExists("shop.copy") and not spark.catalog.tableExists("shop.gone")
    assert spark.catalog.getDatabase("shop") is not None
    assert os.path.exists(lake_root / "query_logs")
