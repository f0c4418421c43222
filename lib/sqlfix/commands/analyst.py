"""Analyst commands: ``sqlfix tables`` (the contracts), ``sqlfix show NAME``, ``sqlfix export``, and
``sqlfix sql "SELECT ..."`` (Spark SQL over the lake's tables by name, as on Databricks)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.spark import Bounded, DeadlineExceeded
from sqlfix.tables import TABLES


def tables_markdown() -> str:
    """The table contracts as a Markdown table (the README's copy is generated from this)."""
    lines = ["| table | layer | keys | partitioned by | purpose |", "|---|---|---|---|---|"]
    for t in TABLES.values():
        keys, parts = ", ".join(t.keys) or "-", ", ".join(t.partition_by) or "-"
        lines.append(f"| `{t.name}` | {t.layer} | {keys} | {parts} | {t.purpose} |")
    return "\n".join(lines)


def _add_tables(parser) -> None:
    parser.add_argument("--columns", action="store_true", help="list every column with its type and meaning")


def _run_tables(ctx, args) -> int:
    print(tables_markdown())
    if args.columns:
        for t in TABLES.values():
            print(f"\n{t.name}")
            for c in t.columns:
                print(f"  {c.name:<22} {c.type:<28} {c.doc}")
    return 0


def _add_show(parser) -> None:
    parser.add_argument("name", help="table name (sqlfix tables lists them)")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--version", type=int, help="an older version of the table")
    parser.add_argument("--where", help="a Spark SQL filter, e.g. \"signal = 'save'\"")
    parser.add_argument("--history", action="store_true", help="list the table's commits instead")


def _run_show(ctx, args) -> int:
    if args.history:
        for h in ctx.lake.history(args.name):
            print(f"{h['version']:>5}  {h['timestamp']}  {h['operation']}")
        return 0
    spark, df = _table_frame(ctx, args.name, args.version, args.where)

    def counted_and_shown() -> tuple[int, str]:
        return df.count(), df._show_string(args.limit, 60, len(df.columns) > 8)  # noqa: SLF001 - df.show's text

    try:
        count, shown = Bounded(spark, name="sqlfix-show").run(counted_and_shown, _limits(ctx)["timeout_s"], "the query")
    except DeadlineExceeded as exc:
        raise UsageError(str(exc), hint="--set analyst.timeout_s=N allows longer") from None
    print(f"{args.name} @ {ctx.lake.location(args.name)}: {count} rows")
    print(shown, end="")
    return 0


def _table_frame(ctx, name: str, version: int | None, where: str | None):
    """(session, frame) of a lake table, filtered by ``where``: the filter is an analyst's SQL text, so it is
    evaluated in a hardened session (``filtering.sandbox.hardened``), as ``SELECT * FROM <table> WHERE ...``
    through ``sqlfix sql``'s read-only screen, with that one table as its only view."""
    from sqlfix.filtering.sandbox import hardened
    from sqlfix.lake import open_lake

    spark = hardened(ctx.spark)
    df = open_lake(ctx.cfg, spark).read(name, version=version)
    if not where:
        return spark, df
    from pyspark.errors import PySparkException

    df.createOrReplaceTempView(name)
    query = f"SELECT * FROM {name} WHERE {where}"  # name: a declared contract (Lake.read refused any other)
    screen(spark, query, {name})
    try:
        return spark, spark.sql(query)
    except PySparkException as exc:
        raise _failed(exc) from None


def _failed(exc) -> UsageError:
    first = str(exc).strip().splitlines()[0][:300]
    return UsageError(f"the query failed: {first}", hint="`sqlfix tables --columns` lists tables and columns")


def _limits(ctx) -> dict:
    acfg = ctx.cfg["analyst"]  # defaults in conf/local.yaml
    return {"timeout_s": float(acfg["timeout_s"]), "max_rows": int(acfg["max_rows"])}


def _add_export(parser) -> None:
    parser.add_argument("--table", required=True, help="table name")
    parser.add_argument("--out", required=True, help="output file: .jsonl or .parquet")
    parser.add_argument("--where", help="a Spark SQL filter")
    parser.add_argument("--version", type=int, help="an older version of the table")


def _run_export(ctx, args) -> int:
    spark, df = _table_frame(ctx, args.table, args.version, args.where)
    n = _write_bounded(spark, df, Path(args.out), _limits(ctx))
    print(f"export: {n} rows of {args.table} -> {args.out}")
    return 0


def _write_bounded(spark, df, out: Path, limits: dict) -> int:
    """``export_frame`` of at most ``max_rows`` rows within ``timeout_s``, written atomically: to a temporary
    file beside ``out``, renamed over it when complete; a result over the cap, a query past the deadline or
    any failure leaves ``out`` as it was and says why."""
    if out.suffix not in (".jsonl", ".json", ".parquet"):
        raise UsageError("--out must end in .jsonl or .parquet", input=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    cap = limits["max_rows"]
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial{out.suffix}")
    try:
        n = Bounded(spark, name="sqlfix-export").run(
            lambda: export_frame(df.limit(cap + 1), partial), limits["timeout_s"], "the query"
        )
        if n > cap:
            raise UsageError(f"the result has more than {cap:,} rows (analyst.max_rows): {out} not written",
                             hint="add a LIMIT or a filter, or raise it with --set analyst.max_rows=N")  # fmt: skip
        os.replace(partial, out)
    except DeadlineExceeded as exc:
        raise UsageError(f"{exc}: {out} not written", hint="--set analyst.timeout_s=N allows longer") from None
    finally:
        partial.unlink(missing_ok=True)
    return n


def export_frame(df, out: Path) -> int:
    """Write a frame to one JSON Lines or Parquet file, streaming batches through the driver."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from sqlfix.tables import to_arrow

    schema = pa.schema([pa.field(f.name, to_arrow(f.dataType)) for f in df.schema.fields])
    n = 0
    if out.suffix == ".parquet":
        with pq.ParquetWriter(str(out), schema) as writer:
            for chunk in _chunks(df.toLocalIterator(), 10_000):
                writer.write_table(pa.Table.from_pylist([r.asDict(recursive=True) for r in chunk], schema=schema))
                n += len(chunk)
    elif out.suffix in (".jsonl", ".json"):
        with out.open("w") as fh:
            for row in df.toLocalIterator():
                fh.write(json.dumps(row.asDict(recursive=True), default=str, ensure_ascii=False) + "\n")
                n += 1
    else:
        raise UsageError("--out must end in .jsonl or .parquet", input=str(out))
    return n


def _chunks(rows, size):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _add_sql(parser) -> None:
    parser.add_argument("query", help='Spark SQL over the lake\'s tables by name, e.g. "SELECT signal, count(*) '
                        'FROM bug_pairs GROUP BY signal"')  # fmt: skip
    parser.add_argument("--limit", type=int, default=50, help="rows to print")
    parser.add_argument("--out", help="write every row to a .jsonl or .parquet file instead")


def screen(spark, query: str, views: set[str]) -> None:
    """Let an analyst's SQL run only as a read of the lake (``filtering.readonly``); raises ``UsageError``
    naming what was refused."""
    from sqlfix.filtering.readonly import read_only_refusal

    refusal = read_only_refusal(spark, query, views)
    if refusal is None:
        return
    kind, detail = refusal
    if kind == "failed":
        raise UsageError(f"the query failed: {detail}") from None
    if kind == "not_a_query":
        raise UsageError(f"refused: {detail} is not a query", hint="sqlfix sql reads the lake; it changes nothing")
    if kind == "not_a_view":
        raise UsageError(f"refused: {detail} is not a lake table", hint="`sqlfix tables` lists them")
    if kind == "table_function":
        raise UsageError(f"refused: table function {detail}", hint="sqlfix sql reads the lake's tables")
    raise UsageError(f"refused: {detail}", hint="sqlfix sql reads the lake's tables, nothing else")


def _run_sql(ctx, args) -> int:
    from pyspark.errors import PySparkException

    from sqlfix.filtering.sandbox import hardened
    from sqlfix.lake import open_lake

    # A session of its own (its registry is a copy: the caller's session keeps every function), without the
    # filter's denied functions, file queries and variable substitution; the lake's tables are its views.
    spark = hardened(ctx.spark)
    views = set(open_lake(ctx.cfg, spark).register_views())
    screen(spark, args.query, views)
    limits = _limits(ctx)
    try:
        if args.out:
            df = spark.sql(args.query)
            print(f"sql: {_write_bounded(spark, df, Path(args.out), limits)} rows -> {args.out}")
        else:

            def shown() -> str:
                df = spark.sql(args.query)
                return df._show_string(args.limit, 60, len(df.columns) > 8)  # noqa: SLF001 - what df.show prints

            print(Bounded(spark, name="sqlfix-sql").run(shown, limits["timeout_s"], "the query"), end="")
    except DeadlineExceeded as exc:
        raise UsageError(str(exc), hint="--set analyst.timeout_s=N allows longer") from None
    except PySparkException as exc:
        raise _failed(exc) from None
    return 0


SUBCOMMANDS = {
    "sql": Subcommand("Run Spark SQL over the lake's tables by name (read-only views).", _add_sql, _run_sql),
    "tables": Subcommand("List the table contracts (names, keys, purpose).", _add_tables, _run_tables),
    "show": Subcommand("Show rows (or the commit history) of a lake table.", _add_show, _run_show),
    "export": Subcommand("Export a lake table to JSON Lines or Parquet.", _add_export, _run_export),
}
