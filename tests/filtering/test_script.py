"""Scripts statement by statement, complexity bounds and timeouts."""

from __future__ import annotations

import pytest
from sqlfix.filtering.script import check_script


def test_later_statements_see_earlier_views_and_settings(box):
    script = (
        "SET spark.sql.ansi.enabled=false;\n"
        "CREATE OR REPLACE TEMPORARY VIEW paid AS SELECT order_id, order_status FROM shop.orders;\n"
        "CREATE TABLE scratch AS SELECT order_id FROM paid;\n"
        "SELECT p.order_id, s.order_id FROM paid p JOIN scratch s USING (order_id)"
    )
    assert check_script(box, script).ok
    # nothing leaked into the shared session: the view and the table are gone
    assert check_script(box, "SELECT * FROM paid").condition == "TABLE_OR_VIEW_NOT_FOUND"
    assert check_script(box, "SELECT * FROM scratch").condition == "TABLE_OR_VIEW_NOT_FOUND"


def test_error_names_the_statement(box):
    result = check_script(box, "SELECT 1;\nSELECT order_idd FROM shop.orders;\nSELECT 2")
    assert (result.status, result.statement, result.stage) == ("error", 1, "analyze")
    assert result.condition.startswith("UNRESOLVED_COLUMN")


def test_ansi_setting_decides_the_runtime_check(box):
    box.fill_referenced("SELECT order_status FROM shop.orders")
    failing = check_script(box, "SELECT CAST(order_status AS INT) FROM shop.orders", runtime=True)
    assert (failing.status, failing.condition, failing.stage) == ("error", "CAST_INVALID_INPUT", "runtime")
    relaxed = "SET spark.sql.ansi.enabled=false;\nSELECT CAST(order_status AS INT) FROM shop.orders"
    assert check_script(box, relaxed, runtime=True).ok


def test_too_complex_is_a_verdict_not_a_crash(box):
    deep = "SELECT " + "(" * 5000 + "1" + ")" * 5000
    assert check_script(box, deep).status == "too_complex"
    assert check_script(box, deep, max_depth=10_000).status == "too_complex"  # the JVM stack overflow, caught
    long_sum = "SELECT " + "+".join(["1"] * 3000)
    assert check_script(box, long_sum).status == "too_complex"
    assert check_script(box, "").condition == "EMPTY_SCRIPT"


def test_timeout_bounds_a_slow_side(box):
    from sqlfix.filtering.judge import Judge

    judge = Judge(box, threads=1, timeout_s=1.0, max_chars=2_000_000)
    # ~0.7 s per 30,000 elements once the JVM is warm: 150,000 take several times the bound
    huge_in = "SELECT order_id FROM shop.orders WHERE order_id IN (" + ",".join(map(str, range(150_000))) + ")"
    assert len(huge_in) < judge.max_chars  # not screened out: Spark's analyzer is what takes long
    verdict = judge.pair(huge_in, "SELECT 1")
    assert (verdict.verdict, verdict.reason) == ("dropped", "timeout")
    assert judge.pair("SELECT order_idd FROM shop.orders", "SELECT order_id FROM shop.orders").reason == "kept"
    judge.close()


def test_errors_read_as_pyspark_would_report_them(box):
    """The filter reads errors straight from the JVM (a few calls, no plan dump): condition, SQLSTATE and the
    normalised message are what PySpark's own converted exception gives."""
    from pyspark.errors.exceptions.captured import CapturedException
    from sqlfix.filtering.dryrun import skip_mode
    from sqlfix.taxonomy.normalize import normalize

    statements = [
        "SELECT order_idd FROM shop.orders",  # analysis error with a plan in its message
        "WITH a AS (SELECT order_id, user_id FROM shop.orders) SELECT user_id, order_id FROM a GROUP BY user_id",
        "SELECT * FROM shop.orderz",
        "SELECT order_id, FROM shop.orders WHERE order_id >",  # parse error with its SQL context block
        "SELECT nosuch_fn(order_id) FROM shop.orders",
    ]
    for sql in statements:
        got = check_script(box, sql)
        with pytest.raises(CapturedException) as raised:
            box.state.executePlan(box.parser.parsePlan(sql), skip_mode(box.shared)).assertAnalyzed()
        exc = raised.value
        expected = (exc.getCondition(), exc.getSqlState(), normalize(str(exc)))
        assert got.status == "error", sql
        assert (got.condition, got.sqlstate, got.message) == expected, sql
        assert "Project" not in got.message and "== SQL ==" not in got.message


def test_the_runtime_check_runs_queries_only(box, spark):
    """A script ending in DML is analysed, never executed, even when the runtime check is asked for."""
    box.fill_referenced("SELECT order_id FROM shop.orders")
    before = spark.table("shop.orders").count()
    result = check_script(box, "INSERT INTO shop.orders SELECT * FROM shop.orders", runtime=True)
    assert (result.status, result.kinds, spark.table("shop.orders").count()) == ("ok", ("insert",), before)


def test_decimal_38_and_varchar_tables_take_their_edge_rows(spark):
    """The negated extreme of a DECIMAL(38, s) is exact (Python's context would round it to 28 digits and
    the insert would overflow); a VARCHAR(n) column gets its edge strings cut to n characters (Spark refuses
    longer ones)."""
    import decimal

    from pyspark.sql import functions as F
    from sqlfix.filtering.sandbox import Sandbox

    box = Sandbox(spark)
    assert box.load("CREATE TABLE ed.wide (v DECIMAL(38, 18), s VARCHAR(2), n BIGINT)") == []
    box.fill("ed.wide")
    top = decimal.Decimal("9" * 20 + "." + "9" * 18)
    row = spark.table("ed.wide").agg(F.min("v").alias("low"), F.max("v").alias("high"), F.count("*").alias("n")).first()
    assert (row["low"], row["high"], row["n"]) == (top.copy_negate(), top, 6)
    cut = sorted(r["s"] for r in spark.table("ed.wide").collect() if r["s"] is not None)
    assert cut == ["", "12", "1e", "20", "ab"]


