"""``sqlfix experiment dmsft``: plain SFT against DM-SFT on one dataset, eval set, base model and seed.

    sqlfix experiment dmsft                                   # the profile's experiment: (CPU scale)
    sqlfix experiment dmsft --config conf/experiment/gpu.yaml # the full sweep (a GPU)
    sqlfix experiment dmsft --stage train --arms sft,p0.5     # train two arms here ...
    sqlfix experiment dmsft --stage score                     # ... score them where Spark runs, then
    sqlfix experiment dmsft --stage report                    # the table, the figures, MLflow

Stages (``experiment/dmsft.py``): ``train`` writes each arm's fixes at its evaluation steps and its losses;
``score`` dry-runs and scores them (needs Spark, never executes a prediction); ``report`` writes
``summary.json``, ``report.md`` and the figures into the experiment folder and logs them to MLflow (one
parent run, a child run per arm). ``all`` (the default) runs the three. An arm already trained is kept, so
a killed experiment re-run continues with the next arm.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError


def _add(parser) -> None:
    parser.add_argument("name", choices=("dmsft",), help="dmsft: SFT vs DM-SFT at several drop rates p")
    parser.add_argument("--config", help="an experiment file laid over the profile's experiment: section "
                        "(conf/experiment/cpu.yaml, conf/experiment/gpu.yaml)")  # fmt: skip
    parser.add_argument(
        "--stage",
        choices=("all", "plan", "train", "score", "report"),
        default="all",
        help="plan: draw the eval sets only (for a train stage elsewhere: benchmarks/dmsft_vs_sft.py)",
    )
    parser.add_argument("--arms", help="comma-separated arm names to train (default: every arm)")
    parser.add_argument("--dataset-dir", help="an exported dataset (default: experiment.dataset_dir, then "
                        "train.dataset_dir)")  # fmt: skip
    parser.add_argument("--output-dir", help="the experiment's folder (default: experiment.output_dir)")
    parser.add_argument("--no-mlflow", action="store_true", help="files only")


def _say(text: str) -> None:
    print(f"experiment: {text}", flush=True)


def _run(ctx, args) -> int:
    from sqlfix.experiment import dmsft

    ecfg = ctx.cfg["experiment"]
    out = Path(ecfg["output_dir"])
    data = Path(ecfg["dataset_dir"] or ctx.cfg["train"]["dataset_dir"])
    only = [a.strip() for a in args.arms.split(",") if a.strip()] if args.arms else None
    arms = dmsft.parse_arms(ecfg["arms"], only)
    started = time.perf_counter()
    if args.stage in ("all", "plan", "train"):
        if not (data / "manifest.json").is_file() or not (data / "eval.jsonl").is_file():
            raise UsageError("no exported dataset", input=str(data),
                             hint="sqlfix demo --until dataset (or sqlfix build-dataset --export DIR)")  # fmt: skip
        _check_held_out(data, set(ecfg["held_out"] or []))
        plan = dmsft.plan(out, data, arms, ecfg, list(ecfg["held_out"] or []))
        train_cfg = {**ctx.cfg["train"], "dataset_dir": str(data)}
        _say(f"{len(arms)} arms x {plan['max_steps']} steps on {plan['dataset_version']}, fixes every "
             f"{plan['eval_every']} steps for {len(plan['samples']['in_domain'])} in-domain + "
             f"{len(plan['samples']['held_out'])} held-out samples -> {out}")  # fmt: skip
    if args.stage in ("all", "train"):
        dmsft.base_predictions(out, train_cfg["model"], plan, _say)
        for arm in arms:
            record = dmsft.train_arm(arm, plan, train_cfg, out, _say)
            _say(f"{arm.name}: {record['steps']} steps, train {record['train_seconds']}s, "
                 f"fixes {record['generate_seconds']}s")  # fmt: skip
    if args.stage in ("all", "score"):
        from sqlfix.filtering.judge import judge_from_config

        if not (out / "plan.json").is_file():
            raise UsageError("no experiment to score", input=str(out), hint="run --stage train first")
        dmsft.score_predictions(out, judge_from_config(ctx.spark, ctx.cfg), _say)
    if args.stage in ("all", "report"):
        if not (out / "scores.jsonl").is_file():
            raise UsageError("no scores to report", input=str(out), hint="run --stage score first")
        summary = dmsft.summarize(out, dmsft.read_jsonl(out / "scores.jsonl"))
        table = dmsft.markdown(summary)
        (out / "report.md").write_text(f"# SFT vs DM-SFT ({summary['plan']['dataset_version']})\n\n{table}")
        paths = dmsft.figures(summary, out)
        print(table, end="")
        _say(f"figures: {', '.join(str(p) for p in paths.values())}")
        if not args.no_mlflow:
            run_id = dmsft.log_mlflow(summary, out, paths, ctx.cfg["train"]["mlflow"], out.name)
            _say(f"logged to MLflow run {run_id[:8]} (one child run per arm)")
    _say(f"done in {time.perf_counter() - started:.0f}s")
    return 0


def _check_held_out(data: Path, held_out: set[str]) -> None:
    """A held-out database must not appear in the training file: the held-out set would not be held out."""
    from sqlfix.dataset.build import databases
    from sqlfix.experiment.dmsft import read_jsonl

    leaked = sorted({d for r in read_jsonl(data / "train.jsonl") for d in databases(r["bug_sql"]) & held_out})
    if leaked:
        raise UsageError(f"held-out databases {', '.join(leaked)} appear in the training data",
                         input=str(data / "train.jsonl"),
                         hint="build the dataset with dataset.holdout_databases set to them")  # fmt: skip


SUBCOMMANDS = {
    "experiment": Subcommand(
        "Run an experiment: SFT vs DM-SFT arms, evaluated every K steps (dmsft).",
        _add,
        _run,
        layers=lambda args: {"experiment": args.config} if args.config else {},
        section="experiment",
        flags={"dataset_dir": "experiment.dataset_dir", "output_dir": "experiment.output_dir"},
    )
}
