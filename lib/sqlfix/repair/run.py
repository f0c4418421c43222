"""The fix pipelines: a Fixer for a model reference, the catalog DDL a query needs (from ``table_schemas``),
and suggestions for a log table's failed executions -> ``fix_suggestions``."""

from __future__ import annotations

import datetime as dt
import sys

from sqlfix.errors import UsageError
from sqlfix.repair.service import Fixer


def model_ref(cfg: dict, no_model: bool = False) -> str | None:
    """The model a fix uses: ``fix.model`` (``--model`` sets it); ``auto``: ``@champion`` when the registry
    has one, else none, said in one line on stderr; None (repairs only) with ``no_model``."""
    ref = None if no_model else cfg["fix"]["model"]
    if ref != "auto":
        return ref
    from sqlfix.registry.promotion import has_champion

    if has_champion(cfg["train"]["mlflow"]):
        return "@champion"
    print("fix: no @champion in the registry: deterministic repairs only (train and promote a fixer, or --model)",
          file=sys.stderr)  # fmt: skip
    return None


def make_fixer(ctx, ref: str | None, on_spark: bool = False) -> Fixer:
    """The Fixer with the model ``ref`` names (None: deterministic repairs only); ``on_spark``: the model
    generates on the executors, one Spark job per phase (``inference.spark.SparkGenerator``)."""
    from sqlfix.filtering.judge import judge_from_config

    fcfg = ctx.cfg["fix"]
    generator = None
    if ref:
        from sqlfix.evaluation.run import resolve_models

        model = resolve_models(ctx, [ref])[0]
        batch, cap = fcfg["batch_size"], int(ctx.cfg["evaluate"]["max_new_tokens"])
        if on_spark:
            from sqlfix.inference.spark import SparkGenerator

            generator = SparkGenerator(ctx.spark, model.path, batch_size=batch, max_new_tokens=cap)
        else:
            from sqlfix.inference.generate import load_generator

            generator = load_generator(model.path, "hf", batch, cap)
    judge = judge_from_config(ctx.spark, ctx.cfg)
    return Fixer.from_config(judge, generator, fcfg)


def lake_ddl(ctx, sqls: dict[str, str]) -> dict[str, str | None]:
    """The latest DDL of the tables each SQL references (by key), from ``table_schemas``."""
    from pyspark.sql import functions as F

    from sqlfix.sql.catalog import attach_schemas

    if not ctx.lake.exists("table_schemas") or not sqls:
        return dict.fromkeys(sqls)
    now = dt.datetime.now(dt.timezone.utc)
    frame = ctx.spark.createDataFrame(
        [(k, v, now) for k, v in sqls.items()], "pair_id string, bug_sql string, bug_time timestamp"
    )
    rows = attach_schemas(frame, ctx.lake.read("table_schemas")).select("pair_id", F.col("schema_ddl")).collect()
    return {r["pair_id"]: r["schema_ddl"] for r in rows}


def suggest(ctx, table: str, limit: int | None, ref: str | None) -> list[dict]:
    """Failed executions of ``table`` with no suggestion for their current SQL -> ``fix_suggestions`` (status
    ``open``); returns the rows written. The model generates on the executors (one Spark job per phase, a
    model per worker); repairs and verification run on the driver, whose session is the sandbox; nothing is
    executed."""
    from pyspark.sql import functions as F

    from sqlfix.tables import FIX_SUGGESTIONS

    logs = ctx.lake.read(table)
    for column in ("event_id", "sql_text", "status", "error_message"):
        if column not in logs.columns:
            raise UsageError(f"table {table} has no column {column}", hint="a query_logs-shaped table")
    failed = logs.filter((F.col("status") == "error") & F.col("sql_text").isNotNull())
    failed = failed.withColumn("sql_hash", F.xxhash64("sql_text"))
    if ctx.lake.exists("fix_suggestions"):
        failed = failed.join(
            ctx.lake.read("fix_suggestions").select("event_id", "sql_hash"), ["event_id", "sql_hash"], "left_anti"
        )
    failed = failed.orderBy("event_id")
    if limit:
        failed = failed.limit(limit)
    rows = [r.asDict() for r in failed.select("event_id", "sql_text", "error_message", "sql_hash").collect()]
    ddl = lake_ddl(ctx, {r["event_id"]: r["sql_text"] for r in rows})
    fixer = make_fixer(ctx, ref, on_spark=True)
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
    return out
