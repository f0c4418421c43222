"""The evaluation pipeline: models resolved from the registry, one eval set, every model generated, verified
and scored on it -> ``eval_runs`` and ``eval_predictions`` (and MLflow)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from pathlib import Path

from sqlfix.errors import UsageError
from sqlfix.evaluation.evaluate import pick, read_eval_file

TABLE_METRICS = ("exact", "ast", "analysis_pass", "error_gone", "preservation", "over_edits")


def resolve_models(ctx, refs: list[str]) -> list:
    from sqlfix.registry.models import resolve

    cache = Path(ctx.cfg["evaluate"]["model_cache"])
    return [resolve(ref, ctx.cfg["train"], cache) for ref in refs]


def eval_samples(ctx, models: list, input_file: str | None, version: int | None, limit: int | None):
    """(samples, eval_set label) — a file, or sft_eval at the version asked for or the models were trained on."""
    from sqlfix.registry.models import eval_version

    if input_file:
        path = Path(input_file)
        if not path.is_file():
            raise UsageError("no such file", input=input_file)
        samples = read_eval_file(path)
        label = f"file:{path.name}#{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
    else:
        if version is None:
            trained = {eval_version(m.dataset_version) for m in models if m.dataset_version}
            trained.discard(None)
            if len(trained) > 1:
                raise UsageError("the models were trained on different dataset versions",
                                 input=", ".join(f"{m.label}: {m.dataset_version}" for m in models),
                                 hint="pick one with --eval-version N")  # fmt: skip
            version = trained.pop() if trained else ctx.lake.version("sft_eval")
        if version is None or not ctx.lake.exists("sft_eval"):
            raise UsageError("there is no eval set", hint="sqlfix build-dataset, or --input FILE.jsonl")
        samples = [r.asDict() for r in ctx.lake.read("sft_eval", version=version).collect()]
        label = f"sft_eval@v{version}"
        if not samples:
            raise UsageError("the eval set is empty", input=label, hint="sqlfix build-dataset, or --eval-version N")
    picked = pick(samples, limit)
    if len(picked) < len(samples):  # a sample of the set is its own eval set (promotion compares like with like)
        label += f"#pick{len(picked)}"
    return picked, label


def evaluate_models(
    ctx, models: list, samples: list[dict], eval_set: str, ecfg: dict, mlflow: bool = True
) -> list[dict]:
    """Evaluate each model on the same samples; writes ``eval_runs`` and ``eval_predictions``; returns one
    record per model (``eval_runs`` row plus ``summary`` and ``label``)."""
    from sqlfix.evaluation.evaluate import evaluate
    from sqlfix.evaluation.plots import accuracy_figure
    from sqlfix.filtering.judge import judge_from_config
    from sqlfix.inference.generate import load_generator
    from sqlfix.tables import EVAL_PREDICTIONS, EVAL_RUNS

    judge = judge_from_config(ctx.spark, ctx.cfg)
    records = []
    for model in models:
        print(f"evaluate: {model.label} ({model.path}) on {eval_set}, {len(samples)} samples")
        started = time.perf_counter()
        generator = load_generator(model.path, ecfg["backend"], int(ecfg["batch_size"]), int(ecfg["max_new_tokens"]))
        rows, summary = evaluate(generator, judge, samples)
        seconds = time.perf_counter() - started
        run_id, now = uuid.uuid4().hex, dt.datetime.now(dt.timezone.utc)
        overall = summary["overall"]
        mlflow_run = None
        if mlflow:
            from sqlfix.registry.tracking import log_evaluation

            figures = {"accuracy_by_category.png": accuracy_figure({model.label: summary}, "by_category_l2"),
                       "accuracy_by_diff_size.png": accuracy_figure({model.label: summary}, "by_diff_bucket")}  # fmt: skip
            mlflow_run = log_evaluation(ctx.cfg["train"]["mlflow"], model.run_id, model.label, eval_set, overall,
                                        figures, {"eval_set": eval_set, "samples": len(samples)})  # fmt: skip
        record = {
            "eval_run_id": run_id, "evaluated_at": now, "model_ref": model.ref, "model_name": model.name,
            "model_version": model.version, "model_path": model.path, "trained_on": model.dataset_version,
            "eval_set": eval_set, "samples": len(rows), **{m: overall.get(m) for m in TABLE_METRICS},
            "metrics": json.dumps(summary, sort_keys=True), "mlflow_run_id": mlflow_run, "seconds": round(seconds, 3),
            "config": json.dumps({k: ecfg[k] for k in ("backend", "batch_size", "max_new_tokens")}, sort_keys=True),
            "samples_per_second": round(getattr(generator, "samples_per_second", 0.0), 4),
        }  # fmt: skip
        predictions = [{"eval_run_id": run_id, "model_ref": model.ref,
                        **{c.name: r.get(c.name) for c in EVAL_PREDICTIONS.columns if c.name not in ("eval_run_id", "model_ref")}}
                       for r in rows]  # fmt: skip
        ctx.lake.merge("eval_predictions", ctx.spark.createDataFrame(predictions, EVAL_PREDICTIONS.spark_schema))
        ctx.lake.merge("eval_runs", ctx.spark.createDataFrame([record], EVAL_RUNS.spark_schema))
        records.append({**record, "summary": summary, "label": model.label})
        del generator
    return records


def table(records: list[dict]) -> str:
    """The paper's Table 1 shape: one row per model, the metrics as percentages."""
    head = f"{'model':<28} {'n':>4} " + " ".join(f"{m:>13}" for m in TABLE_METRICS)
    lines = [head, "-" * len(head)]
    for r in records:
        cells = []
        for m in TABLE_METRICS:
            v = r.get(m)
            cells.append(f"{'-':>13}" if v is None else f"{v:>13.2f}" if m == "over_edits" else f"{100 * v:>12.1f}%")
        lines.append(f"{r['label'][:28]:<28} {r['samples']:>4} " + " ".join(cells))
    return "\n".join(lines)
