"""Training on a Spark cluster: the same recipe, launched on the executors by PySpark's distributors.

``TorchDistributor`` starts ``num_processes`` ranks (torchrun environment: RANK, WORLD_SIZE, MASTER_ADDR...),
each running ``run_training``; with a DeepSpeed config and GPUs, ``DeepspeedTorchDistributor`` launches
through DeepSpeed instead. Rank 0 logs to MLflow (its tracking URI must be reachable from the executors,
e.g. Databricks' own ``databricks`` URI). ``local_mode=True`` runs the ranks on the driver (tests, one node).
"""

from __future__ import annotations


def _train(cfg: dict, register: bool) -> dict:
    from sqlfix.training.job import run_training

    return run_training(cfg, register=register)


def train_on_spark(
    cfg: dict, num_processes: int = 1, use_gpu: bool = False, local_mode: bool = False, register: bool = True
) -> dict:
    """Run the recipe on Spark; returns rank 0's result."""
    if cfg.get("deepspeed") and use_gpu:
        from pyspark.ml.deepspeed.deepspeed_distributor import DeepspeedTorchDistributor

        distributor = DeepspeedTorchDistributor(
            numGpus=num_processes, nnodes=1, localMode=local_mode, useGpu=True, deepspeedConfig=cfg["deepspeed"]
        )
    else:
        from pyspark.ml.torch.distributor import TorchDistributor

        distributor = TorchDistributor(num_processes=num_processes, local_mode=local_mode, use_gpu=use_gpu)
    return distributor.run(_train, cfg, register)
