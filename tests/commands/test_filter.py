"""`sqlfix filter` over mined pairs (table mode, incremental, idempotent) and over files."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_filter_judges_mined_pairs_once(spark, lake, run_cli, tmp_path):
    from pyspark.sql import functions as F
    from sqlfix.simulate.logs import simulate

    out = tmp_path / "sim"
    simulate(spark, out, events=400, seed=17)
    run_cli("ingest", "--source", str(out / "logs"), "--schemas", str(out / "schemas.jsonl"))
    run_cli("mine")
    pairs = lake.read("bug_pairs").count()
    printed = run_cli("filter")
    assert f"judged {pairs} pairs" in printed and "pair_verdicts:" in printed
    verdicts = lake.read("pair_verdicts")
    assert verdicts.count() == pairs
    # The simulator's true pairs are verified by construction: all kept, with Spark's own category.
    assert verdicts.filter(F.col("verdict") != "kept").count() == 0
    row = verdicts.first()
    assert row.spark_version == spark.version and row.bug_status == "error" and row.fix_status == "ok"
    agree = verdicts.filter("category_agrees").count() / pairs
    assert agree >= 0.9, agree  # legacy-style logged messages still land on the same leaf
    # Idempotent: a second run judges nothing and commits nothing.
    version = lake.version("pair_verdicts")
    assert run_cli("filter").splitlines() == [
        "filter: no pair without a verdict in bug_pairs; nothing to judge (run sqlfix mine, or --refilter)"
    ]
    assert lake.version("pair_verdicts") == version
    # A pair whose fix changed is judged again (and now dropped).
    one = lake.read("bug_pairs").orderBy("pair_id").limit(1)
    pair_id = one.first().pair_id
    lake.merge("bug_pairs", one.withColumn("fixed_sql", F.lit("SELECT nosuch_column FROM shop.orders")), update=True)
    assert "judged 1 pairs" in run_cli("filter")
    changed = lake.read("pair_verdicts").filter(F.col("pair_id") == pair_id).first()
    assert (changed.verdict, changed.reason, changed.fix_condition) == (
        "dropped",
        "fix_fails",
        "UNRESOLVED_COLUMN.WITH_SUGGESTION",
    )
    assert lake.read("filter_runs").count() == 3


def test_file_mode(run_cli, tmp_path):
    ddl = tmp_path / "schema.sql"
    ddl.write_text("CREATE TABLE sales.orders (id BIGINT, amount DECIMAL(10,2), status STRING) USING parquet;\n")
    src, dst = tmp_path / "pairs.jsonl", tmp_path / "out.jsonl"
    lines = [
        {"bug_sql": "SELECT idd FROM sales.orders", "fixed_sql": "SELECT id FROM sales.orders",
         "error_message": "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column ... `idd` cannot be resolved."},
        {"bug_sql": "SELECT id FROM sales.orders", "fixed_sql": "SELECT id, amount FROM sales.orders"},
        {"bug_sql": "SELECT sum(amount FROM sales.orders", "fixed_sql": "SELECT sum(amount) FROM sales.orderz"},
        {"bug_sql": "SELECT idd FROM sales.orders", "fixed_sql": "ADD JAR /tmp/x.jar"},
    ]  # fmt: skip
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    printed = run_cli("filter", "--input", str(src), "--ddl", str(ddl), "--output", str(dst))
    assert "4 pairs" in printed
    got = [json.loads(line) for line in dst.open()]
    assert [g["reason"] for g in got] == ["kept", "bug_passes", "fix_fails", "refused"]
    assert got[0]["category_agrees"] is True and got[0]["bug_condition"] == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert got[2]["dryrun_category_l3"] == "syntax.punctuation.unbalanced_parenthesis"
    assert got[2]["fix_condition"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert all(g["spark_version"] for g in got)


def test_file_mode_rejects_bad_lines(run_cli_fails, tmp_path):
    src = tmp_path / "pairs.jsonl"
    src.write_text(json.dumps({"bug_sql": "SELECT 1"}) + "\n")
    code, err = run_cli_fails("filter", "--input", str(src), "--output", str(tmp_path / "o.jsonl"))
    assert (code, err) == (2, f"sqlfix filter: each line needs string fields bug_sql and fixed_sql: {src}:1\n")
