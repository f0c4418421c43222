"""``sqlfix build-dataset``: kept pairs of approved spot-check batches, and verified ``generated_pairs``
(``dataset.generated``), -> versioned ``sft_train`` / ``sft_eval``.

Each build overwrites both tables (a new Delta version each) unless the samples are unchanged, records the
versions in ``dataset_builds``, and with ``--export DIR`` writes ``train.jsonl``, ``eval.jsonl`` and
``manifest.json`` (the dataset version the trainer logs) for training outside Spark.
"""

from __future__ import annotations

from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.dataset.build import SplitConfig
from sqlfix.dataset.run import build, export


def add_arguments(parser) -> None:
    parser.add_argument(
        "--eval-fraction", type=float, default=None, help="natural eval sample (default dataset.eval_fraction)"
    )
    parser.add_argument(
        "--per-category", type=int, default=None, help="eval top-up per category (default dataset.per_category)"
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-generated", dest="generated", action="store_const", const=False, default=None,
                        help="leave generated_pairs out (mined pairs only; dataset.generated=false)")  # fmt: skip
    parser.add_argument(
        "--export", nargs="?", const="",
        help="also write train.jsonl, eval.jsonl and manifest.json to DIR (no DIR: train.dataset_dir, "
        "where sqlfix train reads them)",
    )  # fmt: skip


def run(ctx, args) -> int:
    cfg = ctx.cfg["dataset"]
    split_cfg = SplitConfig(
        eval_fraction=float(cfg["eval_fraction"]),
        per_category=int(cfg["per_category"]),
        seed=int(cfg["seed"]),
        holdout_databases=tuple(cfg["holdout_databases"] or ()),
        eval_sources=tuple(cfg["eval_sources"] or ()),
        generated=bool(cfg["generated"]),
    )
    result = build(ctx, split_cfg, cfg.get("anonymize"))
    state = (
        "unchanged, nothing written"
        if result["unchanged"]
        else f"sft_train v{result['train_version']}, sft_eval v{result['eval_version']}"
    )
    print(f"build-dataset: {result['train_rows']} train / {result['eval_rows']} eval samples "
          f"({result['duplicates']} duplicates dropped, {result['reserved']} reading an evaluation benchmark left "
          f"out -> sft_rejected): {state}")  # fmt: skip
    if args.export is not None:
        target = Path(args.export or ctx.cfg["train"]["dataset_dir"])
        manifest = export(ctx, target)
        print(f"build-dataset: exported {manifest['dataset_version']} to {target}")
    return 0


SUBCOMMANDS = {
    "build-dataset": Subcommand(
        "Build the versioned SFT train/eval sets from approved kept pairs.", add_arguments, run, section="dataset",
        flags={k: f"dataset.{k}" for k in ("eval_fraction", "per_category", "seed", "generated")},
    ),
}
