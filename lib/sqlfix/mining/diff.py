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


def with_diff_stats(pairs: DataFrame, bug: str = "bug_sql", fix: str = "fixed_sql") -> DataFrame:
    """Add ``changed_lines``, ``bug_lines``, ``fixed_lines`` and ``changed_line_ratio`` to a frame of pairs.

    Per row, with built-in array functions (no Python UDF, no shuffle): each side's lines are sorted
    and tagged with their occurrence number, so the set intersection counts duplicate lines as a multiset.
    """
    out = pairs.withColumn("_b", F.array_sort(_lines(F.col(bug)))).withColumn("_f", F.array_sort(_lines(F.col(fix))))
    common = F.size(F.array_intersect(_tagged("_b"), _tagged("_f")))
    n_bug, n_fix = F.size("_b"), F.size("_f")
    changed: Column = F.greatest(n_fix - common, n_bug - common)
    return (
        out.withColumn("changed_lines", changed.cast("int"))
        .withColumn("bug_lines", n_bug.cast("int"))
        .withColumn("fixed_lines", n_fix.cast("int"))
        .withColumn("changed_line_ratio", F.round(changed / F.greatest(n_bug, n_fix), 4))
        .drop("_b", "_f")
    )


def _lines(sql: Column) -> Column:
    # Trailing blanks removed by one regex over the text: cheaper than a lambda per line.
    return F.split(F.regexp_replace(sql, r"[ \t]+(\r?\n|$)", "$1"), r"\r?\n")


def _tagged(sorted_col: str) -> Column:
    """Make repeated lines distinct: in a sorted array the k-th copy of a line (k > 1) gets tag k."""
    s = F.col(sorted_col)
    repeat = lambda x, i: (i > 0) & (F.element_at(s, i) == x)  # noqa: E731 - element_at is 1-based: the previous one
    tag = lambda x, i: F.concat(x, F.lit("\u0000"), (i - F.array_position(s, x) + 1).cast("string"))  # noqa: E731
    return F.transform(s, lambda x, i: F.when(repeat(x, i), tag(x, i)).otherwise(x))
