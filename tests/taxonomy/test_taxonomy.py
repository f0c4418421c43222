"""The taxonomy: 81 leaves, both classifiers agree, every message style, hostile input, the audit."""

from __future__ import annotations

import pytest
import yaml
from sqlfix.config import conf_dir
from sqlfix.taxonomy.audit import audit
from sqlfix.taxonomy.classify import categorize, classify
from sqlfix.taxonomy.model import N_LEAVES, TaxonomyError, load_taxonomy
from sqlfix.taxonomy.normalize import normalize

TAXONOMY = load_taxonomy()

# (message, sql, expected leaf): one per message style, with plan dumps and traces attached.
STYLES = [
    # Spark 4 with a plan dump
    ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `amout` cannot be resolved. "
     "Did you mean one of the following? [`amount`]. SQLSTATE: 42703; line 1 pos 7;\n'Project ['amout]\n+- SubqueryAlias o\n"
     "   +- Relation shop.orders[order_id#1L,amount#2] parquet\n", None, "resolution.column.misspelled_column"),
    # Spark 4 parse error with its query context block and a JVM stack trace
    ("\n[PARSE_SYNTAX_ERROR] Syntax error at or near 'FROM'. SQLSTATE: 42601 (line 3, pos 0)\n\n== SQL ==\nSELECT a,\n  b,\nFROM t\n^^^\n"
     "\tat org.apache.spark.sql.catalyst.parser.ParseException.withCommand(ParseDriver.scala:290)\n\tat org.apache.spark.sql.SparkSession.sql(SparkSession.scala:1)",
     "SELECT a,\n  b,\nFROM t", "syntax.punctuation.trailing_comma"),
    # Spark 3.5 (same shape, older wording)
    ("[TABLE_OR_VIEW_NOT_FOUND] The table or view `shop`.`ordrs` cannot be found. Verify the spelling and correctness of the schema "
     "and catalog.\nIf you did not qualify the name with a schema, verify the current_schema() output, or qualify the name with the correct "
     "schema and catalog.\nTo tolerate the error on drop use DROP VIEW IF EXISTS or DROP TABLE IF EXISTS.; line 5 pos 7;\n'Project [*]\n"
     "+- 'UnresolvedRelation [shop, ordrs], [], false\n", None, "resolution.relation.table_not_found"),
    # Spark 2/3 legacy
    ("cannot resolve '`o.amout`' given input columns: [o.amount, o.order_id]; line 3 pos 4;\n'Project ['o.amout]", None,
     "resolution.column.misspelled_column"),
    ("\nmismatched input 'FROM' expecting {<EOF>, ';'}(line 3, pos 0)\n\n== SQL ==\nSELECT a b c\nFROM t", "SELECT a b c\nFROM t",
     "syntax.keyword.misplaced_clause"),
    ("expression 'o.`pay_channel`' is neither present in the group by, nor is it an aggregate function. Add to group by or wrap in "
     "first() (or first_value) if you don't care which value you get.;\nAggregate [dt#1], [dt#1, pay_channel#2]", None,
     "aggregation.group_by.missing_from_group_by"),
    ("Undefined function: 'datediff_days'. This function is neither a registered temporary function nor a permanent function "
     "registered in the database 'default'.; line 4 pos 8", None, "resolution.function.unknown_function"),
    # Hive
    ("FAILED: SemanticException [Error 10004]: Line 1:7 Invalid table alias or column reference 'amout': (possible column names are: amount, dt)",
     None, "resolution.column.misspelled_column"),
    ("FAILED: ParseException line 1:22 cannot recognize input near 'o' 'user_id' ',' in select clause", "SELECT o.order_id\n o.user_id, x FROM t",
     "syntax.punctuation.missing_comma"),
    ("FAILED: SemanticException [Error 10001]: Line 5:5 Table not found 'ordrs'", None, "resolution.relation.table_not_found"),
    ("FAILED: SemanticException [Error 10025]: Line 1:7 Expression not in GROUP BY key 'pay_channel'", None,
     "aggregation.group_by.missing_from_group_by"),
    # SQL-side conditions split one condition
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near '10'. SQLSTATE: 42601 (line 1, pos 11)", "SELECT TOP 10 a FROM t", "syntax.dialect.select_top"),
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near '10'. SQLSTATE: 42601 (line 1, pos 11)", "SELECT a FROM t LIMIT 5, 10",
     "syntax.dialect.limit_offset_comma"),
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near 'FROM'. SQLSTATE: 42601 (line 2, pos 0)", "SELECT sum(a\nFROM t",
     "syntax.punctuation.unbalanced_parenthesis"),
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near '%'. SQLSTATE: 42601 (line 1, pos 9)", None, "syntax.parse.other_syntax_error"),
    # runtime with a driver stack trace
    ("Job aborted due to stage failure: Task 0 in stage 3.0 failed 1 times, most recent failure: Lost task 0.0 in stage 3.0: "
     "org.apache.spark.SparkArithmeticException: [DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and "
     "return NULL instead. SQLSTATE: 22012\n\tat org.apache.spark.sql.errors.QueryExecutionErrors$.divideByZeroError(QueryExecutionErrors.scala:1)\n"
     "Driver stacktrace:\n\tat scala.Option.foreach(Option.scala:437)", None, "runtime.arithmetic.divide_by_zero"),
    ("\x1b[31mjava.lang.OutOfMemoryError: Java heap space\x1b[0m", None, "platform.resources.resource_exhausted"),
]  # fmt: skip


