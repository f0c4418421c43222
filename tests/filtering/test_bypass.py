"""Attempts to walk around the sandbox's screens: each is refused, and none leaves a trace on disk.

Every script is judged twice: as the bug side of a runtime-category pair (so the edge-row check would
execute it if it got that far) and as the fix of a failing SELECT (so it would become training data).
"""

from __future__ import annotations

import glob
import os
import uuid

import pytest

MARK = f"sqlfixpwn{uuid.uuid4().hex[:8]}"
TEMP_FILE = f"'java.io.File','createTempFile','{MARK}','.tmp'"
TOUCH = f"/tmp/{MARK}-touched"

BYPASSES = {
    # the issue's case: a runtime error's bug side that called a static Java method when executed
    "identifier_java_method": f"SELECT IDENTIFIER('java_method')({TEMP_FILE}) AS x FROM shop.orders",
    "identifier_reflect": "SELECT IDENTIFIER('reflect')('java.lang.Runtime','getRuntime')",
    "identifier_qualified": "SELECT IDENTIFIER('system.builtin.reflect')('java.lang.Runtime','getRuntime')",
    "identifier_builtin": "SELECT IDENTIFIER('builtin.java_method')('java.lang.Runtime','getRuntime')",
    "identifier_quoted": "SELECT IDENTIFIER('`reflect`')('java.lang.Runtime','getRuntime')",
    "identifier_escaped": f"SELECT IDENTIFIER('java\\u005fmethod')({TEMP_FILE})",
    "identifier_concat": f"SELECT IDENTIFIER(concat('java_', 'method'))({TEMP_FILE})",
    "identifier_try_reflect": "SELECT IDENTIFIER('try_reflect')('java.lang.Math','abs',-1)",
    "backquoted_name": f"SELECT `java_method`({TEMP_FILE})",
    "mixed_case_comment": f"SELECT JaVa_MeThOd/**/({TEMP_FILE})",
    "in_cte": "WITH c AS (SELECT IDENTIFIER('reflect')('java.lang.System','currentTimeMillis') r) SELECT * FROM c",
    "in_view": f"CREATE TEMPORARY VIEW v AS SELECT IDENTIFIER('java_method')({TEMP_FILE}) x;\nSELECT * FROM v",
    "in_lambda": "SELECT transform(array(-1), x -> IDENTIFIER('reflect')('java.lang.Math','abs',x))",
    "in_subquery": "SELECT (SELECT IDENTIFIER('try_reflect')('java.lang.Math','abs',-1)) AS a",
    "in_values": f"SELECT * FROM VALUES (IDENTIFIER('java_method')({TEMP_FILE})) AS t(x)",
    "transform_script": f"SELECT TRANSFORM(order_id) USING 'touch {TOUCH}' AS (a) FROM shop.orders",
    "transform_in_subquery": f"SELECT * FROM (SELECT TRANSFORM(order_id) USING 'touch {TOUCH}' AS (a) FROM shop.orders) t",
    "execute_immediate": f"EXECUTE IMMEDIATE 'SELECT java_' || 'method(''java.io.File'',''createTempFile'',''{MARK}'',''.tmp'')'",
    "session_variable": f"DECLARE VARIABLE fn STRING DEFAULT 'java_method';\nSELECT IDENTIFIER(fn)({TEMP_FILE})",
    "set_variable": "SET VARIABLE fn = 'reflect'",
    "file_queries_back_on": "SET spark.sql.runSQLOnFiles=true;\nSELECT * FROM text.`/etc/hostname`",
    "file_query_by_identifier": "SELECT * FROM IDENTIFIER('text.`/etc/hostname`')",
    "input_file_name": "SELECT IDENTIFIER('input_file_name')() FROM shop.orders",
    "xml_external_entity": "SELECT IDENTIFIER('xpath_string')('<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/hostname\">]><a>&e;</a>', 'a')",
    "provider_by_class_name": "CREATE TABLE t9 (a INT) USING com.example.Evil",
    "ctas_path_option": "CREATE TABLE t USING csv OPTIONS (path '/some/path') AS SELECT order_id FROM shop.orders",
    "temporary_function": "CREATE TEMPORARY FUNCTION f AS 'java.lang.Runtime'",
    "cache_as_select": "CACHE TABLE x AS SELECT IDENTIFIER('reflect')('java.lang.Runtime','getRuntime')",
    "plan_string_truncated": "SET spark.sql.maxPlanStringLength=10;\nSELECT IDENTIFIER('reflect')('java.lang.Runtime','getRuntime')",
}  # fmt: skip


