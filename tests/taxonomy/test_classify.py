"""The classifiers: every message style lands on its leaf, Python and Spark agree, hostile input is unclassified."""

from __future__ import annotations

import pytest
from sqlfix.taxonomy.classify import categorize, classify
from sqlfix.taxonomy.model import load_taxonomy

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
    # a suggestion list with nothing close: the column is not in scope at all; a swapped letter is close
    ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `o`.`signup_date` cannot be "
     "resolved. Did you mean one of the following? [`o`.`order_date`, `o`.`status`, `o`.`user_id`]. SQLSTATE: 42703; line 1 pos 7",
     None, "resolution.column.unknown_column"),
    ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `o`.`stauts` cannot be "
     "resolved. Did you mean one of the following? [`o`.`order_date`, `o`.`status`]. SQLSTATE: 42703; line 1 pos 7",
     None, "resolution.column.misspelled_column"),
    # the list cut off: nothing says the name is far, so the condition's own leaf
    ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column ... `idd` cannot be resolved.", None, "resolution.column.misspelled_column"),
    # a script of comments only ends before any statement begins; a statement that ends early is not empty
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near end of input. SQLSTATE: 42601 (line 3, pos 2)",
     "/* weekly\n   report */\n-- SELECT 1\n--", "syntax.statement.empty_statement"),
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near end of input. SQLSTATE: 42601 (line 2, pos 30)",
     "-- the user's orders\n-- SELECT count(*) FROM (t", "syntax.statement.empty_statement"),  # odd quote, open paren
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near end of input. SQLSTATE: 42601 (line 4, pos 2)",
     "/*\n/* daily */ SELECT a -- b\nFROM t\n*/", "syntax.statement.empty_statement"),  # one nested comment
    ("[PARSE_SYNTAX_ERROR] Syntax error at or near end of input. SQLSTATE: 42601 (line 2, pos 14)",
     "-- weekly\nSELECT a FROM t WHERE", "syntax.keyword.unexpected_end"),
    ("[INVALID_LIMIT_LIKE_EXPRESSION.IS_NEGATIVE] The limit like expression \"-1\" is invalid. The limit expression must be "
     "equal to or greater than 0, but got -1. SQLSTATE: 42K0E", None, "types.expression.invalid_argument_value"),
    # runtime with a driver stack trace
    ("Job aborted due to stage failure: Task 0 in stage 3.0 failed 1 times, most recent failure: Lost task 0.0 in stage 3.0: "
     "org.apache.spark.SparkArithmeticException: [DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and "
     "return NULL instead. SQLSTATE: 22012\n\tat org.apache.spark.sql.errors.QueryExecutionErrors$.divideByZeroError(QueryExecutionErrors.scala:1)\n"
     "Driver stacktrace:\n\tat scala.Option.foreach(Option.scala:437)", None, "runtime.arithmetic.divide_by_zero"),
    ("\x1b[31mjava.lang.OutOfMemoryError: Java heap space\x1b[0m", None, "platform.resources.resource_exhausted"),
]  # fmt: skip


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
