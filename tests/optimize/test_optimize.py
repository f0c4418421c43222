"""Optimisation data: databases, de-optimisers (equivalent and slower on Spark), comparison, reward, quotas,
the split, tiered verification and the rule-based round end to end."""

from __future__ import annotations

import json
import re

import pytest
from sqlfix.optimize.compare import same_result
from sqlfix.optimize.databases import DOMAINS, all_tables, generate_table, row_counts
from sqlfix.optimize.deoptimize import PATTERNS, PYTHON_UDFS, deoptimize, select_with_quotas
from sqlfix.optimize.queries import SEEDS
from sqlfix.optimize.reward import Reward, distribution
from sqlfix.optimize.rules import slow_queries, split_of

TINY = [{"name": "small_a", "scale": 0.005, "seed": 1}, {"name": "small_b", "scale": 0.01, "seed": 2},
        {"name": "large", "scale": 0.02, "seed": 3}]  # fmt: skip


def _overrides():
    return [f"optimize.instances={json.dumps(TINY)}", "optimize.large=large", "optimize.repeats=1"]


def test_instances_are_seeded_skewed_and_nullable(spark):
    orders = next(t for t in DOMAINS["ecommerce"] if t.name == "orders")
    customers = next(t for t in DOMAINS["ecommerce"] if t.name == "customers")
    a = generate_table(spark, orders, 0.05, 1).collect()
    assert a == generate_table(spark, orders, 0.05, 1).collect()  # a seed is a fixed draw
    assert a != generate_table(spark, orders, 0.05, 2).collect()  # another seed, other data
    assert len(a) == row_counts(0.05)["orders"] == 1000
    per_customer = {}
    for row in a:
        per_customer[row["customer_id"]] = per_customer.get(row["customer_id"], 0) + 1
    assert max(per_customer.values()) > 10 * len(a) / row_counts(0.05)["customers"]  # skewed keys
    segments = [r["segment"] for r in generate_table(spark, customers, 0.5, 1).collect()]
    assert 0.02 < segments.count(None) / len(segments) < 0.09  # about 5 % nulls
    assert {t.name for t in all_tables()} >= {"orders", "posts", "comments", "employees", "events", "articles",
                                               "article_tags", "store_sales", "date_dim"}  # fmt: skip


def test_same_result_multisets_nulls_floats_and_order():
    assert same_result([(1, None), (1, None), (2.0000001, "x")], [(2.0, "x"), (1, None), (1, None)])[0]
    assert not same_result([(1, None), (1, None)], [(1, None), (2, None)])[0]  # duplicates count
    assert not same_result([(None,)], [(0,)])[0]  # NULL is not 0
    assert not same_result([(1.0,)], [(1.01,)])[0]
    assert same_result([(1,), (2,)], [(2,), (1,)])[0] and not same_result([(1,), (2,)], [(2,), (1,)], True)[0]
    assert not same_result([(1, 2)], [(1,)])[0]


def test_reward_is_log_scaled_capped_and_penalises_regressions():
    r = Reward(cap=100, keep_threshold=0.25)
    scores = [r.score(s, True) for s in (1.5, 2, 3.2, 10, 100, 1000, 10**6)]
    assert scores == sorted(scores) and scores[-3:] == [1.0, 1.0, 1.0] and scores[0] < 0.1
    assert [r.keep(s) for s in scores[:3]] == [False, False, True]
    assert r.score(0.5, True) == pytest.approx(-2 * 0.150515, rel=1e-4) and r.score(5, False) == -1.0
    spread = distribution([r.score(s, True) for s in (1.2, 2, 4, 8, 16, 1e4)])
    assert spread["share_at_cap"] == pytest.approx(1 / 6, abs=1e-3) and spread["stdev"] > 0.2  # not saturated


