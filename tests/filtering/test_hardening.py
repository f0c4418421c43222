"""Issue 25: every session that evaluates untrusted text is hardened; writes hidden in query shapes are
statements; deadlines that cancel Spark's jobs and let the process exit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlfix.filtering.policy import check_plan


def test_no_session_substitutes_variables(spark, monkeypatch):
    from sqlfix.filtering.sandbox import hardened

    monkeypatch.setenv("SQLFIX_TEST_SECRET", "hunter2")
    query = "SELECT '${env:SQLFIX_TEST_SECRET}' AS e, '${system:user.home}' AS h"
    expected = ("${env:SQLFIX_TEST_SECRET}", "${system:user.home}")
    assert tuple(hardened(spark).sql(query).first()) == expected
    assert tuple(spark.sql(query).first()) == expected  # the root session too (spark.py's common settings)
    assert check_plan("SetCommand", "spark.sql.variable.substitute").reason == "set_outside_session"


def test_paths_option_is_a_file_path(spark):
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.filtering.script import check_script

    got = check_script(Sandbox(spark), "CREATE TABLE x (a INT) USING parquet OPTIONS ('paths' '[\"/etc\"]')")
    assert (got.status, got.condition) == ("refused", "file_path")


def test_a_multi_insert_is_an_insert_and_never_runs(spark):
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.filtering.script import check_script

    box = Sandbox(spark)
    box.load("CREATE TABLE mi.u (a INT); CREATE TABLE mi.t (a INT)")
    box.fill("mi.u")
    multi = "FROM mi.u INSERT OVERWRITE TABLE mi.t SELECT a INSERT INTO TABLE mi.t SELECT a"
    got = check_script(box, multi, runtime=True)
    assert (got.status, got.kinds) == ("ok", ("insert",))
    assert spark.table("mi.t").count() == 0  # analysed, not executed: nothing was written
    assert check_script(box, "WITH c AS (SELECT 1 AS a) DELETE FROM mi.t WHERE a IN (SELECT a FROM c)").kinds == (
        "delete",
    )
    verdict = Judge(box, threads=1).pair("SELECT CAST('x' AS INT) / 0 AS a FROM mi.u", multi, "runtime")
    assert (verdict.verdict, verdict.reason) == ("dropped", "statement_kind_changed")
    assert spark.table("mi.t").count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "FROM spot_checks INSERT INTO TABLE spot_checks SELECT * INSERT INTO TABLE spot_checks SELECT *",
        "WITH c AS (SELECT 1 AS a) DELETE FROM spot_checks WHERE 1 = 1",
        "WITH c AS (SELECT 1 AS a) UPDATE spot_checks SET pair_id = 'x'",
    ],
)
def test_sql_refuses_writes_behind_query_shapes(run_cli_fails, query):
    code, message = run_cli_fails("sql", query)
    assert code == 2 and "is not a query" in message, message


def test_show_and_export_where_run_hardened(run_cli_fails, tmp_path):
    probe = tmp_path / "probe"
    where = f"reflect('java.io.File', 'createTempFile', 'sqlfix', '.x', java_method('java.io.File', 'new', '{probe}')) IS NOT NULL"
    for argv in (("show", "query_logs", "--where", where),
                 ("export", "--table", "query_logs", "--where", where, "--out", str(tmp_path / "o.jsonl"))):  # fmt: skip
        code, message = run_cli_fails(*argv)
        assert code == 2 and "refused: reflection function" in message, message
    code, message = run_cli_fails("show", "query_logs", "--where", "IDENTIFIER('ref' || 'lect')('java.lang.System', 'exit', 1) = 1")
    assert code == 2 and "the query failed: [UNRESOLVED_ROUTINE] Cannot resolve routine `reflect`" in message, message
    assert not list(tmp_path.glob("o.jsonl*"))


def test_bounded_cancels_a_running_job_and_reports_the_deadline(spark):
    from sqlfix.spark import Bounded, DeadlineExceeded

    bounded = Bounded(spark, workers=1)
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded, match="the count ran past its 2 s deadline"):
        bounded.run(lambda: spark.range(10**12).filter("id % 7 = 100").count(), 2, "the count")
    assert time.perf_counter() - started < 10
    assert bounded.run(lambda: spark.range(3).count(), 30) == 3  # the worker is free again
    bounded.close()  # its idle worker ends (a closed Judge leaves no thread behind)
    time.sleep(0.5)
    assert [t.name for t in threading.enumerate() if t.name == "sqlfix-bounded-worker"] == []


@pytest.mark.slow
def test_fix_with_a_catastrophic_regex_times_out_and_exits(tmp_path):
    """The analyzer folds the LIMIT's regular expression on the driver, where nothing can interrupt it; the
    dry run answers `timeout` and the process still exits (it hung for ever before)."""
    (tmp_path / "q.sql").write_text("SELECT nam FROM t LIMIT IF(regexp_like(repeat('a', 40) || '!', '((a+)+)+$'), 1, 2)")
    (tmp_path / "t.sql").write_text("CREATE TABLE t (name STRING)")
    env = {**os.environ, "SQLFIX_LAKE_ROOT": str(tmp_path / "lake")}
    done = subprocess.run(
        [sys.executable, "-m", "sqlfix.cli", "--set", "filter.timeout_s=3", "fix", str(tmp_path / "q.sql"), "--ddl",
         str(tmp_path / "t.sql"), "--no-model"], env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr[-2000:]
    assert "no answer within 3s" in done.stdout
