"""Names are data (issue 25): a table name from a DDL, a log, a corpus or a workload never becomes a path
outside the lake, nor text in the sandbox's own SQL."""

from __future__ import annotations

import pytest
from sqlfix.sql.names import BadNameError, name_problem, table_name


@pytest.mark.parametrize(
    ("name", "parts", "problem"),
    [
        ("orders", 1, None),
        ("Shop.Orders", 2, None),
        ("../../../other_lake/mining_runs", 1, "not a plain table name"),
        ("t`; CREATE DATABASE x LOCATION '/tmp/y", 2, "not a plain table name"),
        ("a.b.t", 2, "table name of 3 parts"),
        ("global_temp.t", 2, "table name in a reserved database (global_temp)"),
        ("shop.orders", 1, "table name of 2 parts"),
        ("", 1, "empty table name"),
        ("1abc", 1, "not a plain table name"),
    ],
)
def test_one_validator_for_untrusted_names(name, parts, problem):
    got = name_problem(name, parts=parts)
    assert (got is None) if problem is None else got.startswith(problem), got
    if problem is None:
        assert table_name(name, parts=parts) == name.lower()
    else:
        with pytest.raises(BadNameError):
            table_name(name, parts=parts)


def test_the_lake_never_writes_outside_its_root(lake, spark, tmp_path):
    from sqlfix.lake import LakeError
    from sqlfix.tables import Column, Table

    victim = tmp_path / "other_lake"
    victim.mkdir()
    frame = spark.createDataFrame([(1,)], "a int")
    for name in ("../other_lake/mining_runs", "../../other_lake/x", "a/b"):
        table = Table(name=name, purpose="hostile", columns=(Column("a", "int"),), layer="data")
        with pytest.raises(BadNameError, match="not a plain lake table name"):
            lake.write_dataset(table, frame)
    assert list(victim.iterdir()) == []
    # A table folder that is a link out of the root is refused too.
    root = lake.backend.root
    root.mkdir(parents=True, exist_ok=True)
    (root / "linked").symlink_to(victim, target_is_directory=True)
    table = Table(name="linked", purpose="link", columns=(Column("a", "int"),), layer="data")
    with pytest.raises(LakeError, match="inside the lake root"):
        lake.write_dataset(table, frame)
    assert list(victim.iterdir()) == []


def test_a_workload_ddl_name_with_a_path_is_refused_before_anything_is_written():
    from sqlfix.optimize.workload import parse_ddl

    with pytest.raises(BadNameError, match=r"table name in the DDL.*other_lake/mining_runs"):
        parse_ddl("create table `../../../other_lake/mining_runs` (run_id string);")
    with pytest.raises(BadNameError, match="column name of t"):
        parse_ddl("create table t (`a/b` int);")


def test_the_sandbox_refuses_names_that_would_splice_into_its_sql(spark, tmp_path):
    from sqlfix.filtering.sandbox import Sandbox

    box = Sandbox(spark)
    target = tmp_path / "made_by_ddl"
    hostile = f"CREATE TABLE `x`` LOCATION '{target}' --`.t (a INT)"  # database part: x` LOCATION '...' --
    problems = box.load(f"{hostile};\nCREATE TABLE a.b.t (a INT);\nCREATE TABLE global_temp.t (a INT);\n"
                        "CREATE TABLE ok_db.fine (a INT)")  # fmt: skip
    assert [p.rsplit(": ", 1)[0] for p in problems] == [
        "not a plain table name (letters, digits and _ only)",
        "table name of 3 parts (at most 2: database.table)",
        "table name in a reserved database (global_temp)",
    ]
    assert not target.exists() and set(box.tables) == {"ok_db.fine"}
    with pytest.raises(BadNameError):
        box.create("x` LOCATION '/tmp", "a INT")
