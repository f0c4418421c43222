"""A team's own workload: its DDL read as contracts, its data files loaded per instance, its queries named
and verified against the instances in hardened sessions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlfix.optimize.databases import Instance, instance_session
from sqlfix.optimize.verify import Verifier
from sqlfix.optimize.workload import Workload, load_instance, parse_ddl, read_queries

DDL = """
create table store (s_store_sk integer not null, s_state char(2), s_tax decimal(5,2), primary key (s_store_sk));
create table sales (ss_store_sk integer, ss_qty integer, ss_sold time);
"""


def test_ddl_columns_and_types():
    tables = parse_ddl(DDL)
    assert [(t.name, [c[:2] for c in t.columns]) for t in tables] == [
        ("store", [("s_store_sk", "int"), ("s_state", "string"), ("s_tax", "decimal(5,2)")]),
        ("sales", [("ss_store_sk", "int"), ("ss_qty", "int"), ("ss_sold", "string")]),
    ]
    with pytest.raises(ValueError, match="no CREATE TABLE"):
        parse_ddl("select 1;")


def test_queries_are_named_by_template_or_file(tmp_path):
    (tmp_path / "query_0.sql").write_text(
        "-- start query 1 in stream 0 using template query14.tpl\nselect 1;\nselect 2;\n"
        "-- end query 1 in stream 0 using template query14.tpl\n"
        "-- start query 2 in stream 0 using template query3.tpl\nselect 3\n;\n"
    )
    assert read_queries(tmp_path / "query_0.sql") == [("q14a", "select 1"), ("q14b", "select 2"), ("q3", "select 3")]
    folder = tmp_path / "spark"
    folder.mkdir()
    for name in ("q10", "q2", "q14a"):
        (folder / f"{name}.sql").write_text(f"-- {name}\nSELECT '{name}'\n")
    assert [n for n, _ in read_queries(folder)] == ["q2", "q10", "q14a"]  # natural order


@pytest.mark.slow
def test_instances_load_with_nulls_and_verify_in_hardened_sessions(ctx, lake, tmp_path):
    work = Workload("shop", parse_ddl(DDL), [])
    for name, rows in (("a", ["1|CA|0.50|", "2||1.25|"]), ("b", ["1|CA|0.50|", "2|TX|1.25|"])):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "store.dat").write_text("\n".join(rows) + "\n")
        (folder / "sales.dat").write_text("1|3|08:00:00|\n2|5||\n2|1||\n")
        assert load_instance(lake, work, f"shop_{name}", folder) == {"store": 2, "sales": 3}
    got = lake.read_dataset(work.contracts("shop_a")["store"]).orderBy("s_store_sk").collect()
    assert [tuple(r) for r in got] == [(1, "CA", Decimal("0.50")), (2, None, Decimal("1.25"))]
    for bad, line in (("few", "3|CA|"), ("many", "3|CA|1.00|x|"), ("type", "3|CA|cheap|")):
        folder = tmp_path / bad
        folder.mkdir()
        (folder / "store.dat").write_text(f"1|CA|0.50|\n{line}\n")
        (folder / "sales.dat").write_text("1|3||\n")
        with pytest.raises(ValueError, match=r"cannot load .*store.dat as store: every line needs 3 '\|'-separated"):
            load_instance(lake, work, "shop_a", folder)
    assert lake.read_dataset(work.contracts("shop_a")["store"]).count() == 2  # the last good version stands
    (tmp_path / "b" / "store.csv").write_text("1,CA,0.50\n")  # no trailing separator: read as well
    (tmp_path / "b" / "store.dat").unlink()
    (tmp_path / "b" / "sales.dat").rename(tmp_path / "b" / "sales.csv")
    (tmp_path / "b" / "sales.csv").write_text("1,3,\n")
    assert load_instance(lake, work, "shop_c", tmp_path / "b", sep=",") == {"store": 1, "sales": 1}
    (tmp_path / "a" / "sales.dat").unlink()
    with pytest.raises(FileNotFoundError, match="no data file for table sales"):
        load_instance(lake, work, "shop_c", tmp_path / "a")

    sessions = {n: instance_session(ctx.cfg, ctx.spark, Instance(n, 1.0, 0), contracts=work.contracts(n))
                for n in ("shop_a", "shop_b")}  # fmt: skip
    verifier = Verifier(sessions, "shop_a", {t.name for t in work.tables}, repeats=1)
    slow = "SELECT s.s_state, SUM(x.ss_qty) AS qty FROM sales x JOIN store s ON s.s_store_sk = x.ss_store_sk GROUP BY s.s_state"
    same = verifier.check(slow, slow.replace("SUM(x.ss_qty)", "SUM(x.ss_qty + 0)"))
    assert (same.tier, same.passed) == ("cost", True)
    nulls_differ = verifier.check(slow, slow + " HAVING s.s_state IS NOT NULL")  # a's NULL state is dropped
    assert (nulls_differ.tier, nulls_differ.differs_on) == ("small", [])
    assert verifier.check(slow, "SELECT * FROM csv.`/etc/passwd`").tier == "allowlist"


def test_the_verifier_reports_deadlines_and_row_caps_as_reasons(spark):
    """Issue 25: a query past the deadline is cancelled and a result over the cap is not compared; each is the
    check's reason, never an exception that ends the run."""
    from sqlfix.filtering.sandbox import hardened

    sessions = {}
    for name in ("a", "b"):
        session = hardened(spark)
        session.range(1000).createOrReplaceTempView("t")
        sessions[name] = session
    verifier = Verifier(sessions, "b", {"t"}, repeats=1, max_rows=100, timeout_s=3)
    slow = "SELECT count(*) AS n FROM t x CROSS JOIN range(100000000000) y WHERE x.id + y.id < 0"
    got = verifier.check(slow, "SELECT 0 AS n")
    assert (got.tier, got.passed) == ("small", False) and "ran past its 3 s deadline" in got.reason
    many = verifier.check("SELECT id FROM t", "SELECT id FROM t ORDER BY id")
    assert (many.tier, many.passed, many.reason) == (
        "small", False, "more than 100 rows on a: compare on a smaller instance"
    )
    ok = verifier.check("SELECT id FROM t WHERE id < 5", "SELECT id FROM t WHERE id <= 4", measure=False)
    assert (ok.tier, ok.passed) == ("instances", True)
