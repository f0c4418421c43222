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
    out = pairs.withColumn("_b", F.sort_array(_lines(F.col(bug)))).withColumn("_f", F.sort_array(_lines(F.col(fix))))
    # Each step in a projection of its own: the intersection is computed once, not at every reference.
    out = out.withColumn("bug_lines", F.size("_b").cast("int")).withColumn("fixed_lines", F.size("_f").cast("int"))
    out = out.withColumn("_common", F.size(F.array_intersect(_tagged("_b"), _tagged("_f")))).drop("_b", "_f")
    n_bug, n_fix, common = F.col("bug_lines"), F.col("fixed_lines"), F.col("_common")
    out = out.withColumn("changed_lines", F.greatest(n_fix - common, n_bug - common).cast("int"))
    ratio = F.round(F.col("changed_lines") / F.greatest(n_bug, n_fix), 4)
    return out.withColumn("changed_line_ratio", ratio).drop("_common")


def _lines(sql: Column) -> Column:
    # Trailing blanks removed by one regex over the text (cheaper than a lambda per line), and only where a
    # blank before a line end or a carriage return can be: most SQL just splits at '\n' (no regex).
    messy = sql.contains(" \n") | sql.contains("\t\n") | sql.contains("\r") | sql.endswith(" ") | sql.endswith("\t")
    clean = F.split(F.regexp_replace(sql, r"[ \t]+(\r?\n|$)", "$1"), r"\r?\n")
    return F.when(messy, clean).otherwise(F.split(sql, "\n"))


def _tagged(sorted_col: str) -> Column:
    """Make repeated lines distinct: in a sorted array the k-th copy of a line (k > 1) gets tag k."""
    s = F.col(sorted_col)
    repeat = lambda x, i: (i > 0) & (F.element_at(s, i) == x)  # noqa: E731 - element_at is 1-based: the previous one
    tag = lambda x, i: F.concat(x, F.lit("\u0000"), (i - F.array_position(s, x) + 1).cast("string"))  # noqa: E731
    return F.transform(s, lambda x, i: F.when(repeat(x, i), tag(x, i)).otherwise(x))
