"""Figures of an evaluation: accuracy per category and by diff size, one bar group per model."""

from __future__ import annotations


def accuracy_figure(summaries: dict[str, dict], group: str, metric: str = "ast", title: str | None = None):
    """Bars of ``metric`` per value of ``group`` (``by_category_l2``, ``by_diff_bucket``...), one colour per
    model; ``summaries`` maps a model label to its ``evaluate.summarize`` result."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({k for s in summaries.values() for k in s.get(group, {})})
    if group == "by_diff_bucket":
        keys = [k for k in ("0", "1", "2", "3-5", "6+") if k in keys]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys) * max(1, len(summaries))), 4.5))
    width = 0.8 / max(1, len(summaries))
    for m, (label, summary) in enumerate(summaries.items()):
        values = [(summary.get(group, {}).get(k) or {}).get(metric) or 0.0 for k in keys]
        ax.bar([i + m * width for i in range(len(keys))], values, width, label=label)
    ax.set_xticks([i + width * (len(summaries) - 1) / 2 for i in range(len(keys))])
    ax.set_xticklabels([k.split(".", 1)[-1] if "category" in group else k for k in keys], rotation=45, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"{metric} match" if metric in ("ast", "exact") else metric)
    ax.set_title(title or f"{metric} by {group.removeprefix('by_')}")
    ax.legend()
    fig.tight_layout()
    return fig
