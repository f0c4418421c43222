"""The filter pipeline: ``bug_pairs`` without a verdict for their current SQL -> dry runs of both sides in the
schema-only sandbox -> ``pair_verdicts``; or the same on a JSON Lines file.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import Counter
from pathlib import Path

from pyspark.sql import functions as F

from sqlfix.errors import UsageError
from sqlfix.filtering.judge import judge_from_config
from sqlfix.progress import progress
from sqlfix.tables import PAIR_VERDICTS
from sqlfix.taxonomy.classify import classify

PAIR_FIELDS = ("pair_id", "bug_sql", "fixed_sql", "schema_ddl", "category_l1", "category_l3")


def pending_pairs(pairs, verdicts, refilter: bool = False):
    """Pairs with no verdict for their current SQL (all of them with ``refilter``)."""
    pairs = pairs.withColumn("bug_sql_hash", F.xxhash64("bug_sql")).withColumn(
        "fixed_sql_hash", F.xxhash64("fixed_sql")
    )
    if refilter:
        return pairs
    return pairs.join(verdicts.select("pair_id", "bug_sql_hash", "fixed_sql_hash"),
                      ["pair_id", "bug_sql_hash", "fixed_sql_hash"], "left_anti")  # fmt: skip


def run_filter(ctx, refilter: bool = False) -> dict:
    """Judge pending pairs into ``pair_verdicts``; returns the run's counts."""
    lake, spark = ctx.lake, ctx.spark
    batch_id, started = uuid.uuid4().hex, dt.datetime.now(dt.timezone.utc)
    todo = pending_pairs(lake.read("bug_pairs"), lake.read("pair_verdicts"), refilter)
    rows = [r.asDict() for r in todo.select(*PAIR_FIELDS, "bug_sql_hash", "fixed_sql_hash").toLocalIterator()]
    judge = judge_from_config(spark, ctx.cfg)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["schema_ddl"] or "", []).append(row)
    records, t0 = [], time.perf_counter()
    with progress(len(rows), "filter", "pair", disable=not rows) as bar:
        for ddl, group in groups.items():
            judge.box.load(ddl)
            for row, verdict in zip(group, judge.many(group, progress=bar), strict=True):
                records.append({
                    "pair_id": row["pair_id"], **verdict.fields(row["category_l3"]),
                    "spark_version": spark.version, "bug_sql_hash": row["bug_sql_hash"],
                    "fixed_sql_hash": row["fixed_sql_hash"], "batch_id": batch_id, "filtered_at": started,
                })  # fmt: skip
    seconds = time.perf_counter() - t0
    reasons = Counter(r["reason"] for r in records)
    if records:
        frame = spark.createDataFrame(records, PAIR_VERDICTS.spark_schema)
        lake.merge("pair_verdicts", frame, update=True)
    run = {"batch_id": batch_id, "started_at": started, "pairs": len(records), "kept": reasons.get("kept", 0),
           "reasons": json.dumps(dict(sorted(reasons.items()))), "spark_version": spark.version, "seconds": seconds}  # fmt: skip
    lake.append("filter_runs", spark.createDataFrame([run], lake.table("filter_runs").spark_schema))
    return run


def filter_file(ctx, src: Path, ddl: Path | None, dst: Path) -> Counter:
    """File mode: every line of ``src`` with the verdict fields added, to ``dst``."""
    judge = judge_from_config(ctx.spark, ctx.cfg)
    if ddl is not None:
        problems = judge.box.load(ddl.read_text(errors="replace"))
        for problem in problems:
            print(f"filter: --ddl {ddl}: {problem}")
    lines = []
    with src.open(encoding="utf-8", errors="replace") as fin:
        for number, line in enumerate(fin, 1):
            if line.strip():
                row = json.loads(line)
                if (
                    not isinstance(row, dict)
                    or not isinstance(row.get("bug_sql"), str)
                    or not isinstance(row.get("fixed_sql"), str)
                ):
                    raise UsageError("each line needs string fields bug_sql and fixed_sql", input=f"{src}:{number}")
                if row.get("error_message") and not row.get("category_l1"):
                    c = classify(row["error_message"], row["bug_sql"])
                    row.setdefault("category_l1", c.category_l1)
                    row.setdefault("category_l3", c.category_l3)
                lines.append(row)
    with progress(len(lines), "filter", "pair", disable=not lines) as bar:
        verdicts = judge.many(lines, progress=bar)
    counts: Counter = Counter()
    with dst.open("w", encoding="utf-8") as fout:
        for row, verdict in zip(lines, verdicts, strict=True):
            row.update(verdict.fields(row.get("category_l3")), spark_version=ctx.spark.version)
            counts[verdict.reason] += 1
            fout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return counts


def summary(ctx) -> str:
    """Verdicts by reason, and how often the dry run's category agrees with the logged one."""
    verdicts = ctx.lake.read("pair_verdicts")
    by_reason = {r["reason"]: r["count"] for r in verdicts.groupBy("reason").count().collect()}
    agree = (
        verdicts.filter(F.col("verdict") == "kept")
        .agg(F.avg(F.col("category_agrees").cast("double")).alias("rate"), F.count("*").alias("n"))
        .collect()[0]
    )
    total = sum(by_reason.values())
    lines = [f"pair_verdicts: {total} pairs, kept {by_reason.get('kept', 0)}"]
    lines += [f"  dropped {reason:<12} {n}" for reason, n in sorted(by_reason.items()) if reason != "kept"]
    if agree["n"]:
        lines.append(f"  kept pairs whose dry-run category matches the logged one: {agree['rate'] or 0:.1%}")
    return "\n".join(lines)


def describe(report: dict) -> str:
    """The line ``sqlfix filter`` prints for a ``run_filter`` report."""
    if not report["pairs"]:
        return "filter: no pair without a verdict in bug_pairs; nothing to judge (run sqlfix mine, or --refilter)"
    return (f"filter: batch {report['batch_id'][:8]} judged {report['pairs']} pairs in {report['seconds']:.1f}s, "
            f"kept {report['kept']}; dropped by reason {report['reasons']}")  # fmt: skip
