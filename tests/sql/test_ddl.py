"""The one DDL reader and the one referenced-tables rule, and the stages that read through them."""

from __future__ import annotations

import pytest
from sqlfix.sql.ddl import read_ddl
from sqlfix.sql.references import referenced_tables, referenced_tables_column

SCRIPT = """
-- the shop
CREATE OR REPLACE TABLE IF NOT EXISTS Shop.`Orders` (
  id BIGINT NOT NULL COMMENT 'key', `Amount` DECIMAL(10,2), tags ARRAY<STRING>, meta STRUCT<a: INT, b: MAP<STRING, INT>>
) USING delta PARTITIONED BY (id);
DROP TABLE shop.old;
CREATE TABLE shop.copy AS SELECT * FROM shop.orders;
CREATE TABLE shop.broken (a INT,;
CREATE TABLE shop.odd (a FOOTYPE);
CREATE VIEW shop.v AS SELECT 1
"""


def test_tables_columns_and_the_reason_of_every_statement_that_defines_none():
    tables, problems = read_ddl(SCRIPT)
    assert [(t.name, t.columns) for t in tables] == [
        ("shop.orders", {"id": "bigint", "amount": "decimal(10, 2)", "tags": "array<string>",
                         "meta": "struct<a: int, b: map<string, int>>"}),
    ]  # fmt: skip
    assert tables[0].columns_ddl == (
        "`id` BIGINT, `Amount` DECIMAL(10, 2), `tags` ARRAY<STRING>, `meta` STRUCT<a: INT, b: MAP<STRING, INT>>"
    )
    assert [(p.reason, p.statement.split("(")[0].strip()) for p in problems] == [
        ("not_create_table", "DROP TABLE shop.old"),
        ("no_column_list", "CREATE TABLE shop.copy AS SELECT * FROM shop.orders"),
        ("unreadable_ddl", "CREATE TABLE shop.broken"),
        ("unreadable_ddl", "CREATE TABLE shop.odd"),
        ("not_create_table", "CREATE VIEW shop.v AS SELECT 1"),
    ]


def test_ingest_sandbox_and_query_source_read_the_same_tables(spark, tmp_path):
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.ingest.schemas import read_schema_file
    from sqlfix.sql.source import parse_schema

    path = tmp_path / "shop.sql"
    path.write_text(SCRIPT.replace("Shop.`Orders`", "ddl_t.`Orders`"))
    good, bad = read_schema_file(path)
    assert [r["table_name"] for r in good] == ["ddl_t.orders"]
    assert [r["reason"] for r in bad] == [
        "not_create_table", "no_column_list", "unreadable_ddl", "unreadable_ddl", "not_create_table",
    ]  # fmt: skip
    assert list(parse_schema(path.read_text())) == ["ddl_t.orders"]
    box = Sandbox(spark)
    problems = box.load(path.read_text())
    assert [p.split(":")[0] for p in problems] == [
        "not a CREATE TABLE", "CREATE TABLE without a column list", "unreadable DDL", "unreadable DDL",
        "not a CREATE TABLE",
    ]  # fmt: skip
    assert spark.table("ddl_t.orders").columns == ["id", "Amount", "tags", "meta"]  # case as written
    assert spark.table("ddl_t.orders").schema["meta"].dataType.simpleString() == "struct<a:int,b:map<string,int>>"
    box.reset()


def test_a_type_the_reader_accepts_but_spark_refuses_is_a_problem_not_a_table(spark):
    from sqlfix.filtering.sandbox import Sandbox

    box = Sandbox(spark)
    problems = box.load("CREATE TABLE ddl_t.too_wide (a DECIMAL(40, 2)); CREATE TABLE ddl_t.fine (a INT)")
    assert [p.split(":")[0] for p in problems] == ["unreadable DDL"]
    assert set(box.tables) == {"ddl_t.fine"}
    box.reset()


QUERIES = [
    "WITH x AS (SELECT * FROM shop.`Orders`) SELECT * FROM x JOIN Users u ON 1 = 1",
    "SELECT a, b FROM s.orders o, s.users AS u, items WHERE o.id IN (1, 2)",
    "SELECT * FROM a CROSS JOIN b x, c",
    "SELECT EXTRACT(YEAR FROM d), x FROM (SELECT * FROM t1) s, t2",
    "select count(*) from store_sales ss,\n  date_dim d\nwhere ss.k = d.k",
    None,
]
EXPECTED = [
    ["shop.orders", "x", "users"],
    ["s.orders", "s.users", "items"],
    ["a", "b", "c"],
    ["d", "t1"],
    ["store_sales", "date_dim"],
    [],
]


@pytest.mark.parametrize(("sql", "expected"), list(zip(QUERIES, EXPECTED, strict=True)))
def test_referenced_tables(sql, expected):
    assert referenced_tables(sql) == expected


def test_referenced_tables_is_one_rule_in_python_and_spark(spark):
    frame = spark.createDataFrame([(q,) for q in QUERIES], "sql string")
    found = [r[0] for r in frame.select(referenced_tables_column(frame.sql)).collect()]
    assert found == [referenced_tables(q) if q is not None else None for q in QUERIES]


RESERVED_CASES = [
    (["tpcds.store_sales", "date_dim"], True),  # a TPC-DS table
    (["shop.orders"], False),  # a warehouse's own orders table
    (["customer", "orders"], True),  # only benchmark names, joined: TPC-H
    (["tpch.nation"], True),  # a benchmark database
    (["shop.orders", "shop.users"], False),
    (["x", "orders", "customer"], False),  # a CTE name beside them: not all benchmark names
    ([], False),
]


def test_reserved_benchmarks_one_rule_in_python_and_spark(spark):
    from sqlfix.config import defaults
    from sqlfix.sql.references import is_reserved, is_reserved_column

    rules = defaults("dataset", "reserved")
    assert [is_reserved(names, rules) for names, _ in RESERVED_CASES] == [want for _, want in RESERVED_CASES]
    frame = spark.createDataFrame([(names,) for names, _ in RESERVED_CASES], "names array<string>")
    assert [r[0] for r in frame.select(is_reserved_column(frame.names, rules)).collect()] == [w for _, w in RESERVED_CASES]
