"""Importing a repository of real SQL (``sqlfix corpus --repo``): the three layouts of tests/fixtures/repos
(a bigquery-etl tree, a dbt project, plain .sql files), rendering, parameters, DDL, and the import end to end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlfix.config import defaults
from sqlfix.generation import repository as repo

REPOS = Path(__file__).parents[1] / "fixtures" / "repos"
RESERVED = defaults("dataset", "reserved")


def _read(layout: str, dialect: str) -> repo.Imported:
    return repo.read_repository(REPOS / layout, dialect, reserved=RESERVED)


def _summary(imported: repo.Imported) -> list[tuple]:
    return [(c.origin, c.index, c.reason, c.tables, c.parameters) for c in imported.candidates]


def test_bigquery_etl_layout_statements_parameters_and_ddl():
    imported = _read("etl", "bigquery")
    assert imported.files == 7
    date = ["@submission_date=DATE '2024-01-15'"]
    assert _summary(imported) == [
        ("sql/acme-prod/shop/orders/view.sql", 0, None, ["shop_derived.orders_v1"], []),
        ("sql/acme-prod/shop_derived/broken_v1/query.sql", 0, None, ["shop_derived.orders_v1"], []),
        ("sql/acme-prod/shop_derived/broken_v1/query.sql", 1, None, ["shop_raw.events"], []),
        ("sql/acme-prod/shop_derived/broken_v1/query.sql", 2, "unparseable", [], []),
        ("sql/acme-prod/shop_derived/daily_v1/query.sql", 0, None, ["shop_derived.orders_v1"], date),
        ("sql/acme-prod/shop_derived/orders_v1/init.sql", 0, "not_a_query", [], []),
        ("sql/acme-prod/shop_derived/orders_v1/query.sql", 0, None, ["shop_raw.orders", "shop_raw.rates"], date),
        ("sql/acme-prod/shop_derived/stamped_v1/query.sql", 0, None, ["shop_derived.orders_v1"], []),
        ("sql/acme-prod/tpcds_copy/q1/query.sql", 0, "reserved_benchmark", ["tpcds.store_sales"], []),
    ]
    orders = next(c for c in imported.candidates if c.origin.endswith("orders_v1/query.sql"))
    assert orders.sql_text == (  # the project part dropped, quotes Spark does not need dropped, the parameter bound
        "/* Orders of one day, in euros. */\nSELECT\n  o.order_id,\n  o.customer_id,\n  DATE(o.created_at) AS order_date,"
        "\n  o.amount * r.rate AS amount_eur\nFROM shop_raw.orders AS o\nJOIN shop_raw.rates AS r\n"
        "  ON o.currency = r.currency\nWHERE\n  DATE(o.created_at) = CAST('2024-01-15' AS DATE)"
    )
    assert {name: (t.origin, t.ddl) for name, t in imported.catalog.items()} == {
        "shop_derived.orders_v1": ("declared", "CREATE TABLE shop_derived.orders_v1 (`order_id` STRING, `customer_id` "
                                   "INT, `order_date` DATE, `amount_eur` DECIMAL(38,9), `items` "
                                   "ARRAY<STRUCT<sku: STRING, quantity: BIGINT>>)"),
        "shop_raw.orders": ("inferred", "CREATE TABLE shop_raw.orders (`amount` DOUBLE, `created_at` TIMESTAMP, "
                            "`currency` STRING, `customer_id` STRING, `order_id` STRING)"),
        "shop_raw.rates": ("inferred", "CREATE TABLE shop_raw.rates (`currency` STRING, `rate` STRING)"),
    }  # fmt: skip
    assert repo.license_of(REPOS / "etl") == "Mozilla Public License Version 2.0"


def test_dbt_layout_renders_refs_sources_and_quarantines_unknown_macros():
    imported = _read("dbt", "snowflake")
    assert imported.files == 6  # macros/ is not a model
    assert _summary(imported) == [
        ("models/marts/customer_orders.sql", 0, None, ["stg_orders"], []),
        ("models/marts/fiscal_marts.sql", 0, "unrendered_jinja", [], []),  # another project's macro
        ("models/marts/order_amounts.sql", 0, None, ["jaffle_shop.payments"], []),  # the project's macro
        ("models/marts/star.sql", 0, "unrendered_jinja", [], []),
        ("models/staging/stg_orders.sql", 0, None, ["jaffle_shop.orders"], []),
        ("sub/finance/models/fiscal_orders.sql", 0, None, ["jaffle_shop.payments"], []),  # its own and the outer
    ]
    assert imported.macros_skipped == [
        "macros/materialization.sql: TemplateSyntaxError: Encountered unknown tag 'materialization'."]  # fmt: skip
    fiscal, star = imported.candidates[1], imported.candidates[3]
    assert (fiscal.detail, star.detail) == (
        "UndefinedError: 'fiscal_year' is undefined", "UndefinedError: 'dbt_utils' is undefined")  # fmt: skip
    assert imported.candidates[2].sql_text == (
        "SELECT\n  order_id,\n  CAST((\n    amount_cents / 100\n  ) AS DECIMAL(16, 2)) AS amount\nFROM jaffle_shop.payments"
    )
    assert imported.candidates[5].sql_text.splitlines()[2] == "  EXTRACT(YEAR FROM order_date) AS fiscal_year,"
    staging = imported.candidates[4]
    assert staging.sql_text == (  # config() cut (its project macro unread), the is_incremental() block left out,
        # the project's own source() (a wrapper of dbt's) not called
        "SELECT\n  id AS order_id,\n  user_id AS customer_id,\n  order_date,\n  status\nFROM jaffle_shop.orders"
    )
    assert {name: (t.origin, t.ddl) for name, t in imported.catalog.items()} == {
        "jaffle_shop.orders": ("declared", "CREATE TABLE jaffle_shop.orders (`id` DECIMAL(38, 0), `user_id` "
                               "DECIMAL(38, 0), `order_date` DATE, `status` STRING)"),
        "jaffle_shop.payments": ("inferred", "CREATE TABLE jaffle_shop.payments (`amount_cents` DOUBLE, "
                                 "`order_date` DATE, `order_id` STRING)"),
        "stg_orders": ("inferred", "CREATE TABLE stg_orders (`order_id` STRING, `customer_id` STRING, `order_date` "
                       "DATE, `status` STRING)"),  # declared columns without data_type: typed by name
    }  # fmt: skip
    assert repo.license_of(REPOS / "dbt") == "Apache License"


def test_project_macros_are_scoped_by_dbt_project_and_unloadable_files_listed():
    macros = repo.ProjectMacros(REPOS / "dbt")
    assert sorted(macros.for_file(REPOS / "dbt" / "models" / "m.sql")) == ["cents_to_dollars"]
    assert sorted(macros.for_file(REPOS / "dbt" / "sub" / "finance" / "models" / "m.sql")) == [
        "cents_to_dollars", "fiscal_year"]  # fmt: skip
    assert macros.skipped == ["macros/materialization.sql: TemplateSyntaxError: Encountered unknown tag "
                              "'materialization'."]  # fmt: skip


def test_plain_layout_binds_named_placeholders():
    imported = _read("plain", "postgres")
    assert _summary(imported) == [
        ("reports/monthly.sql", 0, None, ["billing.payments"], [":since_date=DATE '2024-01-15'"]),
        ("reports/monthly.sql", 1, None, ["billing.users"], []),
    ]
    assert repo.license_of(REPOS / "plain") is None


def test_symbolic_links_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.sql").write_text("SELECT secret FROM vault.keys")
    root = tmp_path / "repo"
    (root / "q").mkdir(parents=True)
    (root / "q" / "a.sql").write_text("SELECT a FROM s.t")
    os.symlink(outside / "secret.sql", root / "q" / "linked.sql")
    os.symlink(outside, root / "linked_dir")
    assert [p.relative_to(root).as_posix() for p in repo.sql_files(root)] == ["q/a.sql"]
    (outside / "schema.yaml").write_text("fields:\n- name: secret\n  type: STRING\n")
    (root / "q" / "t").mkdir()
    (root / "q" / "t" / "schema.yaml").write_text("fields:\n- name: a\n  type: INT64\n")
    os.symlink(outside / "schema.yaml", root / "q" / "linked.yaml")
    assert repo.declared_tables(root, "**/*.y*ml", "bigquery") == {"q.t": [("a", "BIGINT")]}  # no linked file or folder


def test_unknown_dialect_and_missing_folder_are_usage_errors(tmp_path, ctx):
    from sqlfix.cli import main
    from sqlfix.errors import UsageError

    assert main(["corpus", "--repo", str(REPOS / "etl"), "--sql-dir", str(tmp_path)], ctx=ctx) == 2

    with pytest.raises(UsageError, match="unknown dialect 'oracle'"):
        repo.read_repository(tmp_path, "oracle")
    with pytest.raises(UsageError, match="not a folder"):
        repo.read_repository(tmp_path / "nope", "spark")
    with pytest.raises(UsageError, match="a pattern inside the repository"):
        repo.read_repository(REPOS / "etl", "bigquery", "../**/*.yaml")


def test_import_of_a_dbt_project_names_the_macro_files_it_left_out(run_cli, lake):
    out = run_cli("corpus", "--repo", str(REPOS / "dbt"), "--dialect", "snowflake")
    assert "dbt: 6 files, 6 statements -> 4 analysed queries in " in out and "; 4 new in sql_corpus)" in out
    assert out.splitlines()[-1] == (
        "corpus: macro file left out: macros/materialization.sql: TemplateSyntaxError: Encountered unknown tag "
        "'materialization'.")  # fmt: skip
    assert sorted(r["origin"] for r in lake.read("sql_corpus").collect()) == [
        "models/marts/customer_orders.sql", "models/marts/order_amounts.sql", "models/staging/stg_orders.sql",
        "sub/finance/models/fiscal_orders.sql"]  # fmt: skip


def test_import_end_to_end_reasons_and_idempotence(run_cli, lake):
    out = run_cli("corpus", "--repo", str(REPOS / "etl"), "--dialect", "bigquery")
    assert "etl: 7 files, 9 statements -> 3 analysed queries in " in out and "; 3 new in sql_corpus)" in out
    kept = {r["origin"]: r.asDict() for r in lake.read("sql_corpus").collect()}
    assert sorted(kept) == [
        "sql/acme-prod/shop/orders/view.sql",  # Spark 4 reads SELECT * EXCEPT (...)
        "sql/acme-prod/shop_derived/daily_v1/query.sql",
        "sql/acme-prod/shop_derived/orders_v1/query.sql",
    ]
    daily = kept["sql/acme-prod/shop_derived/daily_v1/query.sql"]
    assert (daily["source"], daily["task_id"], daily["source_dialect"], daily["license"], daily["ddl_origin"],
            daily["parameters"], daily["tables"]) == (
        "repo:etl", "repo:etl:sql/acme-prod/shop_derived/daily_v1/query.sql#0", "bigquery",
        "Mozilla Public License Version 2.0", "declared", ["@submission_date=DATE '2024-01-15'"],
        ["shop_derived.orders_v1"],
    )  # fmt: skip
    rejected = sorted((r["origin"], r["reason"], r["detail"].split(":")[0]) for r in lake.read("sql_corpus_rejected").collect())
    assert rejected == [
        ("sql/acme-prod/shop_derived/broken_v1/query.sql", "analysis_failed", "REQUIRES_SINGLE_PART_NAMESPACE"),
        ("sql/acme-prod/shop_derived/broken_v1/query.sql", "missing_ddl", "shop_raw.events"),
        ("sql/acme-prod/shop_derived/broken_v1/query.sql", "unparseable", "ParseError"),
        ("sql/acme-prod/shop_derived/orders_v1/init.sql", "not_a_query", "CREATE statement"),
        ("sql/acme-prod/shop_derived/stamped_v1/query.sql", "transpile_failed", "datetime pattern 'yyyy-MM-ddT00' of date_format"),
        ("sql/acme-prod/tpcds_copy/q1/query.sql", "reserved_benchmark", "tpcds.store_sales"),
    ]
    stamped = next(r for r in lake.read("sql_corpus_rejected").collect() if r["origin"].endswith("stamped_v1/query.sql"))
    assert stamped["detail"].startswith(
        "datetime pattern 'yyyy-MM-ddT00' of date_format: Unrecognized datetime pattern: 'yyyy-MM-ddT00'.")
    again = run_cli("corpus", "--repo", str(REPOS / "etl"), "--dialect", "bigquery")
    assert "; 0 new in sql_corpus)" in again
    assert lake.read("sql_corpus").count() == 3 and lake.read("sql_corpus_rejected").count() == 6


def test_macro_files_that_load_alone_but_not_together_are_all_listed(tmp_path):
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "a.sql").write_text("{% macro a() %}1{% endmacro %}{% set x = 'one' %}")
    (tmp_path / "macros" / "b.sql").write_text("{% macro b() %}2{% endmacro %}{{ (x | default(1)) + 1 }}")
    macros = repo.ProjectMacros(tmp_path)
    assert macros.for_file(tmp_path / "models" / "m.sql") == {}
    assert [s.split(":")[0] for s in macros.skipped] == ["macros/a.sql", "macros/b.sql"]
    assert macros.skipped[0].startswith("macros/a.sql: together with the project's other macro files: TypeError")
