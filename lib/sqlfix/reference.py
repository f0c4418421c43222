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
