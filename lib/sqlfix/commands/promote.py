"""``sqlfix promote`` / ``sqlfix rollback``: the champion alias moves only on evidence.

    sqlfix promote [--challenger @challenger] [--limit N]   # evaluates what eval_runs lacks, then decides
    sqlfix rollback                                         # champion back to the version it replaced

Challenger and champion (or, with no champion yet, the base model) are compared on the same eval set: the
``sft_eval`` version the challenger was trained against. Evaluations already in ``eval_runs`` for that
model version and eval set are reused. The decision, its reason and evidence become tags of the
challenger's model version (``registry.promotion``).
"""

from __future__ import annotations

from sqlfix.commands import Subcommand
from sqlfix.evaluation.promote import promote


def _add_promote(parser) -> None:
    parser.add_argument("--challenger", default="@challenger", help="the version to consider (default @challenger)")
    parser.add_argument("--eval-version", type=int, help="sft_eval version (default: the challenger's)")
    parser.add_argument("--limit", type=int, help="evaluate this many samples (default: evaluate.limit)")
    parser.add_argument("--dry-run", action="store_true", help="decide and print, change nothing")


def _run_promote(ctx, args) -> int:
    decision = promote(ctx, args.challenger, args.eval_version, dry_run=args.dry_run)
    return 0 if decision.promote else 3


def _add_rollback(parser) -> None:
    pass


def _run_rollback(ctx, args) -> int:
    import mlflow

    from sqlfix.registry.promotion import ALIAS, rollback
    from sqlfix.registry.tracking import use_registry

    name = ctx.cfg["train"]["mlflow"]["registered_model"]
    use_registry(ctx.cfg["train"]["mlflow"])
    old, new = rollback(mlflow.MlflowClient(), name)
    print(f"rollback: {name} @{ALIAS} v{old} -> v{new}")
    return 0


SUBCOMMANDS = {
    "promote": Subcommand(
        "Promote the challenger to champion when it wins on the same eval set.",
        _add_promote,
        _run_promote,
        section="promote",
        flags={"limit": "evaluate.limit"},
    ),  # fmt: skip
    "rollback": Subcommand("Move the champion alias back to the version it replaced.", _add_rollback, _run_rollback),
}
