"""The simulator: valid task SQL, real Spark errors per mutator, older engines' wording, determinism."""

from __future__ import annotations

import filecmp
import json
import random
import re

import pytest
from sqlfix.filtering.dryrun import DryRun, analyze
from sqlfix.simulate import bugs
from sqlfix.simulate.queries import compose
from sqlfix.simulate.sessions import ScriptFactory
from sqlfix.simulate.styles import restyle

# What Spark must say for each mutator's bug (condition prefixes).
EXPECTED = {
    "column_typo": ("UNRESOLVED_COLUMN",),
    "table_typo": ("TABLE_OR_VIEW_NOT_FOUND",),
    "missing_comma": ("PARSE_SYNTAX_ERROR", "UNRESOLVED_COLUMN", "MISSING_AGGREGATION"),
    "extra_comma": ("PARSE_SYNTAX_ERROR",),
    "unbalanced_paren": ("PARSE_SYNTAX_ERROR",),
    "keyword_typo": ("PARSE_SYNTAX_ERROR",),
    "dialect_syntax": ("PARSE_SYNTAX_ERROR",),
    "unknown_function": ("UNRESOLVED_ROUTINE",),
    "wrong_arg_count": ("WRONG_NUM_ARGS", "DATATYPE_MISMATCH", "PARSE_SYNTAX_ERROR"),
    "missing_group_by": ("MISSING_AGGREGATION",),
    "ambiguous_column": ("AMBIGUOUS_REFERENCE",),
    "aggregate_in_where": ("PARSE_SYNTAX_ERROR", "INVALID_WHERE_CONDITION"),
    "window_without_order": ("WINDOW_FUNCTION_FRAME_NOT_ORDERED",),
    "type_mismatch": ("DATATYPE_MISMATCH",),
}


@pytest.fixture(scope="module")
def factory(spark):
    return ScriptFactory(spark)


def test_composed_queries_are_valid_varied_task_sql(factory):
    rng = random.Random(5)
    queries = [compose(rng) for _ in range(40)]
    for sql in queries:
        result = factory.analyze(sql)
        assert result.ok, (result.message, sql)
        assert 20 <= sql.count("\n") + 1 <= 150
    text = "\n".join(queries)
    for feature in (
        "WITH ",
        "LEFT JOIN",
        " OVER (",
        "LATERAL VIEW explode",
        "CASE",
        "GROUP BY",
        "-- ",
        "datediff(",
        "row_number()",
    ):
        assert feature in text, feature
    assert len({q.split("\n")[2] for q in queries}) > 5  # not one template


@pytest.mark.parametrize("name", list(bugs.MUTATORS))
def test_each_mutator_makes_spark_fail_as_expected(factory, name):
    assert set(EXPECTED) == set(bugs.MUTATORS)
    for seed in range(40):
        rng = random.Random(seed)
        lines = compose(rng, size=rng.choice((3, 6))).split("\n")
        mutated = bugs.MUTATORS[name](lines, rng)
        if mutated is None:
            continue
        out, idx = mutated
        assert out[idx] != lines[idx] and sum(a != b for a, b in zip(out, lines, strict=True)) == 1
        result = factory.analyze("\n".join(out))
        if not result.ok and result.condition.startswith(EXPECTED[name]):
            return
    pytest.fail(f"{name}: no seed produced the expected Spark error {EXPECTED[name]}")


def test_dry_run_never_executes_commands(spark):
    spark.sql("CREATE TABLE IF NOT EXISTS dryrun_victim (x INT) USING parquet")
    spark.sql("INSERT INTO dryrun_victim VALUES (1)")
    for sql in (
        "DROP TABLE dryrun_victim",
        "INSERT OVERWRITE TABLE dryrun_victim SELECT 2",
        "TRUNCATE TABLE dryrun_victim",
    ):
        assert analyze(spark, sql).ok
    assert [r.x for r in spark.table("dryrun_victim").collect()] == [1]


