"""Figures of the paper sqlfix follows, as data: what summaries and the simulator compare against."""

from __future__ import annotations

import json
from importlib import resources


def paper_diff_sizes() -> list[int]:
    """Changed lines per pair in the paper's data (its Figure 9).

    Example:
        >>> sizes = paper_diff_sizes()
        >>> min(sizes) >= 1 and len(sizes) > 100
        True
    """
    text = resources.files("sqlfix").joinpath("paper_diff_lines.json").read_text()
    return json.loads(text)["values"]


def paper_dmsft() -> dict:
    """The paper's DM-SFT figures: accuracy (%) by drop rate p, and the best checkpoint's step by p.

    Example:
        >>> ref = paper_dmsft()
        >>> ref["accuracy_pct"][0.5], ref["accuracy_pct"][0.0], ref["best_step"][0.5], ref["best_step"][0.0]
        (50.0, 45.8, 175, 425)
    """
    data = json.loads(resources.files("sqlfix").joinpath("paper_dmsft.json").read_text())
    acc, best = data["mask_ratio_vs_accuracy"], data["best_checkpoint_step"]
    return {
        "accuracy_pct": dict(zip(map(float, acc["p"]), acc["acc_pct"], strict=True)),
        "best_step": dict(zip(map(float, best["p"]), best["step"], strict=True)),
        "model": "DeepSeek-Coder-6.7B-instruct",
    }
