"""``sqlfix evaluate``: models on one eval set — generation, verification by the analyzer, metrics per
category and diff size, ``eval_runs`` / ``eval_predictions``, and MLflow metrics and plots.

    sqlfix evaluate --models base,@challenger,@champion            # the paper's Table 1 shape
    sqlfix evaluate --models runs/dmsft/final --input cases.jsonl  # your own cases

The eval set is ``sft_eval`` of the dataset version the first registered model was trained on (its MLflow
run's ``dataset_version``), ``--eval-version N``, or ``--input FILE.jsonl``.
"""

from __future__ import annotations

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.evaluation.run import eval_samples, evaluate_models, resolve_models, table


def _add(parser) -> None:
    parser.add_argument("--models", help="comma-separated: base, @alias, v3, models:/name@alias, or a folder "
                        "(default: evaluate.models)")  # fmt: skip
    parser.add_argument("--input", help="JSON Lines of schema, bug_sql, error_message, fixed_sql[, category]")
    parser.add_argument("--eval-version", type=int, help="sft_eval's Delta version (default: the model's)")
    parser.add_argument("--limit", type=int, help="evaluate this many samples (a seeded, category-stratified pick)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--backend", choices=("auto", "hf", "vllm"))
    parser.add_argument("--no-mlflow", action="store_true", help="write the lake tables only")


def _run(ctx, args) -> int:
    ecfg = ctx.cfg["evaluate"]
    refs = [r.strip() for r in str(ecfg["models"]).split(",") if r.strip()]
    if not refs:
        raise UsageError("no model to evaluate", hint="--models base,@challenger")
    models = resolve_models(ctx, refs)
    samples, eval_set = eval_samples(ctx, models, args.input, args.eval_version, ecfg.get("limit"))
    records = evaluate_models(ctx, models, samples, eval_set, ecfg, mlflow=not args.no_mlflow)
    print(table(records))
    return 0


SUBCOMMANDS = {
    "evaluate": Subcommand(
        "Evaluate fixers on an eval set (exact, AST, analysis pass, preservation).", _add, _run, section="evaluate",
        flags={k: f"evaluate.{k}" for k in ("models", "limit", "batch_size", "backend")},
    ),  # fmt: skip
}
