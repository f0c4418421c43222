"""Corpus feature extraction (Arrow batches, ``mapInArrow``) vs a per-row Python UDF, and recall precision.

    .venv/bin/python benchmarks/recall.py --lake-root lake            # a lake `sqlfix demo` filled
    .venv/bin/python benchmarks/recall.py --lake-root lake --sql-dir benchmarks/corpus --per-leaf 10

The corpus is the lake's successful executions. ``--copies`` repeats it the way a log does (a scheduled
query runs daily); ``--distinct`` makes every copy a distinct text (a unique comment each), so no parse
can be shared. Both paths compute the same columns (a test checks they agree); each is timed on the same
cached input, twice, best of two. Then, per leaf with a mutator, the queries recall returns (they hold the
leaf's features; ``--sql-dir`` adds analyst queries to the log's) are labelled by generating the leaf's bug
and verifying it in Spark's analyzer: precision = verified / recalled (a recalled query can lack a site),
yield = verified / generated (the issue's target: >= 90 % per leaf), with the rejections by reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections import defaultdict
from pathlib import Path

from pyspark.sql import functions as F
from sqlfix.config import load_config
from sqlfix.filtering.judge import Judge
from sqlfix.filtering.sandbox import Sandbox
from sqlfix.generation.corpus import build_corpus, from_logs, read_sql_files, with_features, with_features_per_row
from sqlfix.generation.mutators import MUTATORS
from sqlfix.generation.oriented import mutate, recall, verify
from sqlfix.lake import open_lake
from sqlfix.spark import get_spark
from sqlfix.taxonomy.model import load_taxonomy


def _time(frame) -> float:
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        frame.write.format("noop").mode("overwrite").save()
        best = min(best, time.perf_counter() - t0)
    return best


def _label(candidates_df, judge, taxonomy) -> dict:
    """Per leaf: recalled candidates, generated bugs, verified ones (kept) and rejections by reason."""
    candidates = [r.asDict() for r in candidates_df.collect()]
    pairs, _ = mutate(candidates, 0)
    out = defaultdict(lambda: {"recalled": 0, "generated": 0, "kept": 0, "rejected": defaultdict(int)})
    for c in candidates:
        out[c["target_leaf"]]["recalled"] += 1
    for p in verify(judge, pairs, taxonomy):
        e = out[p["target_leaf"]]
        e["generated"] += 1
        if p["reason"] == "kept":
            e["kept"] += 1
        else:
            e["rejected"][p["reason"]] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake-root", default="lake")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--distinct", action="store_true", help="every copy a distinct text")
    parser.add_argument("--per-leaf", type=int, default=8, help="recalled queries labelled per leaf")
    parser.add_argument("--per-group", type=int, default=2, help="at most this many per task and per table set")
    parser.add_argument("--sql-dir", default=None, help="also these .sql files (e.g. benchmarks/corpus)")
    args = parser.parse_args()
    cfg = load_config(lake_root=args.lake_root)
    spark = get_spark(cfg)
    lake = open_lake(cfg, spark)
    base = from_logs(lake.read("query_logs")).select("sql_text", "source", "task_id")
    copies = spark.range(args.copies).withColumnRenamed("id", "copy")
    rows = base.crossJoin(copies)
    if args.distinct:
        rows = rows.withColumn("sql_text", F.concat("sql_text", F.lit("\n-- copy "), F.col("copy").cast("string")))
    rows = rows.drop("copy").repartition(2).cache()
    n = rows.count()
    batch, per_row = _time(with_features(rows)), _time(with_features_per_row(rows))
    print(json.dumps({"queries": n, "distinct_texts": args.distinct, "copies": args.copies,
                      "arrow_batches_s": round(batch, 2), "per_row_udf_s": round(per_row, 2),
                      "arrow_queries_per_s": round(n / batch, 1), "per_row_queries_per_s": round(n / per_row, 1),
                      "speedup": round(per_row / batch, 2)}))  # fmt: skip

    sources = from_logs(lake.read("query_logs"))
    if args.sql_dir:
        extra = read_sql_files(Path(args.sql_dir))
        sources = sources.unionByName(spark.createDataFrame(extra, "sql_text string, source string, task_id string"))
    corpus, _ = build_corpus(sources, lake.read("table_schemas"), dt.datetime.now(dt.timezone.utc))
    taxonomy = load_taxonomy()
    leaves = sorted({m.leaf for m in MUTATORS.values()})
    wanted = {leaf: taxonomy.leaf(leaf).features for leaf in leaves}
    caps = dict.fromkeys(leaves, args.per_leaf)
    judge = Judge(Sandbox(spark), threads=2, timeout_s=60)
    plain = _label(recall(corpus, wanted, args.per_group, caps, 0), judge, taxonomy)
    ruled = _label(recall(corpus, wanted, args.per_group, caps, 0, sites=True), judge, taxonomy)
    judge.close()
    out = {}
    for leaf in leaves:
        p, r = plain[leaf], ruled[leaf]
        out[leaf] = {
            "features_recalled": p["recalled"],
            "features_precision": round(p["kept"] / p["recalled"], 3) if p["recalled"] else None,
            "rule_recalled": r["recalled"],
            "rule_precision": round(r["kept"] / r["recalled"], 3) if r["recalled"] else None,
            "generated": r["generated"], "verified": r["kept"],
            "yield": round(r["kept"] / r["generated"], 3) if r["generated"] else None,
            "rejected": r["rejected"],
        }  # fmt: skip
    print(json.dumps({"by_leaf": out}, indent=1))
    measured = [e["yield"] for e in out.values() if e["yield"] is not None]
    print(json.dumps({"leaves_with_output": len(measured), "leaves_at_or_above_90pct": sum(y >= 0.9 for y in measured),
                      "below": {k: e["yield"] for k, e in out.items() if e["yield"] is not None and e["yield"] < 0.9},
                      "no_output": [k for k, e in out.items() if e["yield"] is None]}))  # fmt: skip


if __name__ == "__main__":
    main()
