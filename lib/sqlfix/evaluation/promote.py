"""The promotion pipeline: the challenger against the champion (the base model when there is none) on one eval
set, evaluated where no stored evaluation exists, decided by ``registry.promotion.decide`` and applied as
MLflow aliases and tags."""

from __future__ import annotations

import json

from sqlfix.errors import SqlfixError
from sqlfix.evaluation.run import eval_samples, evaluate_models, resolve_models


def _summary(ctx, model, eval_set: str) -> dict | None:
    """A stored evaluation of ``model`` on ``eval_set`` (the newest), or None."""
    from pyspark.sql import functions as F

    if not ctx.lake.exists("eval_runs"):
        return None
    runs = ctx.lake.read("eval_runs").filter(F.col("eval_set") == eval_set)
    if model.version:
        runs = runs.filter((F.col("model_name") == model.name) & (F.col("model_version") == model.version))
    else:
        runs = runs.filter(F.col("model_path") == model.path)
    row = runs.orderBy(F.col("evaluated_at").desc()).select("metrics").first()
    return json.loads(row["metrics"]) if row else None


def promote(ctx, challenger_ref: str = "@challenger", eval_version: int | None = None, limit: int | None = None,
            dry_run: bool = False):  # fmt: skip
    """Evaluate what is missing, decide, and (unless ``dry_run``) apply; returns the Decision."""
    import mlflow

    from sqlfix.registry.promotion import ALIAS, apply, current_champion, decide
    from sqlfix.registry.tracking import use_registry

    pcfg, ecfg = ctx.cfg["promote"], dict(ctx.cfg["evaluate"])
    if limit is not None:
        ecfg["limit"] = limit
    name = ctx.cfg["train"]["mlflow"]["registered_model"]
    use_registry(ctx.cfg["train"]["mlflow"])
    client = mlflow.MlflowClient()
    challenger = resolve_models(ctx, [challenger_ref])[0]
    if challenger.version is None:
        raise SqlfixError("only a registered version can be promoted", input=challenger_ref)
    current = current_champion(client, name)
    if current is not None and str(current.version) == challenger.version:
        raise SqlfixError(f"{name} v{challenger.version} is already the {ALIAS}")
    reference = resolve_models(ctx, [f"@{ALIAS}" if current is not None else "base"])[0]
    samples, eval_set = eval_samples(ctx, [challenger], None, eval_version, ecfg.get("limit"))
    summaries = {}
    for model in (challenger, reference):
        summaries[model.label] = _summary(ctx, model, eval_set)
        if summaries[model.label] is None:
            summaries[model.label] = evaluate_models(ctx, [model], samples, eval_set, ecfg)[0]["summary"]
    decision = decide(
        summaries[challenger.label], summaries[reference.label] if current is not None else None,
        summaries[reference.label] if current is None else None, metric=pcfg["metric"], margin=float(pcfg["margin"]),
        max_category_drop=float(pcfg["max_category_drop"]), min_category_samples=int(pcfg["min_category_samples"]),
    )  # fmt: skip
    print(f"promote: {challenger.label} vs {reference.label} on {eval_set}: "
          f"{'PROMOTE' if decision.promote else 'KEEP'} - {decision.reason}")  # fmt: skip
    if not dry_run:
        apply(client, name, challenger.version, decision, current.version if current is not None else None)
        if decision.promote:
            print(f"promote: {name} @{ALIAS} -> v{challenger.version}")
    return decision
