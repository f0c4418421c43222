"""Seeds from real SQL: corpus queries placed in domains, views renamed, keys and literals read from the
domain's own queries, every query either a candidate or a rejection with its reason."""

from __future__ import annotations

import pytest
from sqlfix.optimize.seeds import lake_type, place

SCFG = {"max_chars": 400, "max_literals": 4}
RESERVED = {"tables": ["store_sales"], "databases": [], "shared": []}
DDL = ("CREATE TABLE sf.account (id STRING, region STRING, created DATE); "
       "CREATE TABLE sf.opportunity (opp_id BIGINT, account_id STRING, amount FLOAT, stage STRING, closed_at TIMESTAMP)")  # fmt: skip


def _row(cid: str, sql: str, tables: list[str], ddl: str = DDL) -> dict:
    return {"corpus_id": cid * 16, "sql_text": sql, "source": "repo:crm", "origin": f"{cid}.sql", "tables": tables,
            "schema_ddl": ddl}  # fmt: skip


def test_corpus_queries_are_placed_renamed_and_rejected_with_reasons():
    rows = [
        _row("a", "SELECT a.region, 'x' AS k FROM sf.account a WHERE a.region = 'emea' UNION ALL "
                  "SELECT a.region, 'y' AS k FROM sf.account a WHERE a.created >= DATE '2024-03-01'", ["sf.account"]),
        _row("b", "SELECT o.stage, COUNT(*) AS n FROM sf.opportunity o JOIN sf.account a "
                  "ON a.id = o.account_id WHERE o.stage IN ('won', 'lost') AND DATE(o.closed_at) = DATE '2024-05-02' "
                  "GROUP BY o.stage",
             ["sf.account", "sf.opportunity"]),
        _row("e", "SELECT 1 AS one", ["sf.account"]),
        _row("c", "SELECT ss.x FROM store_sales ss", ["store_sales"], "CREATE TABLE store_sales (x INT)"),
        _row("d", "SELECT a.id FROM sf.account a WHERE a.region = '" + "z" * 400 + "'", ["sf.account"]),
    ]  # fmt: skip
    specs, placed, rejected = place(rows, RESERVED, SCFG)
    assert sorted((r["corpus_id"][0], r["reason"]) for r in rejected) == [
        ("c", "reserved_benchmark"), ("d", "too_long"), ("e", "no_pattern")]  # fmt: skip
    assert [(p.seed_id, p.patterns) for p in placed] == [
        ("crm.sf.aaaaaaaaaaaaaaaa", ["union_for_union_all", "function_on_partition_column", "order_by_in_subquery"]),
        ("crm.sf.bbbbbbbbbbbbbbbb", ["window_for_group_by"])]  # fmt: skip
    assert "FROM account AS a" in placed[0].sql and "sf." not in placed[0].sql
    tables = {t.view: t for t in specs["crm.sf"]}
    assert set(tables) == {"account", "opportunity"}
    account, opportunity = tables["account"], tables["opportunity"]
    cols = {c.name: c for c in account.columns}
    assert (cols["id"].role, cols["region"].values, cols["created"].values) == (
        "key", ["emea"], [{"date": "2024-03-01"}])  # fmt: skip
    assert account.partition_by == ("created",) and account.dimension and not opportunity.dimension
    ref = {c.name: c for c in opportunity.columns}["account_id"]
    assert (ref.role, ref.domain, ref.type) == ("ref", cols["id"].domain, "STRING")
    assert {c.name: c.type for c in opportunity.columns}["amount"] == "double"
    closed = {c.name: c for c in opportunity.columns}["closed_at"]
    assert closed.values == [{"date": "2024-05-02"}] and opportunity.partition_by == ()  # the day compared via DATE()
    assert opportunity.ddl() == ("CREATE TABLE opportunity (opp_id BIGINT, account_id STRING, amount DOUBLE, stage STRING, "
                                 "closed_at TIMESTAMP)")  # fmt: skip
    assert lake_type("ARRAY<STRUCT<Float: FLOAT>>") == "ARRAY<STRUCT<Float: double>>"


