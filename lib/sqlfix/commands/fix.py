"""``sqlfix fix``: a verified fix for failing SQL — deterministic repairs and (optionally) the model, each
candidate dry-run by Spark's analyzer against the schema before it is shown. Nothing is executed.

    sqlfix fix query.sql --ddl tables.sql [--error "..."] [--model @champion] [--json]
    cat query.sql | sqlfix fix - --ddl tables.sql
    sqlfix fix --input cases.jsonl --output fixes.jsonl      # fields sql, schema, error
    sqlfix fix --table query_logs [--limit N]                # failed executions -> fix_suggestions

Exit code 0 when a verified fix exists, 3 when not (with the last error). Without ``--ddl``, the tables the
SQL references get their latest DDL from ``table_schemas``. Without ``--error``, Spark's own error is fixed.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.repair.service import EXIT_FIXED, EXIT_NO_FIX, Fixer


def _add(parser) -> None:
    parser.add_argument("sql", nargs="?", help="a .sql file, or - for stdin")
    parser.add_argument("--ddl", help="CREATE TABLE statements of the tables (default: table_schemas in the lake)")
    parser.add_argument("--error", help="the error message the SQL failed with (default: Spark's own)")
    parser.add_argument("--model", help="base, @champion, v3 or a folder (default: fix.model; none: repairs only)")
    parser.add_argument("--no-model", action="store_true", help="deterministic repairs only")
    parser.add_argument("--json", action="store_true", help="one JSON object for tools")
    parser.add_argument("--input", help="JSON Lines of sql, schema, error: one JVM and one model for the file")
    parser.add_argument("--output", help="with --input: where the fixes go (JSON Lines)")
    parser.add_argument("--table", help="fix the failed executions of this lake table into fix_suggestions")
    parser.add_argument("--limit", type=int, help="with --table: at most this many events")


def make_fixer(ctx, args, on_spark: bool = False) -> tuple[Fixer, str | None]:
    """The Fixer with the model ``--model`` / ``fix.model`` names (none: repairs only); ``on_spark``: the
    model generates on the executors (``SparkGenerator``)."""
    from sqlfix.filtering.judge import judge_from_config

    fcfg = ctx.cfg["fix"]
    ref = None if args.no_model else (args.model or fcfg.get("model"))
    generator = None
    if ref:
        from sqlfix.evaluation.run import resolve_models
        from sqlfix.inference.generate import load_generator

        model = resolve_models(ctx, [ref])[0]
        generator = load_generator(
            model.path, "hf", int(fcfg["batch_size"]), int(ctx.cfg["evaluate"]["max_new_tokens"])
        )
    judge = judge_from_config(ctx.spark, ctx.cfg)
    fixer = Fixer(judge, generator, samples=int(fcfg["samples"]), rounds=int(fcfg["rounds"]),
                  temperature=float(fcfg["temperature"]))  # fmt: skip
    return fixer, ref


def lake_ddl(ctx, sqls: dict[str, str]) -> dict[str, str | None]:
    """The latest DDL of the tables each SQL references (by key), from ``table_schemas``."""
    from pyspark.sql import functions as F

    from sqlfix.mining.pairs import attach_schemas

    if not ctx.lake.exists("table_schemas") or not sqls:
        return dict.fromkeys(sqls)
    now = dt.datetime.now(dt.timezone.utc)
    frame = ctx.spark.createDataFrame(
        [(k, v, now) for k, v in sqls.items()], "pair_id string, bug_sql string, bug_time timestamp"
    )
    rows = attach_schemas(frame, ctx.lake.read("table_schemas")).select("pair_id", F.col("schema_ddl")).collect()
    return {r["pair_id"]: r["schema_ddl"] for r in rows}


def _print(result, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    if result.verified and result.source == "unchanged":
        print(f"fix: {result.note}")
        return
    if result.error is not None and not result.error.ok:
        print(f"fix: the query fails with {result.error.condition or result.error.status}")
    if result.verified:
        print(f"fix: verified fix from {result.source} ({len(result.candidates)} candidates, "
              f"{result.seconds:.2f}s of which verification {result.verify_seconds:.2f}s)")  # fmt: skip
        print(result.diff, end="")
    else:
        last = result.last_error.message if result.last_error else (result.note or "no candidate")
        print(f"fix: no verified fix ({len(result.candidates)} candidates tried); last error: {str(last)[:300]}")


def _run(ctx, args) -> int:
    modes = [bool(args.sql), bool(args.input), bool(args.table)]
    if sum(modes) != 1:
        raise UsageError("give one of: a SQL file (or -), --input F.jsonl, or --table T")
    if args.input:
        return _file(ctx, args)
    if args.table:
        return _table(ctx, args)
    sql = sys.stdin.read() if args.sql == "-" else _read(args.sql)
    ddl = _read(args.ddl) if args.ddl else lake_ddl(ctx, {"q": sql})["q"]
    fixer, _ = make_fixer(ctx, args)
    result = fixer.fix(sql, ddl, args.error)
    _print(result, args.json)
    if result.verified and not args.json and result.source != "unchanged":
        print(result.fixed_sql)
    return EXIT_FIXED if result.verified else EXIT_NO_FIX


def _read(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise UsageError("no such file", input=path)
    return p.read_text(errors="replace")


def _file(ctx, args) -> int:
    if not args.output:
        raise UsageError("--input needs --output")
    src = Path(args.input)
    if not src.is_file():
        raise UsageError("no such file", input=args.input)
    rows = []
    for number, line in enumerate(src.open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"not JSON ({exc.msg})", input=f"{src}:{number}") from None
        if not isinstance(row, dict) or not isinstance(row.get("sql"), str):
            raise UsageError("each line needs a string field sql (and optional schema, error)", input=f"{src}:{number}")
        rows.append(row)
    fixer, _ = make_fixer(ctx, args)
    results = fixer.fix_many([(row["sql"], row.get("schema"), row.get("error")) for row in rows])
    fixed = 0
    with Path(args.output).open("w", encoding="utf-8") as out:
        for row, result in zip(rows, results, strict=True):
            fixed += result.verified
            out.write(json.dumps({**row, **result.as_dict()}, ensure_ascii=False) + "\n")
    print(f"fix: {fixed} of {len(rows)} queries have a verified fix -> {args.output}")
    return EXIT_FIXED if fixed == len(rows) else EXIT_NO_FIX


def _table(ctx, args) -> int:
    """Failed executions of ``--table`` with no suggestion for their current SQL -> ``fix_suggestions``.
    The model generates on the executors (one Spark job per phase, a model per worker); repairs and
    verification run on the driver, whose session is the sandbox."""
    from pyspark.sql import functions as F

    from sqlfix.tables import FIX_SUGGESTIONS

    logs = ctx.lake.read(args.table)
    for column in ("event_id", "sql_text", "status", "error_message"):
        if column not in logs.columns:
            raise UsageError(f"table {args.table} has no column {column}", hint="a query_logs-shaped table")
    failed = logs.filter((F.col("status") == "error") & F.col("sql_text").isNotNull())
    failed = failed.withColumn("sql_hash", F.xxhash64("sql_text"))
    if ctx.lake.exists("fix_suggestions"):
        failed = failed.join(
            ctx.lake.read("fix_suggestions").select("event_id", "sql_hash"), ["event_id", "sql_hash"], "left_anti"
        )
    failed = failed.orderBy("event_id")
    if args.limit:
        failed = failed.limit(args.limit)
    rows = [r.asDict() for r in failed.select("event_id", "sql_text", "error_message", "sql_hash").collect()]
    ddl = lake_ddl(ctx, {r["event_id"]: r["sql_text"] for r in rows})
    fixer, ref = make_fixer(ctx, args, on_spark=True)
    now, out = dt.datetime.now(dt.timezone.utc), []
    results = fixer.fix_many([(r["sql_text"], ddl.get(r["event_id"]), r["error_message"]) for r in rows])
    for r, result in zip(rows, results, strict=True):
        d = result.as_dict()
        out.append({"event_id": r["event_id"], "sql_hash": r["sql_hash"], "fixed_sql": d["fixed_sql"],
                    "verified": d["verified"], "source": d["source"], "changed_lines": d["changed_lines"],
                    "diff": d["diff"], "error_condition": d["error_condition"], "last_error": d["last_error"],
                    "model_ref": ref, "suggested_at": now, "status": "open"})  # fmt: skip
    if out:
        ctx.lake.merge("fix_suggestions", ctx.spark.createDataFrame(out, FIX_SUGGESTIONS.spark_schema), update=True)
    verified = sum(o["verified"] for o in out)
    print(f"fix: {len(out)} failed executions of {args.table}; {verified} with a verified fix -> fix_suggestions")
    return 0


SUBCOMMANDS = {"fix": Subcommand("Fix failing SQL with verified repairs and the model (never executed).", _add, _run,
                                 section="fix")}  # fmt: skip
