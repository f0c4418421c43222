"""Figures of the report: the data funnel, counts by a key, and changed lines per pair against the paper's."""

from __future__ import annotations

from collections import Counter

from sqlfix.evaluation.metrics import diff_bucket

DIFF_BUCKETS = ("1", "2", "3-5", "6+")  # evaluation.metrics.diff_bucket's, as evaluations report diff size


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bars(counts: dict[str, int], title: str, xlabel: str = "", horizontal: bool = False):
    """One bar per key, in the given order."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, max(3.5, 0.3 * len(counts)) if horizontal else 4))
    keys, values = list(counts), list(counts.values())
    if horizontal:
        ax.barh(keys[::-1], values[::-1])
        ax.set_xlabel("count")
    else:
        ax.bar(keys, values)
        ax.set_ylabel("count")
        ax.set_xlabel(xlabel)
        ax.tick_params(axis="x", rotation=30)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def diff_sizes(ours: Counter, paper: list[int]):
    """Share of pairs per changed-line bucket (the evaluation's buckets): this lake's pairs beside the paper's
    (its Figure 9)."""
    plt = _plt()
    mine = Counter()
    for n, count in ours.items():
        if n and n > 0:
            mine[diff_bucket(int(n))] += count
    theirs = Counter(diff_bucket(n) for n in paper if n > 0)
    fig, ax = plt.subplots(figsize=(9, 4))
    x = range(len(DIFF_BUCKETS))
    for offset, (label, counts) in zip((-0.2, 0.2), (("this lake", mine), ("paper (Figure 9)", theirs)), strict=True):
        total = sum(counts.values()) or 1
        ax.bar([i + offset for i in x], [counts[b] / total for b in DIFF_BUCKETS], 0.4, label=f"{label} (n={total})")
    ax.set_xticks(list(x))
    ax.set_xticklabels(DIFF_BUCKETS)
    ax.set_xlabel("changed lines per pair")
    ax.set_ylabel("share of pairs")
    ax.set_title("Changed lines per bug/fix pair")
    ax.legend()
    fig.tight_layout()
    return fig
