"""Corpus (features in Arrow batches, quarantine reasons), targets, recall, and the commands end to end."""

from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import functions as F
from sqlfix.generation.corpus import build_corpus, corpus_id, with_features, with_features_per_row
from sqlfix.generation.oriented import recall, targets
from sqlfix.tables import QUERY_LOGS, TABLE_SCHEMAS
from sqlfix.taxonomy.model import load_taxonomy

DDL = "CREATE TABLE qa.orders (order_id BIGINT, user_id BIGINT, status STRING, amount DOUBLE) USING parquet"
GROUPED = "SELECT o.user_id, o.status, SUM(o.amount) AS total\nFROM qa.orders o\nGROUP BY o.user_id, o.status"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def _sources(spark):
    rows = [
        (GROUPED, "query_logs", "t1"),
        (GROUPED.replace("\n", "  \n").lower(), "query_logs", "t1"),  # the same query: one corpus row
        ("SELECT o.order_id FROM qa.orders o WHERE o.status = 'paid'", "query_logs", "t2"),
        ("SELECT FROM WHERE (", "query_logs", "t3"),  # unparseable
        ("INSERT INTO qa.orders SELECT * FROM qa.orders", "query_logs", "t4"),  # not a query
        ("SELECT x.a FROM qa.unknown x", "query_logs", "t5"),  # no DDL
        ("SELECT ss_item_sk FROM store_sales", "query_logs", "t6"),  # TPC-DS: never trained on
        ("SELECT c.c_name FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey", "query_logs", "t7"),  # TPC-H
    ]
    return spark.createDataFrame(rows, "sql_text string, source string, task_id string")


def test_corpus_rows_features_and_quarantine_reasons(spark):
    schemas = spark.createDataFrame([("qa.orders", DDL, NOW, "f")], TABLE_SCHEMAS.spark_schema)
    corpus, rejected = build_corpus(_sources(spark), schemas, NOW)
    got = {r["sql_text"]: r["features"] for r in corpus.collect()}
    assert got == {
        GROUPED: ["select", "multi_item_select", "qualified_column", "table", "group_by", "group_by_multi", "aggregate"],
        "SELECT o.order_id FROM qa.orders o WHERE o.status = 'paid'":
            ["select", "qualified_column", "table", "where", "where_comparison", "string_literal", "where_last",
             "comparison"],
    }  # fmt: skip
    assert sorted((r["task_id"], r["reason"]) for r in rejected.collect()) == [
        ("t3", "unparseable"),
        ("t4", "not_a_query"),
        ("t5", "missing_ddl"),
        ("t6", "reserved_benchmark"),
        ("t7", "reserved_benchmark"),
    ]
    assert {r["corpus_id"] for r in corpus.collect()} >= {corpus_id(GROUPED)}


def test_the_batch_and_per_row_paths_agree(spark):
    batch = with_features(_sources(spark)).orderBy("task_id", "sql_text").collect()
    row = with_features_per_row(_sources(spark)).orderBy("task_id", "sql_text").collect()
    assert [r.asDict() for r in batch] == [r.asDict() for r in row]


def test_targets_rare_weak_and_user_leaves():
    taxonomy = load_taxonomy()
    kept = {leaf.id: 50 for leaf in taxonomy.leaves}
    kept.update({"aggregation.group_by.missing_group_by": 2, "syntax.dialect.select_top": 0})
    accuracy = {"resolution.column.misspelled_column": (0.1, 5), "resolution.function.unknown_function": (0.1, 1)}
    rows = targets(taxonomy, kept, accuracy, rare_below=10, weak_below=0.3, min_eval=3, per_leaf=6,
                   user=["types.mismatch.cast_not_allowed"])  # fmt: skip
    assert [(r["category_l3"], r["reason"], r["wanted"]) for r in rows] == [
        ("types.mismatch.cast_not_allowed", "user", 6),
        ("resolution.column.misspelled_column", "weak", 6),
        ("syntax.dialect.select_top", "rare", 6),
        ("aggregation.group_by.missing_group_by", "rare", 6),
    ]


def test_recall_matches_all_features_and_caps_each_task(spark):
    rows = [(f"c{i}", f"t{i % 2}", ["qa.orders"], ["select", "group_by", "aggregate"] if i < 5 else ["select"])
            for i in range(8)]  # fmt: skip
    corpus = spark.createDataFrame(
        rows, "corpus_id string, task_id string, tables array<string>, features array<string>"
    )
    got = recall(corpus, {"aggregation.group_by.missing_group_by": ("group_by", "aggregate")}, per_group=2,
                 limit={"aggregation.group_by.missing_group_by": 10}, seed=0).collect()  # fmt: skip
    assert len(got) == 2  # 5 match; 2 per task and 2 per table set
    assert {r["corpus_id"] for r in got} <= {"c0", "c1", "c2", "c3", "c4"}


