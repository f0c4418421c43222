"""``sqlfix train``: run the DM-SFT recipe from a config file, then log and register the model in MLflow.

    sqlfix train --config conf/train/dmsft.yaml [--p 0.5] [--deepspeed conf/deepspeed/zero2.json]
    deepspeed --num_gpus 8 -m sqlfix.cli train --config ...   # many GPUs: every rank runs it, rank 0 logs

No Spark session is started. With a DeepSpeed config and no launcher, one local process group is set up.

``--on-spark``: the same recipe on a Spark cluster, launched on the executors by PySpark's distributors.
``TorchDistributor`` starts ``num_processes`` ranks (torchrun environment), each running ``run_training``;
with a DeepSpeed config and GPUs, ``DeepspeedTorchDistributor`` launches through DeepSpeed instead. Rank 0
logs to MLflow (its tracking URI must be reachable from the executors, e.g. Databricks' own ``databricks``
URI). ``local_mode=True`` runs the ranks on the driver (tests, one node).
"""

from __future__ import annotations

import argparse
import sys

from sqlfix.commands import Subcommand
from sqlfix.config import resolve_conf_path

FLAGS = {flag: f"train.{flag}" for flag in ("p", "mode", "deepspeed", "max_steps", "model", "dataset_dir",
                                             "output_dir")}  # fmt: skip


def train_config(ctx) -> dict:
    """The ``train`` section as the command runs it: the profile's defaults, the ``--config`` recipe,
    ``--set``, then this command's own flags (all laid by the command line, ``Subcommand.flags``)."""
    cfg = dict(ctx.cfg["train"])
    if cfg.get("deepspeed"):  # a DeepSpeed config, like the recipe, resolves beside the installed configs
        cfg["deepspeed"] = str(resolve_conf_path(cfg["deepspeed"]) or cfg["deepspeed"])
    return cfg


def _train(cfg: dict, register: bool) -> dict:  # on each Spark rank
    from sqlfix.repair.pyfunc import train_fixer

    return train_fixer(cfg, register=register)


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


def add_arguments(parser) -> None:
    parser.add_argument(
        "--config", default="conf/train/dmsft.yaml", help="training recipe laid over the profile's train: settings"
    )
    parser.add_argument("--p", type=float, help="DM-SFT drop probability of consistent lines (0 = plain SFT)")
    parser.add_argument(
        "--mode", choices=("line", "token"), help="drop whole lines (DM-SFT) or single tokens (ablation)"
    )
    parser.add_argument("--deepspeed", help="DeepSpeed config, e.g. conf/deepspeed/zero2.json")
    parser.add_argument("--max-steps", dest="max_steps", type=int)
    parser.add_argument("--model", help="local base model folder")
    parser.add_argument("--dataset-dir", dest="dataset_dir", help="folder of `sqlfix build-dataset --export`")
    parser.add_argument("--output-dir", dest="output_dir")
    parser.add_argument("--no-register", action="store_true", help="train and save, but log nothing to MLflow")
    parser.add_argument(
        "--on-spark", action="store_true", help="launch the ranks on the Spark cluster (TorchDistributor)"
    )
    parser.add_argument("--num-processes", type=int, default=1, help="--on-spark: ranks (GPUs) to train on")
    parser.add_argument("--use-gpu", action="store_true", help="--on-spark: one GPU per rank")
    parser.add_argument("--local_rank", type=int, help=argparse.SUPPRESS)  # set by the deepspeed launcher


def _terminate_cleanly() -> None:
    """SIGTERM (a cancelled job, a preempted node) becomes an ordinary exit, so that an MLflow run in progress
    ends FAILED instead of staying RUNNING."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def run(ctx, args) -> int:
    _terminate_cleanly()
    cfg = train_config(ctx)
    print(f"train: stage {cfg['stage']}, p={cfg['p']}, mode {cfg['mode']}, model {cfg['model']}, "
          f"{'corpus ' + str(cfg['corpus']) if cfg['stage'] == 'cpt' else 'dataset ' + str(cfg['dataset_dir'])}, "
          f"output {cfg['output_dir']}")  # fmt: skip
    if args.on_spark:
        ctx.spark  # noqa: B018 - the distributor needs the active session
        result = train_on_spark(cfg, args.num_processes, args.use_gpu, register=not args.no_register)
    else:
        from sqlfix.repair.pyfunc import train_fixer

        result = train_fixer(cfg, str(resolve_conf_path(args.config)), register=not args.no_register)
    print(f"train: {result['steps']} steps (resumed from {result['resumed_from'] or 'scratch'}), model in {result['final']}, "
          f"train loss {result['metrics'].get('train_loss', float('nan')):.4f}")  # fmt: skip
    if "version" in result:
        print(
            f"train: registered {result['registered_model']} version {result['version']} as challenger (run {result['run_id'][:8]})"
        )
    return 0


SUBCOMMANDS = {
    "train": Subcommand(
        "Train a SQL fixer with DM-SFT (HF Trainer, DeepSpeed, MLflow).",
        add_arguments,
        run,
        layers=lambda args: {"train": args.config},
        section="train",
        flags=FLAGS,
    )  # fmt: skip
}