def test_exactly_81_leaves_on_three_levels():
    assert len(TAXONOMY.leaves) == N_LEAVES == 81
    assert {leaf.l1 for leaf in TAXONOMY.leaves} == set(TAXONOMY.groups)
    assert len({leaf.l2 for leaf in TAXONOMY.leaves}) >= 20
    for leaf in TAXONOMY.leaves:
        assert leaf.description and leaf.example, leaf.id


def test_every_example_lands_on_its_leaf():
    wrong = [(leaf.id, classify(leaf.example, leaf.example_sql).category_l3) for leaf in TAXONOMY.leaves
             if classify(leaf.example, leaf.example_sql).category_l3 != leaf.id]  # fmt: skip
    assert not wrong


@pytest.mark.parametrize(("message", "sql", "leaf"), STYLES)
def test_message_styles(message, sql, leaf):
    assert classify(message, sql).category_l3 == leaf


def test_python_and_spark_classifiers_agree(spark):
    cases = [(leaf.example, leaf.example_sql) for leaf in TAXONOMY.leaves] + [(m, s) for m, s, _ in STYLES]
    cases += [
        (None, None),
        ("", "SELECT 1"),
        ("   \n\t ", None),
        ("x" * 200_000, None),
        ("\ufffd\x00\x01binary\xff", None),
    ]
    df = spark.createDataFrame([(i, m, s) for i, (m, s) in enumerate(cases)], "i int, msg string, sql string")
    got = {
        r.i: (r.category_l1, r.category_l2, r.category_l3, r.error_condition)
        for r in categorize(df, "msg", "sql").collect()
    }
    for i, (message, sql) in enumerate(cases):
        c = classify(message, sql)
        assert got[i] == (c.category_l1, c.category_l2, c.category_l3, c.condition), (i, str(message)[:80])


@pytest.mark.parametrize(
    "message", [None, "", "   ", b"\xff\xfe\x00", "x" * 5_000_000, "\x1b[0m", "\n\tat foo.Bar(Bar.java:1)"]
)
def test_hostile_messages_are_unclassified_not_crashes(message):
    assert classify(message).category_l3 == "unclassified"


def test_normalise_strips_plans_contexts_traces_and_bounds_length():
    text = normalize(
        "[X] a SQLSTATE: 1; line 1 pos 2;\n'Project [a]\n+- Range (0, 1)\n== SQL ==\nSELECT\n\tat a.B(C.java:1)"
    )
    assert text == "[X] a SQLSTATE: 1; line 1 pos 2;"
    assert len(normalize("y" * 100_000)) == 4000


def test_audit_against_the_installed_spark_catalog():
    report = audit(TAXONOMY)
    assert report.checked > 300
    assert report.misrouted == [] and report.double_claims == []
    assert set(report.unknown_claims) <= {"INSUFFICIENT_PERMISSIONS"}  # a Databricks condition, not in OSS Spark
    claimed = {c.split(".")[0] for c in TAXONOMY.claims()}
    for common in ("DATATYPE_MISMATCH", "UNRESOLVED_COLUMN", "PARSE_SYNTAX_ERROR", "CAST_INVALID_INPUT", "MISSING_AGGREGATION",
                   "AMBIGUOUS_REFERENCE", "WRONG_NUM_ARGS", "UNRESOLVED_ROUTINE", "TABLE_OR_VIEW_NOT_FOUND",
                   "INVALID_DATETIME_PATTERN", "ARITHMETIC_OVERFLOW", "DIVIDE_BY_ZERO"):  # fmt: skip
        assert common in claimed, common
    assert all(not c.startswith(tuple(claimed)) or "_" in c for c in report.uncovered_common)


def test_a_broken_taxonomy_is_refused(tmp_path):
    raw = yaml.safe_load((conf_dir() / "taxonomy.yaml").read_text())
    short = dict(raw, leaves=raw["leaves"][:-1])
    (tmp_path / "short.yaml").write_text(yaml.safe_dump(short))
    with pytest.raises(TaxonomyError, match="exactly 81"):
        load_taxonomy(tmp_path / "short.yaml")
    double = dict(raw)
    double["leaves"] = [dict(leaf) for leaf in raw["leaves"]]
    double["leaves"][-1]["conditions"] = ["MISSING_AGGREGATION"]
    (tmp_path / "double.yaml").write_text(yaml.safe_dump(double))
    with pytest.raises(TaxonomyError, match="MISSING_AGGREGATION is claimed by"):
        load_taxonomy(tmp_path / "double.yaml")


def test_classify_commands(run_cli, tmp_path):
    out = run_cli("classify", "--message", "[DIVIDE_BY_ZERO] Division by zero. SQLSTATE: 22012")
    assert '"category_l3": "runtime.arithmetic.divide_by_zero"' in out and '"condition": "DIVIDE_BY_ZERO"' in out
    src = tmp_path / "in.jsonl"
    src.write_text('{"error_message": "Table not found: x; line 1 pos 2", "keep": 1}\n{"error_message": null}\n')
    run_cli("classify", "--input", str(src), "--output", str(tmp_path / "out.jsonl"))
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert '"category_l3": "resolution.relation.table_not_found"' in lines[0] and '"keep": 1' in lines[0]
    assert '"category_l1": "unclassified"' in lines[1]
    tree = run_cli("taxonomy", "--no-counts")
    assert "81 leaves" in tree and "missing_from_group_by" in tree
    assert "misrouted (rendered message lands on a leaf that does not claim it): 0" in run_cli("taxonomy", "--audit")