def test_corpus_targets_generate_commands(run_cli, lake, spark):
    logs = [{"event_id": f"e{i}", "event_time": NOW, "user_id": "u", "task_id": f"t{i}", "action": "execute",
             "sql_text": sql, "status": "success", "event_date": NOW.date()}
            for i, sql in enumerate([GROUPED, GROUPED.replace("o.status", "o.order_id"), "SELECT 1 +"])]  # fmt: skip
    lake.append("query_logs", spark.createDataFrame(logs, QUERY_LOGS.spark_schema))
    lake.append("table_schemas", spark.createDataFrame([("qa.orders", DDL, NOW, "f")], TABLE_SCHEMAS.spark_schema))
    out = run_cli("corpus")
    assert "quarantined by reason {'unparseable': 1}" in out
    out = run_cli("--set", "generation.max_targets=1", "targets", "--leaves",
                  "aggregation.group_by.missing_from_group_by")  # fmt: skip
    assert "targets: 1 leaves" in out and "aggregation.group_by.missing_from_group_by         user  kept    0" in out
    run_cli("generate")
    got = lake.read("generated_pairs").orderBy("corpus_id").collect()
    assert len(got) == 2 and {r["fixed_sql"] for r in got} == {GROUPED, GROUPED.replace("o.status", "o.order_id")}
    assert all(r["bug_sql"].split("\n")[:2] == r["fixed_sql"].split("\n")[:2] for r in got)  # only GROUP BY changed
    assert {(r["category_l3"], r["source"], r["changed_lines"], r["error_condition"]) for r in got} == {
        ("aggregation.group_by.missing_from_group_by", "oriented", 1, "MISSING_AGGREGATION")
    }
    runs = lake.read("generation_runs").collect()
    assert [(r["generated"], r["kept"]) for r in runs] == [(2, 2)]
    run_cli("generate")  # again: nothing new is written, and the second run's yield does not count them again
    assert lake.read("generated_pairs").count() == 2
    runs = lake.read("generation_runs").orderBy("started_at").collect()
    assert [(r["generated"], r["kept"]) for r in runs] == [(2, 2), (2, 0)]
    assert json.loads(runs[1]["rejections"]) == {"already_kept": 2}
    assert lake.read("generated_pairs").filter(F.col("fixed_sql") == GROUPED).count() == 1


def test_the_site_rule_drops_queries_whose_features_match_but_offer_no_site(spark):
    rows = [
        (
            "a",
            "t1",
            ["qa.orders"],
            DDL,
            ["where_comparison"],
            "SELECT o.order_id FROM qa.orders o WHERE o.status = 'x'",
        ),
        ("b", "t2", ["qa.orders"], DDL, ["where_comparison"], "SELECT o.order_id FROM qa.orders o WHERE o.amount > 5"),
    ]  # a STRING column read as a condition would pass; a DOUBLE one fails: only b has a site
    corpus = spark.createDataFrame(rows, "corpus_id string, task_id string, tables array<string>, schema_ddl string, "
                                         "features array<string>, sql_text string")  # fmt: skip
    leaf = {"types.mismatch.condition_not_boolean": ("where_comparison",)}
    caps = {"types.mismatch.condition_not_boolean": 10}
    assert sorted(r["corpus_id"] for r in recall(corpus, leaf, 2, caps, 0).collect()) == ["a", "b"]
    assert [r["corpus_id"] for r in recall(corpus, leaf, 2, caps, 0, sites=True).collect()] == ["b"]


def test_variants_draw_distinct_bugs_of_one_query_the_first_unchanged():
    from sqlfix.generation.oriented import mutate

    c = {"corpus_id": "c1", "task_id": "t", "target_leaf": "resolution.column.misspelled_column",
         "sql_text": "SELECT o.order_id, o.status, o.amount\nFROM qa.orders o\nWHERE o.amount > 10",
         "schema_ddl": "CREATE TABLE qa.orders (order_id BIGINT, status STRING, amount DOUBLE)"}  # fmt: skip
    one, _ = mutate([c], 0)
    three, misses = mutate([c], 0, variants=3)
    assert [p["bug_sql"].splitlines()[0] for p in three] == [
        "SELECT o.order_id, o.status, o.aount",  # variant 0: what one variant gives
        "SELECT o.order_iid, o.status, o.amount",
        "SELECT o.order_id, o.status, o.amounnt",
    ]
    assert [p["bug_sql"] for p in one] == [three[0]["bug_sql"]] and not misses


