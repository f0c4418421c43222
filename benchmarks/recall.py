"""Corpus feature extraction (Arrow batches, ``mapInArrow``) vs a per-row Python UDF, and recall precision.

    .venv/bin/python benchmarks/recall.py --lake-root lake            # a lake `sqlfix demo` filled
    .venv/bin/python benchmarks/recall.py --lake-root lake --copies 20 --per-leaf 10

The corpus is the lake's successful executions. ``--copies`` repeats it the way a log does (a scheduled
query runs daily); ``--distinct`` makes every copy a distinct text (a unique comment each), so no parse
can be shared. Both paths compute the same columns (a test checks they agree); each is timed on the same
cached input, twice, best of two. Recall precision: per leaf with a mutator, a sample of the queries recall
returns (they hold the leaf's features) is labelled by generating the leaf's bug and verifying it in
Spark's analyzer; precision = verified / recalled.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

from pyspark.sql import functions as F
from sqlfix.config import load_config
from sqlfix.filtering.judge import Judge
from sqlfix.filtering.sandbox import Sandbox
from sqlfix.generation.corpus import from_logs, with_features, with_features_per_row
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake-root", default="lake")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--distinct", action="store_true", help="every copy a distinct text")
    parser.add_argument("--per-leaf", type=int, default=8, help="recalled queries labelled per leaf")
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

    corpus = lake.read("sql_corpus")
    taxonomy = load_taxonomy()
    leaves = sorted({m.leaf for m in MUTATORS.values()})
    wanted = {leaf: taxonomy.leaf(leaf).features for leaf in leaves}
    candidates = [r.asDict() for r in recall(corpus, wanted, 10**6, dict.fromkeys(leaves, args.per_leaf), 0).collect()]
    pairs, misses = mutate(candidates, 0)
    judge = Judge(Sandbox(spark), threads=2, timeout_s=60)
    judged = verify(judge, pairs, taxonomy)
    judge.close()
    recalled, verified = defaultdict(int), defaultdict(int)
    for c in candidates:
        recalled[c["target_leaf"]] += 1
    for p in judged:
        verified[p["target_leaf"]] += p["reason"] == "kept"
    out = {leaf: {"recalled": recalled[leaf], "verified": verified[leaf],
                  "precision": round(verified[leaf] / recalled[leaf], 3) if recalled[leaf] else None}
           for leaf in leaves}  # fmt: skip
    print(json.dumps({"recall_precision": out}, indent=1))


if __name__ == "__main__":
    main()
