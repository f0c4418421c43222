"""``sqlfix sql``: Spark SQL over the lake's tables by name, read-only; a bad query is one clear line."""

from __future__ import annotations

import datetime as dt
import json

import pytest


def _checks(lake, spark):
    from sqlfix.tables import SPOT_CHECKS

    now = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
    rows = [{"batch_id": "b1", "pair_id": f"p{i}", "category_l3": leaf, "signal": "next_success", "diff": "-",
             "sampled_at": now, "verdict": verdict, "note": None, "reviewer": "qa", "reviewed_at": now}
            for i, (leaf, verdict) in enumerate([("a.b.c", "pass"), ("a.b.c", "fail"), ("x.y.z", "pass")])]  # fmt: skip
    lake.merge("spot_checks", spark.createDataFrame(rows, SPOT_CHECKS.spark_schema))


def test_sql_reads_lake_tables_by_name(run_cli, lake, spark, tmp_path):
    _checks(lake, spark)
    query = (
        "SELECT category_l3, count(*) AS n, sum(int(verdict = 'pass')) AS passed FROM spot_checks GROUP BY 1 ORDER BY 1"
    )
    printed = run_cli("sql", query)
    assert "|      a.b.c|  2|     1|\n|      x.y.z|  1|     1|" in printed
    out = tmp_path / "rows.jsonl"
    run_cli("sql", query, "--out", str(out))
    assert [json.loads(line) for line in out.open()] == [
        {"category_l3": "a.b.c", "n": 2, "passed": 1}, {"category_l3": "x.y.z", "n": 1, "passed": 1}]  # fmt: skip
    assert "|      0|" in run_cli("sql", "SELECT count(*) AS n_pairs FROM bug_pairs")  # absent: empty, not an error
    # The query ran in a hardened session of its own: the caller's session keeps its functions and views.
    assert spark.catalog.functionExists("reflect") and not spark.catalog.tableExists("spot_checks")


def test_a_failing_query_is_a_usage_error(run_cli_fails, lake, spark):
    _checks(lake, spark)
    code, message = run_cli_fails("sql", "SELECT nope FROM spot_checks")
    assert code == 2 and message.startswith("sqlfix sql: the query failed: [UNRESOLVED_COLUMN")


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("INSERT INTO spot_checks SELECT * FROM spot_checks", "InsertIntoStatement is not a query"),
        ("DROP TABLE spot_checks", "DropTable is not a query"),
        ("SELECT reflect('java.lang.System', 'exit', 1)", "reflection function reflect()"),
        ("SELECT * FROM parquet.`/etc`", "direct file query parquet"),
        ("SELECT * FROM default.secrets", "default.secrets is not a lake table"),
        ("SELECT * FROM spot_checks WHERE pair_id IN (SELECT x FROM other_db.t)", "other_db.t is not a lake table"),
        ("SELECT * FROM explode(array(1))", "table function explode"),
    ],
)
def test_only_reads_of_the_lake_are_let_through(run_cli_fails, run_cli, lake, spark, query, why):
    _checks(lake, spark)
    code, message = run_cli_fails("sql", query)
    assert code == 2 and message.startswith("sqlfix sql: refused:") and why in message, message
    assert lake.read("spot_checks").count() == 3
    assert "|  5|" in run_cli("sql", "SELECT count(*) AS n FROM range(5)")  # range is the one table function


def test_a_query_may_name_its_own_ctes_but_not_hide_other_tables_in_them(run_cli_fails, run_cli, lake, spark):
    _checks(lake, spark)
    out = run_cli("sql", "WITH x AS (SELECT * FROM spot_checks), y AS (SELECT * FROM x) SELECT count(*) AS n FROM y")
    assert "|  3|" in out
    code, message = run_cli_fails("sql", "WITH x AS (SELECT * FROM default.secrets) SELECT * FROM x")
    assert code == 2 and "default.secrets is not a lake table" in message


def test_sql_limits_hold_and_out_is_written_whole_or_not_at_all(run_cli, run_cli_fails, tmp_path):
    """Issue 25: a row cap and a deadline that are reported, and --out never left half written."""
    out = tmp_path / "rows.jsonl"
    out.write_text("the last good export\n")
    code, message = run_cli_fails("--set", "analyst.max_rows=10", "sql", "SELECT id FROM range(100)", "--out", str(out))
    assert code == 2 and "the result has more than 10 rows (analyst.max_rows)" in message, message
    code, message = run_cli_fails("--set", "analyst.timeout_s=2", "sql",
                                  "SELECT count(*) FROM range(100000000000) WHERE id % 7 = 100", "--out", str(out))  # fmt: skip
    assert code == 2 and "the query ran past its 2 s deadline and was cancelled" in message, message
    assert out.read_text() == "the last good export\n" and [p.name for p in tmp_path.iterdir()] == ["rows.jsonl"]
    run_cli("sql", "SELECT id FROM range(3)", "--out", str(out))
    assert [json.loads(line) for line in out.open()] == [{"id": 0}, {"id": 1}, {"id": 2}]
