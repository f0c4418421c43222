"""Labelling messages with the Spark classifier (native expressions) vs a per-row Python UDF, same regexes.

    .venv/bin/python benchmarks/classify.py              # 1,000,000 messages
    .venv/bin/python benchmarks/classify.py --rows 200000

Messages are the taxonomy's examples and the message-style fixtures, with plan dumps and traces
attached to some, spread over the rows. Prints both times and the speed-up (target >= 10x).
"""

from __future__ import annotations

import argparse
import time

from pyspark.sql import functions as F
from pyspark.sql import types as T
from sqlfix.config import load_config
from sqlfix.spark import get_spark
from sqlfix.taxonomy.classify import categorize, classify
from sqlfix.taxonomy.model import load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    spark = get_spark(load_config())
    taxonomy = load_taxonomy()
    samples = [(leaf.example, leaf.example_sql) for leaf in taxonomy.leaves]
    samples += [
        (m + ";\n'Project [a#1]\n+- Relation t[a#1] parquet\n\tat org.apache.Foo.bar(Foo.scala:1)", s)
        for m, s in samples[:40]
    ]
    messages = F.array(*[F.lit(m) for m, _ in samples])
    sqls = F.array(*[F.lit(s).cast("string") for _, s in samples])
    idx = (F.col("id") % len(samples) + 1).cast("int")
    df = (
        spark.range(args.rows)
        .select(F.element_at(messages, idx).alias("msg"), F.element_at(sqls, idx).alias("sql"))
        .localCheckpoint()
    )
    df.count()

    def timed(frame) -> float:
        t0 = time.perf_counter()
        frame.write.format("noop").mode("overwrite").save()
        return time.perf_counter() - t0

    timed(categorize(df.limit(1000), "msg", "sql"))  # warm both paths
    native = timed(categorize(df, "msg", "sql").select("category_l1", "category_l2", "category_l3"))
    udf = F.udf(lambda m, s: classify(m, s).category_l3, T.StringType())
    python = timed(df.select(udf("msg", "sql").alias("category_l3")))
    print(
        f"{args.rows} messages: Spark classifier {native:.1f}s, Python UDF {python:.1f}s, speed-up {python / native:.1f}x (target >= 10x)"
    )


if __name__ == "__main__":
    main()