def _traces(spark) -> set[str]:
    folders = {"/tmp", spark._jvm.java.lang.System.getProperty("java.io.tmpdir")}  # noqa: SLF001
    return {p for folder in folders for p in glob.glob(os.path.join(folder, f"{MARK}*"))}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_bypass_is_refused_and_leaves_no_trace(name, judge, spark):
    script = BYPASSES[name]
    as_bug = judge.pair(script, "SELECT order_id FROM shop.orders", category_l1="runtime")
    as_fix = judge.pair("SELECT order_idd FROM shop.orders", script)
    assert (as_bug.verdict, as_bug.reason, as_bug.bug.status) == ("dropped", "refused", "refused"), as_bug.bug
    assert (as_fix.verdict, as_fix.reason, as_fix.fix.status) == ("dropped", "refused", "refused"), as_fix.fix
    assert _traces(spark) == set()


def test_the_issue_cases(judge):
    """The four cases found by hand: reasons as the README's security section states them."""
    bug = judge.pair(BYPASSES["identifier_java_method"], "SELECT order_id FROM shop.orders", "runtime")
    assert (bug.reason, bug.bug.condition, bug.runtime_checked) == ("refused", "reflection", True)
    fix = judge.pair("SELECT order_idd FROM shop.orders", BYPASSES["identifier_reflect"])
    assert (fix.reason, fix.fix.condition) == ("refused", "reflection")
    ctas = judge.pair("SELECT order_idd FROM shop.orders", BYPASSES["ctas_path_option"])
    assert (ctas.reason, ctas.fix.condition) == ("refused", "file_path")
    drop = judge.pair("SELECT order_idd FROM shop.orders", "DROP TABLE shop.orders")
    assert (drop.verdict, drop.reason, drop.fix.status, drop.fix.kinds) == (
        "dropped", "statement_kind_changed", "ok", ("drop",)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("bug", "fix", "reason"),
    [
        ("SELECT order_idd FROM shop.orders", "INSERT INTO shop.orders SELECT * FROM shop.orders", "statement_kind_changed"),
        ("SELECT order_idd FROM shop.orders", "CREATE TABLE t AS SELECT order_id FROM shop.orders", "statement_kind_changed"),
        ("SELECT order_idd FROM shop.orders", "TRUNCATE TABLE shop.orders", "statement_kind_changed"),
        ("SELEC order_id FROM shop.orders", "DROP TABLE shop.orders", "statement_kind_changed"),
        ("CREATE TABLE t AS SELECT order_idd FROM shop.orders", "CREATE TABLE t AS SELECT order_id FROM shop.orders", "kept"),
        ("SELECT order_idd FROM shop.orders", "SET spark.sql.ansi.enabled=false;\nSELECT order_id FROM shop.orders", "kept"),
    ],
)  # fmt: skip
def test_a_fix_may_not_change_what_the_statement_does(judge, bug, fix, reason):
    assert judge.pair(bug, fix).reason == reason


def test_sandbox_sessions_lack_the_denied_functions_and_file_queries(box, spark):
    from sqlfix.filtering.policy import DENIED_FUNCTIONS

    for session in (box.session(), box.session(fresh=True)):
        names = {f.name for f in session.catalog.listFunctions()}
        assert names & set(DENIED_FUNCTIONS) == set()
        assert session.conf.get("spark.sql.runSQLOnFiles") == "false"
    # the caller's own session keeps its registry
    assert {"reflect", "java_method", "xpath"} <= {f.name for f in spark.catalog.listFunctions()}
