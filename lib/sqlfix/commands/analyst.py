"""Analyst commands: ``sqlfix tables`` (the contracts), ``sqlfix show NAME``, ``sqlfix export``, and
``sqlfix sql "SELECT ..."`` (Spark SQL over the lake's tables by name, as on Databricks)."""

from __future__ import annotations

from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
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
    df = ctx.lake.read(args.name, version=args.version)
    if args.where:
        df = df.filter(args.where)
    print(f"{args.name} @ {ctx.lake.location(args.name)}: {df.count()} rows")
    df.show(args.limit, truncate=60, vertical=len(df.columns) > 8)
    return 0


def _add_export(parser) -> None:
    parser.add_argument("--table", required=True, help="table name")
    parser.add_argument("--out", required=True, help="output file: .jsonl or .parquet")
    parser.add_argument("--where", help="a Spark SQL filter")
    parser.add_argument("--version", type=int, help="an older version of the table")


def _run_export(ctx, args) -> int:
    df = ctx.lake.read(args.table, version=args.version)
    if args.where:
        df = df.filter(args.where)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = export_frame(df, out)
    print(f"export: {n} rows of {args.table} -> {out}")
    return 0


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

    from sqlfix.filtering.sandbox import harden
    from sqlfix.lake import open_lake

    # A session of its own (its registry is a copy: the caller's session keeps every function), without the
    # filter's denied functions and file queries; the lake's tables are its views.
    spark = harden(ctx.spark.newSession())
    views = set(open_lake(ctx.cfg, spark).register_views())
    screen(spark, args.query, views)
    try:
        df = spark.sql(args.query)
        if args.out:
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            print(f"sql: {export_frame(df, out)} rows -> {out}")
        else:
            df.show(args.limit, truncate=60, vertical=len(df.columns) > 8)
    except PySparkException as exc:
        first = str(exc).strip().splitlines()[0][:300]
        raise UsageError(
            f"the query failed: {first}", hint="`sqlfix tables --columns` lists tables and columns"
        ) from None
    return 0


SUBCOMMANDS = {
    "sql": Subcommand("Run Spark SQL over the lake's tables by name (read-only views).", _add_sql, _run_sql),
    "tables": Subcommand("List the table contracts (names, keys, purpose).", _add_tables, _run_tables),
    "show": Subcommand("Show rows (or the commit history) of a lake table.", _add_show, _run_show),
    "export": Subcommand("Export a lake table to JSON Lines or Parquet.", _add_export, _run_export),
}
