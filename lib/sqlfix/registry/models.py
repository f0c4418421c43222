"""Model references -> local model folders: a folder, ``base``, or a registry reference.

``base`` is the untrained base model (``train.model``); ``@champion``, ``@challenger`` (any alias), ``v3`` or
``3`` name a version of ``train.mlflow.registered_model``; ``models:/name@alias`` and ``models:/name/3`` are
MLflow's own URIs. A registered version is downloaded once into ``models/registry/<name>-v<version>`` and
its HF folder (the one with ``config.json``) is what generation loads. The version's training run gives the
dataset version it was trained on.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlfix.errors import SqlfixError, UsageError


@dataclass(frozen=True)
class ResolvedModel:
    ref: str  # as the user wrote it
    path: str  # the local HF folder
    name: str | None = None  # registered model name
    version: str | None = None
    run_id: str | None = None
    dataset_version: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}" if self.version else self.ref


def registry_uri(ref: str, registered_model: str) -> str | None:
    """The ``models:/`` URI a reference names, or None for a folder or ``base``.

    Example:
        >>> [registry_uri(r, "fixer") for r in ("@champion", "v3", "4", "models:/x@a", "base", "runs/final")]
        ['models:/fixer@champion', 'models:/fixer/3', 'models:/fixer/4', 'models:/x@a', None, None]
    """
    if ref.startswith("models:/"):
        return ref
    if ref.startswith("@"):
        return f"models:/{registered_model}{ref}"
    m = re.fullmatch(r"v?(\d+)", ref)
    return f"models:/{registered_model}/{m.group(1)}" if m else None


def hf_folder(root: Path) -> Path:
    """The folder under ``root`` that holds an HF model (``config.json`` beside weights)."""
    for config in sorted(root.rglob("config.json"), key=lambda p: len(p.parts)):
        if any(config.parent.glob("*.safetensors")) or any(config.parent.glob("*.bin")):
            return config.parent
    raise SqlfixError("the registered model holds no HF model folder", input=str(root))


def resolve(ref: str, train_cfg: dict, cache: Path) -> ResolvedModel:
    """A local folder for ``ref`` (downloading a registry version once into ``cache``)."""
    ref = ref.strip()
    if ref == "base":
        path = Path(train_cfg["model"])
        if not path.is_dir():
            raise UsageError("the base model is not there", input=str(path), hint="make model (sqlfix prepare-model)")
        return ResolvedModel("base", str(path))
    uri = registry_uri(ref, train_cfg["mlflow"]["registered_model"])
    if uri is None:
        if not Path(ref).is_dir():
            raise UsageError("not a model folder or registry reference", input=ref,
                             hint="a local HF folder, base, @champion, @challenger, v3, or models:/name@alias")  # fmt: skip
        return ResolvedModel(ref, str(hf_folder(Path(ref))))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import mlflow
    from mlflow.exceptions import MlflowException

    from sqlfix.registry.tracking import use_registry

    use_registry(train_cfg["mlflow"])
    client = mlflow.MlflowClient()
    name, _, rest = uri.removeprefix("models:/").partition("/")
    try:
        if "@" in name:
            name, alias = name.split("@", 1)
            mv = client.get_model_version_by_alias(name, alias)
        else:
            mv = client.get_model_version(name, rest)
    except MlflowException as exc:
        raise UsageError("no such registered model version", input=uri, hint=str(exc).splitlines()[0][:200]) from None
    target = cache / f"{name}-v{mv.version}"
    if not (target / ".complete").is_file():
        target.mkdir(parents=True, exist_ok=True)
        mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{mv.version}", dst_path=str(target))
        (target / ".complete").write_text(str(mv.version))
    dataset_version = None
    if mv.run_id:
        try:
            dataset_version = client.get_run(mv.run_id).data.tags.get("dataset_version")
        except MlflowException:
            pass
    return ResolvedModel(ref, str(hf_folder(target)), name, str(mv.version), mv.run_id, dataset_version)


def eval_version(dataset_version: str | None) -> int | None:
    """The ``sft_eval`` Delta version in a dataset version string.

    Example:
        >>> eval_version("sft_train@v4+sft_eval@v5"), eval_version(None)
        (5, None)
    """
    m = re.search(r"sft_eval@v(\d+)", dataset_version or "")
    return int(m.group(1)) if m else None
