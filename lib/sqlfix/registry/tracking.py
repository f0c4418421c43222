"""Log a finished training run to MLflow and register its model with alias ``challenger``."""

from __future__ import annotations

import os
from pathlib import Path

PIP_REQUIREMENTS = ["torch", "transformers", "accelerate", "tokenizers", "safetensors"]
FIXER_REQUIREMENTS = [*PIP_REQUIREMENTS, "pyspark", "sqlglot", "pandas"]


def log_model(final_dir: Path, registered_model: str, python_model=None):
    """Log (inside the active run) and register the model folder; returns MLflow's ModelInfo."""
    import mlflow

    if python_model is not None:
        return mlflow.pyfunc.log_model(
            name="model", python_model=python_model, artifacts={"hf_model": str(final_dir)},
            pip_requirements=FIXER_REQUIREMENTS, registered_model_name=registered_model,
        )  # fmt: skip
    from transformers import AutoModelForCausalLM, AutoTokenizer

    components = {
        "model": AutoModelForCausalLM.from_pretrained(final_dir),
        "tokenizer": AutoTokenizer.from_pretrained(final_dir),
    }
    return mlflow.transformers.log_model(
        transformers_model=components, name="model", task="text-generation",
        pip_requirements=PIP_REQUIREMENTS, registered_model_name=registered_model,
    )  # fmt: skip


def loss_figure(history: list[dict]):
    """Total, diff-line and consistent-line training loss per step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in (
        ("loss", "total (trained tokens)"),
        ("loss_diff", "diff lines"),
        ("loss_consistent", "consistent lines"),
    ):
        points = [(h["step"], h[key]) for h in history if key in h and "step" in h]
        if points:
            ax.plot(*zip(*points, strict=True), label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy")
    ax.set_title("DM-SFT training loss")
    ax.legend()
    fig.tight_layout()
    return fig


def log_training(cfg: dict, recipe, final_dir: Path, metrics: dict, config_files: list[str], python_model=None) -> dict:
    """Parameters, dataset version, config files, per-step metrics, the loss plot and the registered model.
    ``cfg`` is the recipe's resolved training config (every key present). With ``python_model`` (the fixer
    pyfunc, which the command layer passes) the model is logged as that pyfunc with the HF folder as its
    artifact ``hf_model``; without, as a plain transformers text-generation model."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import mlflow

    mcfg = cfg["mlflow"]
    mlflow.set_tracking_uri(mcfg["tracking_uri"])
    mlflow.set_experiment(mcfg["experiment"])
    name = mcfg["registered_model"]
    history = recipe.trainer.state.log_history
    with mlflow.start_run(run_name=mcfg["run_name"]) as run:
        mlflow.log_params({
            "p": cfg["p"], "mode": cfg["mode"], "base_model": cfg["model"],
            "learning_rate": cfg["learning_rate"], "batch_size": cfg["batch_size"], "epochs": cfg["epochs"],
            "max_steps": cfg["max_steps"], "deepspeed": cfg["deepspeed"] or "none",
            "dataset_version": recipe.manifest.get("dataset_version"), "train_examples": len(recipe.train_examples),
            "too_long_examples": recipe.too_long, "resumed_from": recipe.resumed_from or "none",
        })  # fmt: skip
        mlflow.set_tag("dataset_version", recipe.manifest.get("dataset_version"))
        for entry in history:
            values = {
                k: float(v) for k, v in entry.items() if k not in ("step", "epoch") and isinstance(v, (int, float))
            }
            if values and "step" in entry:
                mlflow.log_metrics(
                    {k.replace("train_", "final_"): v for k, v in values.items()}, step=int(entry["step"])
                )
        mlflow.log_metrics({f"final_{k}": float(v) for k, v in metrics.items() if isinstance(v, (int, float))})
        for file in config_files:
            if file and Path(file).is_file():
                mlflow.log_artifact(file, artifact_path="config")
        mlflow.log_figure(loss_figure(history), "loss_curves.png")
        info = log_model(final_dir, name, python_model)
        version = info.registered_model_version
        mlflow.MlflowClient().set_registered_model_alias(name, "challenger", version)
        return {"run_id": run.info.run_id, "registered_model": name, "version": version}


def log_evaluation(mlflow_cfg: dict, run_id: str | None, label: str, eval_set: str, overall: dict,
                   figures: dict, params: dict) -> str:  # fmt: skip
    """Metrics (``eval_<metric>``) and figures of one model's evaluation: on the model's own training run
    when it has one, else on a new run of the evaluation experiment. Returns the run id."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import mlflow

    mlflow.set_tracking_uri(mlflow_cfg["tracking_uri"])
    if run_id is None:
        mlflow.set_experiment(mlflow_cfg.get("eval_experiment") or "sqlfix-eval")
    else:  # the model's own training run, in its own experiment
        mlflow.set_experiment(experiment_id=mlflow.MlflowClient().get_run(run_id).info.experiment_id)
    with mlflow.start_run(run_id=run_id, run_name=None if run_id else f"evaluate {label}") as run:
        mlflow.log_metrics({f"eval_{k}": float(v) for k, v in overall.items() if isinstance(v, (int, float))})
        mlflow.set_tag("eval_set", eval_set)
        if run_id is None:
            mlflow.log_params({"model": label, **params})
        for name, fig in figures.items():
            mlflow.log_figure(fig, f"eval/{name}")
        return run.info.run_id
