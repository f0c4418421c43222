"""Log a finished training run to MLflow and register its model with alias ``challenger``."""

from __future__ import annotations

import os
from pathlib import Path

PIP_REQUIREMENTS = ["torch", "transformers", "accelerate", "tokenizers", "safetensors"]
FIXER_REQUIREMENTS = [*PIP_REQUIREMENTS, "pyspark", "sqlglot", "pandas"]


def fixer_signature():
    """The served fixer's columns (what Unity Catalog requires of a registered model): ``sql`` in, with
    optional ``schema`` and ``error``; the fix and its evidence out."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([ColSpec("string", "sql"), ColSpec("string", "schema", required=False),
                     ColSpec("string", "error", required=False)])  # fmt: skip
    outputs = Schema([ColSpec("string", "fixed_sql", required=False), ColSpec("boolean", "verified"),
                      ColSpec("string", "source", required=False), ColSpec("string", "diff", required=False),
                      ColSpec("string", "last_error", required=False), ColSpec("string", "confidence", required=False),
                      ColSpec("string", "reason", required=False)])  # fmt: skip
    return ModelSignature(inputs=inputs, outputs=outputs)


INPUT_EXAMPLE = {
    "sql": ["SELECT order_id, amount FROM example_shop.orders WHERE amount > 10"],
    "schema": ["CREATE TABLE example_shop.orders (order_id BIGINT, amount DOUBLE)"],
    "error": [""],
}


def log_model(final_dir: Path, registered_model: str, python_model=None):
    """Log (inside the active run) and register the model folder; returns MLflow's ModelInfo. The fixer
    pyfunc carries its signature and an input example (Unity Catalog registers no model without one)."""
    import mlflow

    if python_model is not None:
        import pandas as pd

        return mlflow.pyfunc.log_model(
            name="model", python_model=python_model, artifacts={"hf_model": str(final_dir)},
            pip_requirements=FIXER_REQUIREMENTS, registered_model_name=registered_model,
            signature=fixer_signature(), input_example=pd.DataFrame(INPUT_EXAMPLE),
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


def check_registered_name(name: str, registry_uri: str | None) -> None:
    """Unity Catalog names a model ``catalog.schema.model``; any other registry takes a plain name.

    Example:
        >>> check_registered_name("main.sqlfix.fixer", "databricks-uc")
        >>> check_registered_name("sqlfix-fixer", "databricks-uc")
        Traceback (most recent call last):
        ...
        sqlfix.errors.UsageError: Unity Catalog needs a three-part model name: catalog.schema.model: 'sqlfix-fixer' — set train.mlflow.registered_model
    """
    from sqlfix.errors import UsageError

    if (registry_uri or "").startswith("databricks-uc") and len(name.split(".")) != 3:
        raise UsageError("Unity Catalog needs a three-part model name: catalog.schema.model", input=repr(name),
                         hint="set train.mlflow.registered_model")  # fmt: skip


OUTPUT_TAG, FINGERPRINT_TAG = "sqlfix.output_dir", "sqlfix.model_fingerprint"


def use_registry(mlflow_cfg: dict) -> None:
    """Point MLflow at the configured tracking server and model registry (``registry_uri``: Unity Catalog's
    ``databricks-uc``; unset: the tracking server's own)."""
    import mlflow

    mlflow.set_tracking_uri(mlflow_cfg["tracking_uri"])
    if mlflow_cfg.get("registry_uri"):
        mlflow.set_registry_uri(mlflow_cfg["registry_uri"])


def model_fingerprint(folder: Path) -> str:
    """SHA-256 over a model folder's files (names and bytes, in name order): the same weights, the same
    fingerprint, so a rerun finds what an interrupted one registered."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def close_stale_runs(client, experiment_id: str, output_dir: str) -> list[str]:
    """End as FAILED the runs of ``experiment_id`` still RUNNING for ``output_dir``: a run killed (SIGKILL,
    a lost node) cannot end itself, so the next run of the same output folder does. Returns their ids."""
    quoted = output_dir.replace("'", "''")
    runs = client.search_runs([experiment_id], f"tags.`{OUTPUT_TAG}` = '{quoted}' AND attributes.status = 'RUNNING'")
    for run in runs:
        client.set_terminated(run.info.run_id, "FAILED")
        print(f"train: closed run {run.info.run_id[:8]} of {output_dir}, left RUNNING by a killed run", flush=True)
    return [r.info.run_id for r in runs]


def registered_version(client, name: str, fingerprint: str):
    """The newest version of ``name`` registered from a run whose model has ``fingerprint`` (what a run
    killed between registering and setting the alias left), or ``None``."""
    quoted = name.replace("'", "''")
    for version in sorted(client.search_model_versions(f"name = '{quoted}'"), key=lambda v: -int(v.version)):
        if not version.run_id:
            continue
        if client.get_run(version.run_id).data.tags.get(FINGERPRINT_TAG) == fingerprint:
            return version
    return None


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
    use_registry(mcfg)
    name = mcfg["registered_model"]
    check_registered_name(name, mlflow.get_registry_uri())
    experiment = mlflow.set_experiment(mcfg["experiment"])
    client = mlflow.MlflowClient()
    output_dir = str(Path(cfg["output_dir"]).resolve())
    close_stale_runs(client, experiment.experiment_id, output_dir)
    fingerprint = model_fingerprint(final_dir)
    done = registered_version(client, name, fingerprint)
    if done is not None:  # an earlier run registered this very model and was killed before its alias
        client.set_registered_model_alias(name, "challenger", done.version)
        if client.get_run(done.run_id).info.status != "FINISHED":
            client.set_terminated(done.run_id, "FINISHED")
        print(f"train: completed the registration of {name} version {done.version} (run {done.run_id[:8]})")
        return {"run_id": done.run_id, "registered_model": name, "version": done.version}
    history = recipe.trainer.state.log_history
    tags = {OUTPUT_TAG: output_dir, FINGERPRINT_TAG: fingerprint}
    # A failure anywhere below ends the run FAILED (MLflow's context manager); SIGTERM is turned into such a
    # failure by the command; a SIGKILL is closed by the next run of the same output folder.
    with mlflow.start_run(run_name=mcfg["run_name"], tags=tags) as run:
        mlflow.log_params({
            "p": cfg["p"], "mode": cfg["mode"], "base_model": cfg["model"],
            "learning_rate": cfg["learning_rate"], "batch_size": cfg["batch_size"], "epochs": cfg["epochs"],
            "max_steps": cfg["max_steps"], "deepspeed": cfg["deepspeed"] or "none",
            "dataset_version": recipe.manifest.get("dataset_version"), "train_examples": len(recipe.train_examples),
            "too_long_examples": recipe.too_long, "resumed_from": recipe.resumed_from or "none",
            "lora": (f"r={cfg['lora']['r']},alpha={cfg['lora']['alpha']},merge={cfg['lora']['merge']}"
                     if cfg.get("lora", {}).get("enabled") else "none"),
            **getattr(recipe, "lora_params", {}),
        })  # fmt: skip
        mlflow.set_tag("dataset_version", recipe.manifest.get("dataset_version"))
        _log_dataset(cfg, recipe)
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
        if cfg.get("kill_at") == "before_alias":  # fault drill: registered, no alias (the next run completes it)
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
        client.set_registered_model_alias(name, "challenger", version)
        return {"run_id": run.info.run_id, "registered_model": name, "version": version}


def _log_dataset(cfg: dict, recipe) -> None:
    """The training set as the run's input (lineage): its version as the name, the folder as the source,
    a digest of its training file."""
    import hashlib
    import warnings

    import mlflow
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    folder = Path(cfg.get("dataset_dir") or cfg.get("corpus") or ".").resolve()
    train = folder / "train.jsonl" if folder.is_dir() else folder
    digest = hashlib.sha256(train.read_bytes()).hexdigest()[:16] if train.is_file() else "none"
    version = recipe.manifest.get("dataset_version") or folder.name
    with warnings.catch_warnings():  # a local folder "can be interpreted in multiple ways", all of them local
        warnings.simplefilter("ignore")
        source = resolve_dataset_source(str(folder))
    mlflow.log_input(MetaDataset(source, name=str(version), digest=digest), context="training")


def log_evaluation(mlflow_cfg: dict, run_id: str | None, label: str, eval_set: str, overall: dict,
                   figures: dict, params: dict) -> str:  # fmt: skip
    """Metrics (``eval_<metric>``) and figures of one model's evaluation: on the model's own training run
    when it has one, else on a new run of the evaluation experiment. Returns the run id."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import mlflow

    use_registry(mlflow_cfg)
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
