"""``sqlfix fix`` as users run it: a file or stdin, --json, exit codes, file mode and table mode."""

from __future__ import annotations

import io
import json

import pytest

SCHEMA = "CREATE TABLE qa.orders (order_id BIGINT, amount DECIMAL(18,2), country STRING);\n"


@pytest.fixture
def fix_cli(ctx, capsys):
    """Run ``sqlfix fix ...``; returns (exit code, stdout, stderr)."""
    from sqlfix.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["fix", *argv], ctx=ctx)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def ddl(tmp_path):
    path = tmp_path / "tables.sql"
    path.write_text(SCHEMA)
    return str(path)


def test_a_file_gets_a_verified_fix_and_a_diff(fix_cli, ddl, tmp_path):
    query = tmp_path / "q.sql"
    query.write_text("SELECT country, SUMM(amount) AS gmv\nFROM qa.orders\nGROUP BY country\n")
    code, out, err = fix_cli(str(query), "--ddl", ddl)  # fix.model: auto, and the registry has no champion
    assert code == 0 and "fix: no @champion in the registry: deterministic repairs only" in err
    assert "fix: the query fails with UNRESOLVED_ROUTINE" in out and "verified fix from function_name" in out
    assert "-SELECT country, SUMM(amount) AS gmv\n+SELECT country, SUM(amount) AS gmv\n" in out
    assert out.rstrip().endswith("SELECT country, SUM(amount) AS gmv\nFROM qa.orders\nGROUP BY country")
    code, out, _ = fix_cli(str(query), "--ddl", ddl, "--json")
    answer = json.loads(out)
    assert (code, answer["verified"], answer["source"], answer["changed_lines"]) == (0, True, "function_name", 1)
    assert answer["fixed_sql"] == "SELECT country, SUM(amount) AS gmv\nFROM qa.orders\nGROUP BY country\n"


def test_stdin_no_fix_exits_3_and_hostile_sql_is_refused(fix_cli, ddl, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT country, SUM(amount) FROM qa.orders WHERE SUM(amount) > 1"))
    code, out, _ = fix_cli("-", "--ddl", ddl, "--json")
    answer = json.loads(out)
    assert (code, answer["verified"], answer["fixed_sql"]) == (3, False, None)
    assert answer["error_condition"].startswith("INVALID_WHERE_CONDITION")
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT java_method('java.lang.Runtime', 'getRuntime')"))
    code, out, _ = fix_cli("-", "--ddl", ddl)
    assert code == 3 and "no verified fix (0 candidates tried)" in out and "refused" in out


def test_usage_errors(fix_cli, ddl, tmp_path):
    assert fix_cli()[0] == 2
    code, _, err = fix_cli(str(tmp_path / "missing.sql"), "--ddl", ddl)
    assert code == 2 and "missing.sql" in err
    code, _, err = fix_cli("--input", str(tmp_path / "x.jsonl"))
    assert code == 2 and "--input needs --output" in err


def test_file_mode(fix_cli, tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [
        {"sql": "SELECT ordr_id FROM qa.orders", "schema": SCHEMA, "id": 1},
        {"sql": "SELECT order_id FROM qa.orders LIMIT 0, 5", "schema": SCHEMA, "id": 2},
        {"sql": "SELECT order_id FROM qa.orders", "schema": SCHEMA, "id": 3},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, _ = fix_cli("--input", str(src), "--output", str(dst))
    assert code == 0 and "3 of 3 queries have a verified fix" in out
    got = [json.loads(line) for line in dst.open()]
    assert [(g["id"], g["source"], g["fixed_sql"]) for g in got] == [
        (1, "suggestion", "SELECT order_id FROM qa.orders"),
        (2, "limit_offset", "SELECT order_id FROM qa.orders LIMIT 5"),
        (3, "unchanged", "SELECT order_id FROM qa.orders"),
    ]
    src.write_text(json.dumps({"schema": SCHEMA}) + "\n")
    code, _, err = fix_cli("--input", str(src), "--output", str(dst))
    assert code == 2 and f"{src}:1" in err


@pytest.mark.slow
def test_table_mode_writes_suggestions_once(fix_cli, simulate_into_lake, lake, spark, tiny_model_dir):
    from pyspark.sql import functions as F
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.filtering.script import check_script
    from sqlfix.simulate.domains import all_tables

    simulate_into_lake(200, 5)
    failed = lake.read("query_logs").filter(F.col("status") == "error").count()
    model = ["--model", str(tiny_model_dir)]  # generates on the executors (mapInPandas), verified on the driver
    code, out, _ = fix_cli("--table", "query_logs", "--limit", "6", *model)
    assert code == 0 and f"fix: {min(6, failed)} failed executions of query_logs" in out
    rows = lake.read("fix_suggestions").collect()
    assert len(rows) == min(6, failed)
    box = Sandbox(spark)
    box.load(";\n".join(t.ddl for t in all_tables()))
    for r in rows:
        if r["verified"]:
            assert check_script(box, r["fixed_sql"]).ok, r["fixed_sql"]
    code, out, _ = fix_cli("--table", "query_logs", "--limit", "6", *model)
    assert code == 0 and "query_logs" in out
    assert lake.read("fix_suggestions").count() == min(12, failed)  # the next six; none fixed twice