def test_quotas_and_the_split_come_before_anything_else():
    items = slow_queries(n=12, max_share=0.25, validation_share=0.25)
    patterns = [i["pattern"] for i in items]
    assert len(items) == 12 and max(patterns.count(p) for p in set(patterns)) <= 3
    assert max([i["domain"] for i in items].count(d) for d in DOMAINS) <= 3
    sides = {}
    for i in slow_queries(n=100, max_share=1.0, validation_share=0.25):
        sides.setdefault(i["seed_id"], set()).add(i["split"])
    assert all(len(s) == 1 for s in sides.values())  # a seed's variants are on one side
    assert {split_of(s, 0.25) for s in sides} == {"train", "validation"}
    skewed = [{"pattern": "a", "domain": "x"}] * 20 + [{"pattern": "b", "domain": "y"}] * 2
    assert len(select_with_quotas(skewed, 8, 0.25)) == 2  # a cap of 2 leaves 4, a cap of 1 of those leaves 2
    mixed = [{"pattern": p, "domain": p} for p in "aaaaabbbcd"]
    picked = select_with_quotas(mixed, 10, 0.25)  # 2 each of a and b, 1 each of c and d: 6; 1 each of 6: 4
    assert sorted(i["pattern"] for i in picked) == ["a", "b", "c", "d"]  # no pattern above 25 % of the 4


@pytest.mark.slow
def test_each_deoptimiser_is_equivalent_and_does_more_work_on_spark(spark):
    session = spark.newSession()
    for table in all_tables():
        generate_table(session, table, 0.01, 1).createOrReplaceTempView(table.name)
    for name, (fn, returns) in PYTHON_UDFS.items():
        session.udf.register(name, fn, returns)

    def plan(sql: str) -> str:
        return str(session.sql(sql)._jdf.queryExecution().executedPlan().toString())

    signals = {  # what the slow plan does that the fast one does not
        "union_for_union_all": lambda p: p.count("HashAggregate"),
        "distinct_over_unique": lambda p: p.count("HashAggregate"),
        "count_for_exists": lambda p: p.count("HashAggregate"),
        "python_udf_for_builtin": lambda p: p.count("EvalPython"),
        "not_in_for_not_exists": lambda p: p.count("LeftAnti, BuildRight, true"),  # null-aware anti-join
        "self_join_for_window": lambda p: p.count("Range ("),  # the table read twice
        "self_join_for_rank": lambda p: p.count("Range ("),
        "repeated_subquery": lambda p: p.count("Range ("),
        "window_for_group_by": lambda p: p.count("Window ["),  # every row windowed, then de-duplicated
    }
    seen = set()
    for _, _, sql in SEEDS:
        for pattern, slow in deoptimize(sql, include_undone=True):
            seen.add(pattern)
            fast_rows = [tuple(r) for r in session.sql(sql).collect()]
            assert same_result([tuple(r) for r in session.sql(slow).collect()], fast_rows)[0], (pattern, slow)
            if pattern in signals:
                assert signals[pattern](plan(slow)) > signals[pattern](plan(sql)), (pattern, slow)
    assert seen == set(PATTERNS)
    undone = {p for p, d in PATTERNS.items() if d.spark_undoes}
    assert undone == {"correlated_subquery_for_join", "cross_join_plus_filter", "select_star_subquery"}

    def optimized(sql: str) -> str:  # expression ids aside
        return re.sub(r"#\d+L?", "", str(session.sql(sql)._jdf.queryExecution().optimizedPlan().toString()))

    for _, _, sql in SEEDS:  # Spark's optimizer turns these slow forms back into the fast plan, exactly
        for pattern, slow in deoptimize(sql, include_undone=True):
            if pattern in ("cross_join_plus_filter", "select_star_subquery"):
                assert optimized(slow) == optimized(sql), (pattern, slow)


