"""The training pipeline: the DM-SFT recipe in this process (setup, train, final save), then, on rank 0, the
caller's registration (``sqlfix.repair.pyfunc.fixer_registration`` logs and registers the fixer in MLflow).
Imports neither Spark nor MLflow: a GPU node may have neither."""

from __future__ import annotations

from collections.abc import Callable

from sqlfix.training.distributed import single_process_group

# (recipe, final model folder, metrics) -> what the registration adds to the result (run id, version, ...)
Registration = Callable[[object, object, dict], dict]


def run_training(cfg: dict, register: Registration | None = None) -> dict:
    """Train with ``cfg`` (the resolved ``train`` section); returns metrics, the final folder, the step reached
    and where it resumed from, plus what ``register`` returns (rank 0 only; None: register nothing)."""
    from sqlfix.training.recipe import DMSFTRecipe

    if cfg.get("deepspeed"):  # a partial config (tests) may leave it out: the recipe fills the defaults
        single_process_group()
    recipe = DMSFTRecipe(cfg)
    recipe.setup()
    metrics = recipe.train()
    final = recipe.save_checkpoint()
    result = {
        "metrics": metrics,
        "final": str(final),
        "resumed_from": recipe.resumed_from,
        "steps": recipe.trainer.state.global_step,
    }
    if register is not None and recipe.trainer.is_world_process_zero():
        result.update(register(recipe, final, metrics))
    recipe.cleanup()
    return result