@pytest.mark.slow
def test_optimize_seeds_end_to_end_over_an_imported_repository(run_cli, ctx, lake, monkeypatch):
    from pathlib import Path

    repo = Path(__file__).parents[1] / "fixtures" / "repos" / "etl"
    run_cli("corpus", "--repo", str(repo), "--dialect", "bigquery")
    sizes = ["--set", 'optimize.instances=[{"name":"small_a","scale":0.05,"seed":1},{"name":"small_b","scale":0.05,'
             '"seed":2},{"name":"large","scale":0.1,"seed":3}]', "--set", "optimize.large=large",
             "--set", "optimize.seeds.fact_rows=2000", "--set", "optimize.seeds.dimension_rows=200"]  # fmt: skip
    out = run_cli(*sizes, "optimize", "seeds")
    assert "optimize: 3 corpus queries: 2 candidate seeds in 1 domains, 1 rejected before running" in out
    assert "optimize: 2 seeds of 3 corpus queries -> opt_seeds (1 domains, 3 tables generated)" in out
    seeds = {r["origin"]: r.asDict() for r in lake.read("opt_seeds").collect()}
    assert sorted((r["domain"], origin) for origin, r in seeds.items()) == [
        ("etl.shop_derived", "sql/acme-prod/shop/orders/view.sql"),  # a view: its table read through a sort
        ("etl.shop_derived", "sql/acme-prod/shop_derived/daily_v1/query.sql"),
    ]  # fmt: skip
    assert seeds["sql/acme-prod/shop/orders/view.sql"]["seed_sql"] == "SELECT\n  *\n  EXCEPT (items)\nFROM orders_v1"
    assert (
        "order_date = CAST('2024-01-15' AS DATE)" in seeds["sql/acme-prod/shop_derived/daily_v1/query.sql"]["seed_sql"]
    )  # the parameter bound, the table renamed
    rejected = sorted((r["domain"], r["reason"]) for r in lake.read("opt_seeds_rejected").collect())
    assert rejected == [("etl.shop_raw", "no_pattern")]  # a join: Spark drops a sort under it, nothing else applies
    before = sorted((r["seed_id"], r["seed_sql"]) for r in lake.read("opt_seeds").collect())
    again = run_cli(*sizes, "optimize", "seeds")
    assert "optimize: 2 seeds of 3 corpus queries" in again
    assert sorted((r["seed_id"], r["seed_sql"]) for r in lake.read("opt_seeds").collect()) == before  # a re-run

    from sqlfix.config import apply_override
    from sqlfix.context import Context
    from sqlfix.optimize.databases import Instance
    from sqlfix.optimize.run import holdout_verifiers, seed_pool

    cfg = ctx.cfg
    for key_value in sizes[1::2] + ["optimize.seeds.builtin=false"]:
        cfg = apply_override(cfg, key_value)
    run = Context(cfg, _spark=ctx.spark)  # the run's settings, as the benchmark reads them
    pool = seed_pool(run)  # the corpus seeds only, over their domain's tables
    assert (sorted(name for _, name, _ in pool.seeds), sorted(pool.specs)) == (
        sorted(s.removeprefix("etl.shop_derived.") for s in dict(before)), ["etl.shop_derived"])  # fmt: skip
    unseen = holdout_verifiers(run, pool, {"etl.shop_derived"}, Instance("holdout", 0.1, 99))
    verifier = unseen("etl.shop_derived")  # one more draw of the domain's own tables, written first
    assert (list(verifier.sessions), verifier.large) == (["holdout"], "holdout")
    orders = next(t for t in pool.specs["etl.shop_derived"] if t.view == "orders_v1")
    count = verifier.sessions["holdout"].sql("SELECT COUNT(*) AS n FROM orders_v1").collect()[0]["n"]
    assert count == orders.rows(cfg["optimize"]["seeds"], 0.1)
    view = seeds["sql/acme-prod/shop/orders/view.sql"]["seed_sql"]
    same = verifier.check(view, view.replace("FROM orders_v1", "FROM (SELECT * FROM orders_v1)"), measure=False)
    fewer = verifier.check(view, view + "\nLIMIT 1", measure=False)
    assert (same.passed, fewer.passed, fewer.tier) == (True, False, "small")

    from sqlfix.optimize import seeds as seeds_module

    calls = []

    def refused(spark, table, *args):
        calls.append(table.view)
        raise RuntimeError(f"[DELTA] cannot write {table.view}\nstack")

    monkeypatch.setattr(seeds_module, "generate", refused)  # a domain whose tables the lake refuses
    failed = run_cli(*sizes, "optimize", "seeds")
    assert "domain etl.shop_derived: data not written (orders_v1: [DELTA] cannot write orders_v1)" in failed
    assert calls == ["orders_v1"]  # its other instances are not tried again
    assert sorted((r["reason"], r["detail"]) for r in lake.read("opt_seeds_rejected").collect()) == [
        ("data_failed", "orders_v1: [DELTA] cannot write orders_v1")
    ] * 2 + [("no_pattern", "")]  # the job goes on