@pytest.mark.slow
def test_tiered_verification_and_the_rule_based_round(run_cli, ctx, lake):
    from sqlfix.config import lay
    from sqlfix.optimize.databases import instance_session
    from sqlfix.optimize.run import instances
    from sqlfix.optimize.verify import Verifier

    ctx.cfg = lay(ctx.cfg, overrides=_overrides())
    out = run_cli("--set", f"optimize.instances={json.dumps(TINY)}", "optimize", "databases")
    assert "instance small_a: 1,4" in out or "instance small_a:" in out
    sessions = {i.name: instance_session(ctx.cfg, ctx.spark, i, PYTHON_UDFS) for i in instances(ctx.cfg)}
    verifier = Verifier(sessions, "large", {t.name for t in all_tables()}, repeats=1)
    slow = "SELECT o.order_id FROM orders o WHERE o.status = 'paid'"
    assert verifier.check(slow, "SELECT * FROM parquet.`/etc`").tier == "allowlist"
    model_slow = verifier.check("SELECT * FROM parquet.`/etc`", slow)  # a slow query can be model output too
    assert (model_slow.tier, model_slow.reason.split(":")[0]) == ("allowlist", "slow")
    assert verifier.check(slow, "SELECT o.nope FROM orders o").tier == "analyze"
    assert verifier.check(slow, "SELECT o.order_id FROM orders o").tier == "small"
    n_small = row_counts(0.005)["orders"]
    fp = verifier.check(slow, f"SELECT o.order_id FROM orders o WHERE o.status = 'paid' AND o.order_id <= {n_small}")
    assert (fp.tier, fp.passed, fp.differs_on) == ("instances", False, ["small_b", "large"])  # equal on small_a only
    empty = verifier.check(f"{slow} AND o.order_id < 0", "SELECT o.order_id FROM orders o WHERE o.order_id IS NULL")
    assert (empty.tier, empty.passed, empty.reason.split(":")[0]) == (
        "instances", False, "the slow query returns no rows on any instance")  # fmt: skip
    ok = verifier.check(slow, "SELECT o.order_id FROM orders o WHERE 'paid' = o.status")
    assert (ok.tier, ok.passed) == ("cost", True) and ok.speedup > 0 and ok.slow_metrics["stages"] >= 1
    assert set(ok.seconds_by_tier) == {"allowlist", "analyze", "small", "instances", "cost"}

    out = run_cli("--set", f"optimize.instances={json.dumps(TINY)}", "--set", "optimize.repeats=1",
                  "optimize", "rules", "--limit", "6")  # fmt: skip
    assert "optimize: 6 slow queries (6 patterns, largest share 17%; 6 domains)" in out  # quotas of 1 in 6
    rows = lake.read("opt_pairs").collect()
    assert {r["candidate"] for r in rows} >= {"inverse"}
    inverse = [r for r in rows if r["candidate"] == "inverse"]
    assert len(inverse) == 6 and all(r["equivalent"] and r["tier"] == "cost" for r in inverse)
    assert all(r["reward"] == pytest.approx(Reward().score(r["speedup"], True)) for r in inverse)
    assert {r["split"] for r in rows} <= {"train", "validation"}