def test_older_engines_wording():
    col = DryRun("error", "UNRESOLVED_COLUMN.WITH_SUGGESTION", "42703",
                 "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `o`.`amout` "
                 "cannot be resolved. Did you mean one of the following? [`o`.`amount`, `o`.`id`]. SQLSTATE: 42703; line 3 pos 4;")  # fmt: skip
    legacy, style = restyle(col, "spark-2.4")
    assert style == "spark_legacy" and legacy.startswith(
        "cannot resolve '`o.amout`' given input columns: [o.amount, o.id]; line 3 pos 4"
    )
    hive, style = restyle(col, "hive-3")
    assert style == "hive" and re.match(
        r"FAILED: SemanticException \[Error 10004\]: Line 3:4 Invalid table alias or column reference 'amout'", hive
    )
    parse = DryRun(
        "error",
        "PARSE_SYNTAX_ERROR",
        "42601",
        "[PARSE_SYNTAX_ERROR] Syntax error at or near 'FROM'. SQLSTATE: 42601 (line 7, pos 2)",
    )
    assert restyle(parse, "hive-3")[0].startswith("FAILED: ParseException line 7:2 cannot recognize input near 'FROM'")
    assert restyle(parse, "spark-2.4")[0].strip().startswith("mismatched input 'FROM' expecting")
    assert restyle(parse, "spark-4.1") == (parse.message, "spark4")


@pytest.mark.slow
def test_simulation_is_deterministic_for_a_seed(spark, tmp_path):
    from sqlfix.simulate.logs import simulate

    a = simulate(spark, tmp_path / "a", events=150, seed=3, malformed_rate=0.05)
    b = simulate(spark, tmp_path / "b", events=150, seed=3, malformed_rate=0.05)
    assert a == b
    for name in ("logs/part-00000.jsonl", "schemas.jsonl", "truth.jsonl"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False), name
    simulate(spark, tmp_path / "c", events=150, seed=4)
    assert not filecmp.cmp(tmp_path / "a" / "truth.jsonl", tmp_path / "c" / "truth.jsonl", shallow=False)
    truth = [json.loads(line) for line in (tmp_path / "a" / "truth.jsonl").open()]
    assert {t["outcome"] for t in truth} <= {"kept", "dropped", "none"} and any(t["outcome"] == "kept" for t in truth)


def test_adhoc_queries_are_short_valid_and_varied(factory):
    from sqlfix.simulate.queries import compose_adhoc

    rng = random.Random(9)
    queries = [compose_adhoc(rng) for _ in range(40)]
    for sql in queries:
        assert factory.analyze(sql).ok, sql
        assert 6 <= sql.count("\n") + 1 <= 20
    text = "\n".join(queries)
    for feature in ("JOIN ", "GROUP BY", "ORDER BY", "LIMIT", "ROW_NUMBER() OVER", "HAVING", "-- "):
        assert feature in text, feature
    assert len({q.split("\n")[0].split(": ")[0] for q in queries}) == 4  # every domain


def test_noise_makes_pairs_the_filter_must_drop(spark, tmp_path):
    import json

    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox
    from sqlfix.simulate.domains import all_tables
    from sqlfix.simulate.logs import simulate

    simulate(spark, tmp_path, events=400, seed=8, adhoc_share=1.0, noise=True)
    truth = [json.loads(line) for line in (tmp_path / "truth.jsonl").open()]
    events = {}
    for part in (tmp_path / "logs").glob("part-*.jsonl"):
        for line in part.open():
            row = json.loads(line)
            events[row["event_id"]] = row
    noisy = [t for t in truth if t["noise"]]
    assert {t["noise"] for t in noisy} == {"transient", "fix_still_fails"}
    box = Sandbox(spark)
    box.load(";\n".join(t.ddl for t in all_tables()))
    judge = Judge(box, threads=2)
    expected = {"transient": "bug_passes", "fix_still_fails": "fix_fails"}
    for t in noisy:
        bug, fix = events[t["bug_event_id"]], events[t["fix_event_id"]]
        assert (bug["status"], fix["action"]) == ("error", "execute" if t["noise"] == "transient" else "save")
        assert judge.pair(bug["sql_text"], fix["sql_text"]).reason == expected[t["noise"]], t
    judge.close()
