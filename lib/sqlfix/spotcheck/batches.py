"""Spot checks: a stratified sample of a batch's kept pairs, reviewers' verdicts, and the pass-rate gate.

People who know SQL read a sample of each filter batch side by side; the batch feeds the dataset only
when the sample's pass rate reaches the threshold (85 % by default). The interval printed with it is
Wilson's score interval, which behaves at rates near 100 % and on small samples.
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

VERDICTS = ("pass", "fail")


def wilson(passed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a pass rate.

    Example:
        >>> [round(x, 3) for x in wilson(45, 50)]
        [0.786, 0.957]
        >>> wilson(0, 0)
        (0.0, 1.0)
    """
    if n == 0:
        return 0.0, 1.0
    p = passed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def decide(passed: int, reviewed: int, sampled: int, threshold: float) -> bool:
    """Approved when every sampled pair is reviewed and the pass rate reaches ``threshold``.

    Example:
        >>> decide(44, 50, 50, 0.85), decide(40, 50, 50, 0.85), decide(30, 30, 50, 0.85)
        (True, False, False)
    """
    return sampled > 0 and reviewed == sampled and passed / reviewed >= threshold


def stratified_sample(kept: DataFrame, n: int, seed: int = 0) -> DataFrame:
    """About ``n`` rows of ``kept`` spread over (category_l3, signal) strata in proportion to their size,
    at least one from each stratum while ``n`` allows; the same rows for the same seed.

    ``kept`` needs pair_id, category_l3, signal.
    """
    strata = Window.partitionBy("category_l3", "signal")
    ranked = (
        kept.withColumn("_size", F.count("*").over(strata))
        .withColumn("_total", F.count("*").over(Window.partitionBy()))
        .withColumn("_rank", F.row_number().over(strata.orderBy(F.xxhash64("pair_id", F.lit(seed)))))
    )
    if n < 1:
        return kept.limit(0)
    quota = F.greatest(F.lit(1), F.round(F.lit(n) * F.col("_size") / F.col("_total")))
    # With fewer slots than strata, one each from the strata whose first draw hashes lowest.
    first = F.xxhash64(F.concat_ws("/", "category_l3", "signal"), F.lit(seed))
    picked = ranked.filter(F.col("_rank") <= quota)
    picked = picked.withColumn("_order", F.row_number().over(Window.orderBy("_rank", first, "pair_id")))
    return picked.filter(F.col("_order") <= n).drop("_size", "_total", "_rank", "_order")


def kept_pairs(pairs: DataFrame, verdicts: DataFrame, batch_id: str | None = None) -> DataFrame:
    """``bug_pairs`` rows the filter kept (in one batch, when given), with their ``batch_id``."""
    kept = verdicts.filter(F.col("verdict") == "kept")
    if batch_id:
        kept = kept.filter(F.col("batch_id") == batch_id)
    return pairs.join(kept.select("pair_id", "batch_id"), "pair_id")


def approved_pairs(pairs: DataFrame, verdicts: DataFrame, approvals: DataFrame) -> DataFrame:
    """Kept pairs of approved batches: what the dataset builder may take."""
    approved = approvals.filter(F.col("approved")).select("batch_id")
    return kept_pairs(pairs, verdicts).join(approved, "batch_id", "left_semi")