def test_a_table_of_one_date_column_is_not_partitioned_by_it():
    from sqlfix.optimize.seeds import plan_domain

    tables = {"sf.days": [("day", "DATE")], "sf.visits": [("day", "DATE"), ("n", "INT")]}
    queries = ["SELECT d.day FROM days d WHERE d.day >= DATE '2024-01-01'",
               "SELECT v.n FROM visits v WHERE v.day >= DATE '2024-01-01'"]  # fmt: skip
    specs, bad = plan_domain(tables, {"sf.days": "days", "sf.visits": "visits"}, queries, 4)
    assert ({s.view: s.partition_by for s in specs}, bad) == ({"days": (), "visits": ("day",)}, {})  # Delta refuses


def test_generated_columns_keep_their_types_keys_and_corpus_literals(spark):
    from sqlfix.optimize.seeds import ColumnSpec, TableSpec, generate

    cols = [ColumnSpec("id", "BIGINT", "key", "d1"), ColumnSpec("account_id", "STRING", "ref", "d2"),
            ColumnSpec("it's `odd`", "STRING", values=["it's", "a\\b", "`x`", "${x}"]),
            ColumnSpec("n", "INT", values=[7, 2**40]), ColumnSpec("amount", "DECIMAL(10,2)", values=[1.5]),
            ColumnSpec("ok", "BOOLEAN"), ColumnSpec("day", "DATE", values=[{"date": "2024-05-02"}]),
            ColumnSpec("seen_at", "TIMESTAMP"), ColumnSpec("raw", "BINARY"),
            ColumnSpec("items", "ARRAY<STRUCT<`a b`: STRING, n: BIGINT>>"),
            ColumnSpec("attrs", "MAP<STRING, DOUBLE>")]  # fmt: skip
    table = TableSpec("t", "db.t", cols)
    frame = generate(spark, table, {"d2": 5}, 400, 1, 0.05)
    assert frame.schema.simpleString() == (
        "struct<id:bigint,account_id:string,it's `odd`:string,n:int,amount:decimal(10,2),ok:boolean,day:date,"
        "seen_at:timestamp,raw:binary,items:array<struct<`a b`:string,n:bigint>>,attrs:map<string,double>>")  # fmt: skip
    rows = frame.collect()
    assert sorted(r["id"] for r in rows) == list(range(1, 401))  # the key: 1..rows, unique
    assert {r["account_id"] for r in rows} == {None, "1", "2", "3", "4", "5"}  # drawn from the 5 keys, some NULL
    assert {"it's", "a\\b", "`x`", "${x}"} <= {r["it's `odd`"] for r in rows}  # corpus literals as written
    assert 7 in {r["n"] for r in rows}  # 2**40 does not fit an INT: not drawn (it failed the whole domain)
    assert min(r["day"] for r in rows if r["day"]).isoformat() == "2024-04-02"  # 30 days before the literal
    assert rows == generate(spark, table, {"d2": 5}, 400, 1, 0.05).collect()  # one seed, one table
