"""Champion/challenger: when a challenger takes the ``champion`` alias, and how to take it back.

``decide`` compares evaluation summaries (``evaluation.evaluate.summarize``) made on one eval set: the
challenger must beat the champion — or, with no champion yet, the base model — on ``metric`` by at least
``margin``, and no level-2 category (with at least ``min_category_samples`` samples in both) may lose more
than ``max_category_drop``. ``apply`` writes the decision and its evidence as tags on the challenger's
version and moves the alias; ``rollback`` moves it back to the version it replaced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlfix.config import filled
from sqlfix.errors import SqlfixError

ALIAS = "champion"


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str
    against: str  # champion or base
    evidence: dict = field(default_factory=dict)


def decide(challenger: dict, champion: dict | None, base: dict | None, metric: str | None = None,
           margin: float | None = None, max_category_drop: float | None = None,
           min_category_samples: int | None = None) -> Decision:  # fmt: skip
    """Promote or not, with the numbers behind it (settings left ``None``: the profile's ``promote`` values).

    Example:
        >>> ch = {"overall": {"ast": 0.6}, "by_category_l2": {"a.b": {"n": 5, "ast": 0.6}}}
        >>> old = {"overall": {"ast": 0.5}, "by_category_l2": {"a.b": {"n": 5, "ast": 0.9}}}
        >>> decide(ch, old, None).reason
        'category a.b drops 0.300 (> 0.100)'
        >>> decide(ch, None, {"overall": {"ast": 0.1}, "by_category_l2": {}}).promote
        True
    """
    s = filled({"metric": metric, "margin": margin, "max_category_drop": max_category_drop,
                "min_category_samples": min_category_samples}, "promote")  # fmt: skip
    metric, margin = str(s["metric"]), float(s["margin"])
    max_category_drop, min_category_samples = float(s["max_category_drop"]), int(s["min_category_samples"])
    reference, against = (champion, "champion") if champion is not None else (base, "base")
    if reference is None:
        raise SqlfixError("nothing to compare the challenger with", hint="evaluate the base model or a champion")
    new, old = challenger["overall"].get(metric) or 0.0, reference["overall"].get(metric) or 0.0
    drops = {}
    for cat, stats in reference.get("by_category_l2", {}).items():
        mine = challenger.get("by_category_l2", {}).get(cat)
        if not mine or min(mine["n"], stats["n"]) < min_category_samples:
            continue
        drop = (stats.get(metric) or 0.0) - (mine.get(metric) or 0.0)
        if drop > 0:
            drops[cat] = round(drop, 4)
    evidence = {"metric": metric, "challenger": new, against: old, "margin": margin,
                "max_category_drop": max_category_drop, "category_drops": drops}  # fmt: skip
    if new < old + margin:
        return Decision(
            False, f"{metric} {new:.3f} does not beat {against} {old:.3f} + margin {margin:.3f}", against, evidence
        )
    worst = max(drops.items(), key=lambda kv: kv[1], default=None)
    if worst and worst[1] > max_category_drop:
        return Decision(
            False, f"category {worst[0]} drops {worst[1]:.3f} (> {max_category_drop:.3f})", against, evidence
        )
    return Decision(True, f"{metric} {new:.3f} beats {against} {old:.3f} + margin {margin:.3f}", against, evidence)


def apply(client, name: str, version: str, decision: Decision, previous: str | None) -> None:
    """Tag the challenger's version with the decision; on promotion, move the alias to it."""
    tags = {
        "promotion.decision": "promoted" if decision.promote else "refused",
        "promotion.reason": decision.reason,
        "promotion.against": decision.against,
        "promotion.evidence": json.dumps(decision.evidence, sort_keys=True)[:5000],
    }
    if decision.promote and previous:
        tags["promotion.previous_champion"] = str(previous)
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    if decision.promote:
        client.set_registered_model_alias(name, ALIAS, version)


def current_champion(client, name: str):
    """The model version ``name`` has as ``champion``, or ``None``."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, ALIAS)
    except MlflowException:
        return None


def has_champion(mlflow_cfg: dict) -> bool:
    """Whether the registry holds a ``champion`` version of the fixer (``train.mlflow``'s registry)."""
    import mlflow

    from sqlfix.registry.tracking import use_registry

    use_registry(mlflow_cfg)
    return current_champion(mlflow.MlflowClient(), mlflow_cfg["registered_model"]) is not None


def rollback(client, name: str) -> tuple[str, str]:
    """Move ``champion`` back to the version the current champion replaced; returns (from, to)."""
    from mlflow.exceptions import MlflowException

    try:
        current = client.get_model_version_by_alias(name, ALIAS)
    except MlflowException:
        raise SqlfixError(f"{name} has no {ALIAS}: nothing to roll back") from None
    previous = (current.tags or {}).get("promotion.previous_champion")
    if not previous:
        raise SqlfixError(f"{name} v{current.version} replaced no earlier champion: nothing to roll back to")
    client.set_registered_model_alias(name, ALIAS, previous)
    client.set_model_version_tag(name, current.version, "promotion.rolled_back", "true")
    return str(current.version), previous