@pytest.mark.slow
def test_the_restem_loop_runs_resumes_and_survives_a_crash(run_cli, ctx, lake, tiny_model_dir, tmp_path, monkeypatch):
    from sqlfix.optimize import restem

    common = [
        "--set",
        f"optimize.instances={json.dumps(TINY)}",
        "--set",
        "optimize.repeats=1",
        "--set",
        f"optimize.output_dir={tmp_path / 'opt'}",
        "--set",
        "optimize.max_new_tokens=24",
        "--set",
        "optimize.reward.keep_threshold=-1",
    ]  # fmt: skip  (keep every equivalent rewrite: no timing)
    run_cli(*common, "optimize", "databases")
    calls = []

    def crash(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("killed during fine-tuning")

    monkeypatch.setattr(restem, "fine_tune", crash)
    argv = [*common, "optimize", "run", "--iterations", "1", "--model", str(tiny_model_dir), "--k", "2",
            "--steps", "1", "--limit", "6"]  # fmt: skip
    from sqlfix.cli import main

    assert main(argv, ctx=ctx) != 0  # the job fails: the crash is reported, not swallowed
    assert len(calls) == 1  # iteration 0 kept pairs to train on; the crash came in the M-step
    assert sorted(r["iteration"] for r in lake.read("opt_runs").collect()) == [0]  # iteration 1 is not done
    assert {r["iteration"] for r in lake.read("opt_pairs").collect()} == {0}  # and wrote nothing
    monkeypatch.undo()
    out = run_cli(*argv)
    assert "iteration 0 (rules) done already" in out and "optimize: iteration 1: success rate" in out
    runs = {r["iteration"]: r for r in lake.read("opt_runs").collect()}
    assert sorted(runs) == [0, 1] and runs[1]["model_path"].startswith(str(tmp_path / "opt" / "iter-1"))
    policy = [r for r in lake.read("opt_pairs").collect() if r["iteration"] == 1]
    assert all(r["candidate"] == "policy:" + tiny_model_dir.name for r in policy)
    versions = lake.version("opt_pairs")
    again = run_cli(*argv)  # everything done: nothing is sampled or written again
    assert "iteration 1 done already" in again and lake.version("opt_pairs") == versions
    assert json.loads(runs[1]["metrics"])["candidates"] == len(policy)
    import mlflow

    mlflow.set_tracking_uri(ctx.cfg["train"]["mlflow"]["tracking_uri"])
    logged = mlflow.search_runs(experiment_names=["sqlfix-optimize"])
    assert len(logged) == 1 and logged.iloc[0]["metrics.candidates"] == len(policy)  # the resumed run logged it

    kept = [r for r in lake.read("opt_pairs").collect() if r["kept"]]
    out = run_cli(*common, "optimize", "export", "--out", str(tmp_path / "export"), "--copies", "1")
    lines = {s: (tmp_path / "export" / f"{s}.jsonl").read_text().splitlines() for s in ("train", "validation")}
    assert len(lines["train"]) == 2 * sum(r["split"] == "train" for r in kept)  # each kept pair and one copy
    assert len(lines["validation"]) == 2 * sum(r["split"] == "validation" for r in kept)
    first = json.loads((lines["train"] or lines["validation"])[0])["messages"]
    assert [m["role"] for m in first] == ["system", "user", "assistant"] and "[SLOW SQL]" in first[1]["content"]
    assert "rejected: a name did not resolve" in out


def test_renamed_copies_resolve_keep_their_split_and_are_rejected_when_a_name_breaks():
    from sqlfix.optimize.augment import augment, mapping, rename, renamed_schema, resolves

    schema = {t.name: {n: typ for n, typ, _ in t.columns} for t in all_tables()}
    seed_sql = next(sql for _, name, sql in SEEDS if name == "customers_without_orders")
    slow = dict(deoptimize(seed_sql))["not_in_for_not_exists"]
    pair = {"pair_id": "p1", "slow_sql": slow, "fast_sql": seed_sql, "split": "validation"}
    copies, rejected = augment([pair], schema, 3)
    assert rejected == 0 and len(copies) == 3 and {c["split"] for c in copies} == {"validation"}
    for c in copies:
        assert "customers" not in c["slow_sql"].replace("customer_id", "") or c["schema"] != schema
        assert resolves(c["slow_sql"], c["schema"]) and resolves(c["fast_sql"], c["schema"])
    m = mapping(schema, 7)
    assert not resolves(rename(seed_sql, m), schema)  # the renamed query does not read the old schema
    broken = {**m, "columns": {**m["columns"], "country": "country"}}  # the column renamed in the schema only
    assert not resolves(rename(seed_sql, broken), renamed_schema(schema, m))


@pytest.mark.slow
def test_the_llm_junior_developer_writes_slow_queries_that_are_verified(run_cli, ctx, lake):
    from sqlfix.config import lay
    from sqlfix.optimize.junior import JUNIOR_PATTERNS
    from sqlfix.optimize.run import run_rules

    class Scripted:  # answers by pattern, in the order asked
        name = "llm:scripted"

        def complete(self, prompts):
            out = []
            for p in prompts:
                sql = p.split("[EFFICIENT SQL]\n")[1].split("\n\nReturn json")[0]
                if "UNION instead of UNION ALL" in p and "UNION ALL" in sql:
                    out.append(json.dumps({"slow sql": sql.replace("UNION ALL", "UNION"), "suitable": "yes"}))
                elif "DISTINCT to rows" in p and sql.startswith("SELECT o.order_id"):
                    out.append(
                        '```json\n{"slow sql": "'
                        + sql.replace("\n", "\\n").replace("o.amount", "o.amount + 1")
                        + '", "suitable": "yes"}\n```'
                    )  # a "slow" query that changes the result
                elif "counting" in p:
                    out.append('{"slow sql": "SELECT')  # cut off: malformed
                else:
                    out.append(json.dumps({"slow sql": "", "suitable": "no"}))
            return out

    ctx.cfg = lay(
        ctx.cfg, overrides=[*_overrides(), "generation.llm.max_requests=1000", "optimize.max_pattern_share=1.0"]
    )
    run_cli("--set", f"optimize.instances={json.dumps(TINY)}", "optimize", "databases")
    out = run_rules(ctx, limit=2, junior=Scripted())
    n = len(SEEDS) * len(JUNIOR_PATTERNS)
    assert sum(out["junior"].values()) == n and out["junior"]["ok"] == 5  # 2 UNIONs and 3 changed results
    assert out["junior"]["malformed"] == len(SEEDS)
    junior = [r for r in out["records"] if r["pattern"].startswith("llm:")]
    changed = [r for r in junior if r["pattern"] == "llm:distinct_over_unique" and r["candidate"] == "inverse"]
    assert changed and all(not r["equivalent"] and r["tier"] == "small" for r in changed)
    unions = [r for r in junior if r["pattern"] == "llm:union_for_union_all" and r["candidate"] == "inverse"]
    assert unions and all(r["equivalent"] for r in unions)  # the quotas draw from rules and junior together


def test_self_joins_and_repeated_subqueries_are_written_for_their_shape():
    rank = PATTERNS["self_join_for_rank"].apply(
        "SELECT e.emp_id, e.salary, RANK() OVER (PARTITION BY e.dept_id ORDER BY e.salary) AS r\n"
        "FROM employees e\nWHERE e.salary IS NOT NULL AND (e.dept_id = 1 OR e.dept_id = 2)"
    )
    assert rank == (
        "SELECT e.emp_id, e.salary, COUNT(h.salary) + 1 AS r\nFROM employees e\n"
        "LEFT JOIN employees h ON h.dept_id <=> e.dept_id AND h.salary < e.salary"
        " AND h.salary IS NOT NULL AND (h.dept_id = 1 OR h.dept_id = 2)\n"
        "WHERE e.salary IS NOT NULL AND (e.dept_id = 1 OR e.dept_id = 2)\nGROUP BY e.emp_id, e.salary"
    )  # ascending: the rows below; the outer filter applies to both sides
    nullable = "SELECT e.emp_id, RANK() OVER (PARTITION BY e.dept_id ORDER BY e.salary) AS r FROM employees e"
    assert PATTERNS["self_join_for_rank"].apply(nullable) is None  # NULL salaries would rank first, not 1
    assert PATTERNS["self_join_for_rank"].apply(nullable + " WHERE e.salary IS NOT NULL OR e.dept_id = 1") is None

    window = PATTERNS["self_join_for_window"].apply(
        "SELECT w.tag_id, COUNT(*) OVER (PARTITION BY w.article_id) AS n FROM article_tags w"
    )
    assert window == (
        "SELECT w.tag_id, w1.n FROM article_tags w\nJOIN (SELECT w.article_id, COUNT(*) AS n FROM article_tags w"
        " GROUP BY w.article_id) w1 ON w1.article_id <=> w.article_id"
    )  # the alias w is taken: w1; NULL keys still meet their group

    repeated = PATTERNS["repeated_subquery"].apply(
        "SELECT i.i_category, d.d_year, round(AVG(ss.ss_sales_price), 2) AS price, COUNT(*) AS sales\n"
        "FROM store_sales ss JOIN item i ON i.i_item_sk = ss.ss_item_sk\n"
        "JOIN date_dim d ON d.d_date_sk = ss.ss_sold_date_sk\nGROUP BY i.i_category, d.d_year"
    )
    body = (
        "FROM store_sales ss JOIN item i ON i.i_item_sk = ss.ss_item_sk\n"
        "JOIN date_dim d ON d.d_date_sk = ss.ss_sold_date_sk\nGROUP BY i.i_category, d.d_year"
    )
    assert repeated == (
        "SELECT m.i_category, m.d_year, m.price, n.sales\n"
        f"FROM (SELECT i.i_category, d.d_year, round(AVG(ss.ss_sales_price), 2) AS price {body}) m\n"
        f"JOIN (SELECT i.i_category, d.d_year, COUNT(*) AS sales {body}) n"
        " ON n.i_category <=> m.i_category AND n.d_year <=> m.d_year"
    )
    assert PATTERNS["repeated_subquery"].apply("SELECT x.a, SUM(x.b) AS s FROM t x GROUP BY x.a") is None  # one measure


def test_rules_apply_inside_ctes_derived_tables_and_branches_and_keep_the_rest_of_the_text():
    sql = (
        "WITH big AS (\n  SELECT UPPER(o.status) AS s FROM shop.orders o\n)\n"
        "SELECT b.s, COUNT(*) AS n FROM big b GROUP BY b.s"
    )
    assert deoptimize(sql) == [
        ("window_for_group_by", sql.replace("SELECT b.s, COUNT(*) AS n FROM big b GROUP BY b.s",
                                            "SELECT DISTINCT b.s, COUNT(*) OVER (PARTITION BY b.s) AS n FROM big b")),
        ("python_udf_for_builtin", sql.replace("UPPER(", "py_upper(")),
        ("order_by_in_subquery", sql.replace("FROM shop.orders o", "FROM (SELECT * FROM shop.orders ORDER BY order_id) o")),
    ]  # the CTE's body is the region: the WITH clause and the main query stay byte-identical
    union = "SELECT TRIM(c.name) AS n FROM customers c UNION ALL SELECT c.email FROM customers c"
    assert [p for p, _ in deoptimize(union)] == [
        "union_for_union_all", "python_udf_for_builtin", "order_by_in_subquery", "order_by_in_subquery"]
    assert deoptimize(union)[1][1] == union.replace("TRIM(", "py_trim(")


def test_each_site_of_a_rule_is_a_slow_query_of_its_own_up_to_sites():
    sql = "SELECT UPPER(c.name) AS n, LOWER(c.email) AS e, LENGTH(c.name) AS l FROM customers c"
    udf = [slow for p, slow in deoptimize(sql, sites=2) if p == "python_udf_for_builtin"]
    assert udf == [sql.replace("UPPER(", "py_upper("), sql.replace("LOWER(", "py_lower(")]
    assert [slow for p, slow in deoptimize(sql) if p == "python_udf_for_builtin"] == udf[:1]
    exists = ("SELECT c.customer_id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = "
              "c.customer_id) AND EXISTS (SELECT 1 FROM reviews r WHERE r.customer_id = c.customer_id)")
    assert [slow for p, slow in deoptimize(exists, sites=3) if p == "count_for_exists"] == [
        exists.replace("EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)",
                       "(SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.customer_id) > 0"),
        exists.replace("EXISTS (SELECT 1 FROM reviews r WHERE r.customer_id = c.customer_id)",
                       "(SELECT COUNT(*) FROM reviews r WHERE r.customer_id = c.customer_id) > 0"),
    ]  # each EXISTS rewritten where it stands (the second one's own parentheses)
