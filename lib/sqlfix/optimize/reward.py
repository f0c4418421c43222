"""The reward of a verified rewrite: log-scaled speed-up, capped so it cannot saturate.

Quill's reward averaged 1.00: speed-ups from 2x to 1,000,000x all scored the same. Here the reward is
``log(speedup) / log(cap)`` clipped to [-1, 1] (default cap 100x): 2x scores 0.15, 10x 0.5, 100x and
beyond 1.0, so the median and spread of a batch stay informative. A regression (speed-up below 1) scores
negative, times ``regression_penalty``; a rewrite that changes the result scores -1. A rewrite is kept
when its reward reaches ``keep_threshold`` (Quill's 0.25: about 3.2x at the default cap). An optional
judge (readability, say) adds ``judge_weight`` x its score in [0, 1].
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from sqlfix.config import filled


@dataclass(frozen=True)
class Reward:
    """Settings left ``None`` take the profile's ``optimize.reward`` values."""

    cap: float | None = None
    keep_threshold: float | None = None
    regression_penalty: float | None = None
    judge_weight: float = 0.0
    judge: Callable[[str, str], float] | None = None

    def __post_init__(self) -> None:
        names = ("cap", "keep_threshold", "regression_penalty")
        for name, value in filled({n: getattr(self, n) for n in names}, "optimize", "reward").items():
            object.__setattr__(self, name, float(value))

    def score(self, speedup: float | None, equivalent: bool, slow_sql: str = "", fast_sql: str = "") -> float:
        """The reward of one candidate.

        Example:
            >>> r = Reward()
            >>> [round(r.score(s, True), 3) for s in (1.0, 2.0, 10.0, 100.0, 1e6)]
            [0.0, 0.151, 0.5, 1.0, 1.0]
            >>> round(r.score(0.5, True), 3), r.score(50.0, False)
            (-0.301, -1.0)
        """
        if not equivalent or speedup is None or speedup <= 0:
            return -1.0
        value = math.log(speedup) / math.log(self.cap)
        if value < 0:
            value *= self.regression_penalty
        value = max(-1.0, min(1.0, value))
        if self.judge is not None and self.judge_weight:
            value += self.judge_weight * float(self.judge(slow_sql, fast_sql))
        return value

    def keep(self, reward: float) -> bool:
        return reward >= self.keep_threshold


def distribution(rewards: list[float]) -> dict:
    """Summary of one iteration's rewards (printed and logged: a saturated reward shows here).

    Example:
        >>> distribution([0.1, 0.5, 1.0, -1.0])
        {'n': 4, 'mean': 0.15, 'median': 0.3, 'stdev': 0.85, 'min': -1.0, 'max': 1.0, 'share_at_cap': 0.25}
    """
    if not rewards:
        return {"n": 0}
    return {
        "n": len(rewards), "mean": round(statistics.fmean(rewards), 3), "median": round(statistics.median(rewards), 3),
        "stdev": round(statistics.stdev(rewards), 3) if len(rewards) > 1 else 0.0,
        "min": round(min(rewards), 3), "max": round(max(rewards), 3),
        "share_at_cap": round(sum(r >= 1.0 for r in rewards) / len(rewards), 3),
    }  # fmt: skip