def test_share_quotas_cap_the_largest_groups_by_pair_id():
    from sqlfix.generation.run import _repository_of, _shares

    kept = [{"pair_id": f"a{i:02d}", "target_leaf": "big", "task_id": "repo:etl:x.sql#0"} for i in range(12)]
    kept += [{"pair_id": f"b{i}", "target_leaf": f"leaf{i}", "task_id": "t9"} for i in range(19)]
    out, surplus = _shares(kept, lambda r: r["target_leaf"], 0.05, "quota_leaf")
    # 20 leaves; the cap c is the largest with c <= 5 % of (19 + c): 1
    assert sorted(r["pair_id"] for r in out if r["target_leaf"] == "big") == ["a00"]
    assert len(out) == 20 and len(surplus) == 11 and {r["reason"] for r in surplus} == {"quota_leaf"}
    assert _shares(kept[:12], lambda r: r["target_leaf"], 0.05, "quota_leaf") == (kept[:12], [])  # one leaf: no cap
    assert (_repository_of(kept[0]), _repository_of(kept[-1])) == ("etl", "query_logs")


def test_a_write_leaf_carries_its_bug_in_the_write_form_of_a_query(spark):
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.generation.oriented import mutate, verify, write_leaves

    taxonomy = load_taxonomy()
    leaf = "types.write.incompatible_data"
    assert {"types.write.incompatible_data", "types.write.column_count_mismatch", "resolution.column.duplicate_column",
            "query_shape.write.partition_spec_mismatch"} == write_leaves(taxonomy)  # fmt: skip
    rows = [
        ("a", "t1", ["qa.orders"], DDL, ["select", "multi_item_select"], GROUPED, "models/marts/user_status.sql"),
        # two numbers: no position swap Spark refuses to write
        ("b", "t2", ["qa.orders"], DDL, ["select", "multi_item_select"], "SELECT o.order_id, o.amount FROM qa.orders o",
         "sql/shop/amounts_v1/query.sql"),
        # an unnamed expression: no table of its columns
        ("c", "t3", ["qa.orders"], DDL, ["select", "multi_item_select"], "SELECT o.status, upper(o.status) FROM qa.orders o",
         None),
    ]  # fmt: skip
    corpus = spark.createDataFrame(rows, "corpus_id string, task_id string, tables array<string>, schema_ddl string, "
                                         "features array<string>, sql_text string, origin string")  # fmt: skip
    wanted = {leaf: taxonomy.leaf(leaf).features}
    assert sorted(r["corpus_id"] for r in recall(corpus, wanted, 3, {leaf: 10}, 0).collect()) == ["a", "b", "c"]
    got = [r.asDict() for r in recall(corpus, wanted, 3, {leaf: 10}, 0, sites=True).collect()]
    assert [r["corpus_id"] for r in got] == ["a"]
    pairs, misses = mutate(got, 0, writes=write_leaves(taxonomy))
    assert not misses and len(pairs) == 1
    pair = pairs[0]
    assert pair["fixed_sql"] == "INSERT INTO analytics.user_status (user_id, status, total)\n" + GROUPED
    assert pair["bug_sql"] == "INSERT INTO analytics.user_status (user_id, status, total)\n" + GROUPED.replace(
        "SELECT o.user_id, o.status,", "SELECT o.status, o.user_id,")
    assert pair["schema_ddl"] == DDL + ";\n\nCREATE TABLE analytics.user_status " \
        "(`user_id` BIGINT, `status` STRING, `total` STRING) USING parquet"  # fmt: skip
    assert pair["tables"] == ["analytics.user_status", "qa.orders"]
    judge = Judge(Sandbox(spark), threads=1, timeout_s=60)
    try:
        judged = verify(judge, pairs, taxonomy)
    finally:
        judge.close()
    assert [(p["reason"], p["category_l3"], p["error_condition"]) for p in judged] == [
        ("kept", leaf, "INCOMPATIBLE_DATA_FOR_TABLE.CANNOT_SAFELY_CAST")]
    # the other leaves take the query as it is
    other, _ = mutate([{**got[0], "target_leaf": "resolution.column.misspelled_column"}], 0, writes=write_leaves(taxonomy))
    assert other[0]["fixed_sql"] == GROUPED and other[0]["schema_ddl"] == DDL


def test_the_write_form_writes_plain_type_text_only():
    from sqlfix.generation.oriented import write_form

    sql = "SELECT CAST(o.attrs AS STRUCT<`a;b`: INT>) AS s, CAST(o.amount AS DECIMAL(12,2)) AS amount FROM qa.orders o"
    text, ddl, name = write_form(sql, {"qa.orders": {"amount": "double"}}, "../../etc/passwd.sql")
    assert (text, name) == ("INSERT INTO analytics.passwd (s, amount)\n" + sql, "analytics.passwd")
    assert ddl == "CREATE TABLE analytics.passwd (`s` STRING, `amount` DECIMAL(12, 2)) USING parquet"
    assert write_form("SELECT o.amount AS `a b` FROM qa.orders o", {}, None) is None  # not a plain name