def test_a_table_that_cannot_take_edge_rows_leaves_its_runtime_pairs_unchecked(spark, monkeypatch):
    from sqlfix.filtering import sandbox as sandbox_mod
    from sqlfix.filtering.judge import Judge

    box = sandbox_mod.Sandbox(spark)
    assert box.load("CREATE TABLE ed.bad (a INT)") == []
    calls = []

    def broken(schema, n=6):
        calls.append(n)
        return [("not an int",)] * n

    monkeypatch.setattr(sandbox_mod, "edge_rows", broken)
    judge = Judge(box, threads=1, timeout_s=30)
    try:
        verdict = judge.pair("SELECT 10 / a AS x FROM ed.bad", "SELECT try_divide(10, a) AS x FROM ed.bad", "runtime")
        again = judge.pair("SELECT CAST(a AS TINYINT) AS x FROM ed.bad", "SELECT a AS x FROM ed.bad", "runtime")
        plain = judge.pair("SELECT b FROM ed.bad", "SELECT a FROM ed.bad", "resolution")
    finally:
        judge.close()
    assert (verdict.verdict, verdict.reason, verdict.bug.status, verdict.bug.condition) == (
        "dropped", "unchecked", "unchecked", "EDGE_ROWS_FAILED")  # fmt: skip
    assert verdict.bug.message.startswith("edge rows could not be written to ed.bad: ")
    assert (again.reason, len(calls)) == ("unchecked", 1)  # the table is not written again
    assert plain.reason == "kept"  # an analysis-time pair needs no rows


def _judge_over(spark, ddl: str):
    """A one-thread judge on a fresh sandbox holding ``ddl``."""
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox

    box = Sandbox(spark)
    assert box.load(ddl) == []
    return Judge(box, threads=1, timeout_s=60)


def test_a_runtime_check_gets_rows_that_pass_the_querys_own_filters(spark):
    """Edge rows alone never reach a query that keeps one date's rows; the sandbox adds rows whose filter
    columns take the query's literals (once per set of literals, only ever appending)."""
    from collections import Counter

    judge = _judge_over(spark, "CREATE TABLE ed.daily (dt DATE, kind STRING, n INT, total BIGINT)")
    box = judge.box
    bug = "SELECT total / n AS avg FROM ed.daily WHERE dt = DATE '2024-01-15' AND kind IN ('web', 'app')"
    fix = "SELECT total / NULLIF(n, 0) AS avg FROM ed.daily WHERE dt = DATE '2024-01-15' AND kind IN ('web', 'app')"
    try:
        verdict = judge.pair(bug, fix, "runtime")
        assert (verdict.reason, verdict.bug.condition, verdict.dryrun_category_l3) == (
            "kept", "DIVIDE_BY_ZERO", "runtime.arithmetic.divide_by_zero")  # fmt: skip
        rows = spark.table("ed.daily").where("dt = DATE '2024-01-15'").select("kind", "n").collect()
        assert Counter((r["kind"], r["n"]) for r in rows) == Counter(  # kinds in turn, n the INT edge values
            [("web", 0), ("app", 1), ("web", 2147483647), ("app", -2147483648), ("web", None), ("app", 0)])  # fmt: skip
        box.fill_referenced(bug)  # the same literals: nothing added
        assert spark.table("ed.daily").count() == 12
        box.fill_referenced("SELECT n FROM ed.daily WHERE dt = '2024-02-01' AND n = 99999999999")  # too big for INT
        assert spark.table("ed.daily").count() == 18
        assert spark.table("ed.daily").where("n = 99999999999").count() == 0
    finally:
        judge.close()


def test_a_pattern_bug_is_run_on_rows_when_its_leaf_fails_only_on_rows(spark):
    """A week-based 'YYYY' passes the analyzer and fails when a row is formatted: a pair logged in that leaf
    is run on rows and kept; with no category it is only analysed, so its bug passes."""
    judge = _judge_over(spark, "CREATE TABLE ed.events (id BIGINT, at TIMESTAMP)")
    bug = "SELECT id, date_format(at, 'YYYY-MM-dd') AS day FROM ed.events"
    fix = "SELECT id, date_format(at, 'yyyy-MM-dd') AS day FROM ed.events"
    try:
        logged = judge.pair(bug, fix, "platform", "platform.unsupported.behaviour_change")
        unknown = judge.pair(bug, fix)
    finally:
        judge.close()
    assert (logged.verdict, logged.bug.condition, logged.dryrun_category_l3, logged.runtime_checked) == (
        "kept", "INCONSISTENT_BEHAVIOR_CROSS_VERSION.DATETIME_PATTERN_RECOGNITION",
        "platform.unsupported.behaviour_change", True)  # fmt: skip
    assert (unknown.verdict, unknown.reason, unknown.runtime_checked) == ("dropped", "bug_passes", False)


def test_a_task_that_fails_outside_spark_reports_its_root_cause(box):
    """RLIKE compiles its pattern in the task: the job fails with Java's PatternSyntaxException under Spark's
    "Job aborted" wrapper, which has no condition. The record names the root cause, not the wrapper."""
    sql = "SELECT order_id FROM shop.orders WHERE order_status RLIKE '^(new|paid$'"
    box.fill_referenced(sql)
    result = check_script(box, sql, runtime=True)
    assert (result.status, result.condition, result.stage) == ("error", "INTERNAL_ERROR", "runtime")
    assert result.message.splitlines()[0] == "PatternSyntaxException: Unclosed group near index 11"
