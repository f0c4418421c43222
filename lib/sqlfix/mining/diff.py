"""Line diff statistics of a (bug SQL, fixed SQL) pair — the one definition, in Python and in Spark.

A line is compared after removing trailing whitespace (``\\r\\n`` and ``\\n`` are the same line end).
``changed_lines`` is the larger of (lines only the fix has, lines only the bug has), counted as
multisets: a modified line counts once, an added or a deleted line once each. Moving a line without
changing it counts nothing. The Spark version computes the same numbers with built-in expressions.
"""

from __future__ import annotations

import re
from collections import Counter

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def split_lines(sql: str) -> list[str]:
    """Lines with trailing whitespace removed.

    Example:
        >>> split_lines("SELECT a,  \\r\\n  b\\nFROM t\\n")
        ['SELECT a,', '  b', 'FROM t', '']
    """
    return [line.rstrip() for line in re.split(r"\r?\n", sql)]


def changed_lines(bug: str, fix: str) -> int:
    """Number of changed lines between two versions of a query.

    Example:
        >>> changed_lines("SELECT a\\nFROM t\\nWHERE x = 1", "SELECT a, b\\nFROM t\\nWHERE x = 1")
        1
        >>> changed_lines("SELECT a\\nFROM t", "SELECT a\\nFROM t\\nLIMIT 10\\n-- done")
        2
    """
    b, f = Counter(split_lines(bug)), Counter(split_lines(fix))
    return max(sum((f - b).values()), sum((b - f).values()))


def with_diff_stats(pairs: DataFrame, key: str = "pair_id", bug: str = "bug_sql", fix: str = "fixed_sql") -> DataFrame:
    """Add ``changed_lines``, ``bug_lines``, ``fixed_lines`` and ``changed_line_ratio`` to a frame of pairs.

    Multiset difference by explode + aggregate: no Python UDF, one shuffle over the pairs' lines.
    """
    lines = lambda c: F.transform(F.split(F.col(c), r"\r?\n"), lambda s: F.rtrim(s))  # noqa: E731
    exploded = pairs.select(
        key,
        F.explode(
            F.concat(
                F.transform(
                    lines(bug), lambda s: F.struct(s.alias("line"), F.lit(1).alias("in_bug"), F.lit(0).alias("in_fix"))
                ),
                F.transform(
                    lines(fix), lambda s: F.struct(s.alias("line"), F.lit(0).alias("in_bug"), F.lit(1).alias("in_fix"))
                ),
            )
        ).alias("l"),
    )
    per_line = exploded.groupBy(key, F.col("l.line")).agg(F.sum("l.in_bug").alias("nb"), F.sum("l.in_fix").alias("nf"))
    stats = per_line.groupBy(key).agg(
        F.sum(F.greatest(F.col("nf") - F.col("nb"), F.lit(0))).alias("_added"),
        F.sum(F.greatest(F.col("nb") - F.col("nf"), F.lit(0))).alias("_removed"),
        F.sum("nb").alias("bug_lines"),
        F.sum("nf").alias("fixed_lines"),
    )
    changed: Column = F.greatest("_added", "_removed").cast("int")
    stats = stats.select(
        key,
        changed.alias("changed_lines"),
        F.col("bug_lines").cast("int"),
        F.col("fixed_lines").cast("int"),
        F.round(changed / F.greatest("bug_lines", "fixed_lines"), 4).alias("changed_line_ratio"),
    )
    return pairs.join(stats, key, "left")
