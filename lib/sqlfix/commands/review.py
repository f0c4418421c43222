"""``sqlfix review export|import``: blind human review of several models' predictions.

    sqlfix review export --runs RUN1,RUN2 --out review/ [--reviewers ann,bob,cho]   # review.csv + key.json
    sqlfix review import --input review/review.csv --key review/key.json

``export`` reads ``eval_predictions`` of the given evaluation runs (default: the newest run of each model
on the newest eval set), hides which model wrote what, shuffles, and assigns each item to three reviewers.
Reviewers fill ``verdict`` (correct / incorrect). ``import`` prints the accuracy per model (majority
verdict) and Fleiss' kappa.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.evaluation.review import blind_items, score_reviews

SHEET = ("item_id", "reviewer", "bug_sql", "error_message", "candidate_fix", "verdict")


def _add(parser) -> None:
    parser.add_argument("action", choices=("export", "import"))
    parser.add_argument("--runs", help="export: comma-separated eval_run_ids (default: newest per model)")
    parser.add_argument("--out", help="export: folder for review.csv and key.json")
    parser.add_argument("--reviewers", default="reviewer1,reviewer2,reviewer3", help="export: reviewer names")
    parser.add_argument("--per-item", type=int, default=3, help="export: reviewers per item")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--input", help="import: the filled review.csv")
    parser.add_argument("--key", help="import: key.json written by export")


def _export(ctx, args) -> int:
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    if not args.out:
        raise UsageError("review export needs --out DIR")
    if not ctx.lake.exists("eval_runs"):
        raise UsageError("no evaluation to review", hint="sqlfix evaluate --models base,@challenger")
    runs = ctx.lake.read("eval_runs")
    if args.runs:
        ids = [r.strip() for r in args.runs.split(",") if r.strip()]
    else:
        newest_set = runs.orderBy(F.col("evaluated_at").desc()).first()["eval_set"]
        latest = runs.filter(F.col("eval_set") == newest_set).withColumn(
            "_n", F.row_number().over(Window.partitionBy("model_ref").orderBy(F.col("evaluated_at").desc()))
        )
        ids = [r["eval_run_id"] for r in latest.filter("_n = 1").collect()]  # fmt: skip
    preds = ctx.lake.read("eval_predictions").filter(F.col("eval_run_id").isin(ids))
    rows = [r.asDict() for r in preds.select("model_ref", "sample_id", "bug_sql", "prediction").collect()]
    errors = {r["sample_id"]: r["error_message"] for r in ctx.lake.read("sft_eval").select("sample_id", "error_message").collect()} \
        if ctx.lake.exists("sft_eval") else {}  # fmt: skip
    for r in rows:
        r["error_message"] = errors.get(r["sample_id"], "")
    if len({r["model_ref"] for r in rows}) < 1:
        raise UsageError("the runs hold no predictions", input=",".join(ids))
    reviewers = [r.strip() for r in args.reviewers.split(",") if r.strip()]
    try:
        sheet, key = blind_items(rows, reviewers, args.per_item, args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "review.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SHEET)
        writer.writeheader()
        writer.writerows(sheet)
    (out / "key.json").write_text(json.dumps(key, indent=1, sort_keys=True))
    print(f"review: {len(key)} items ({len({k['model_ref'] for k in key.values()})} models, names hidden), "
          f"{len(sheet)} reviews -> {out / 'review.csv'}; the key is {out / 'key.json'} (keep it from reviewers)")  # fmt: skip
    return 0


def _import(ctx, args) -> int:
    if not args.input or not args.key:
        raise UsageError("review import needs --input review.csv and --key key.json")
    for path in (args.input, args.key):
        if not Path(path).is_file():
            raise UsageError("no such file", input=path)
    with open(args.input, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    try:
        result = score_reviews(rows, json.loads(Path(args.key).read_text()))
    except ValueError as exc:
        raise UsageError(str(exc), input=args.input) from None
    for model, stats in result["models"].items():
        print(f"review: {model:<30} {stats['items']:>4} items  accuracy {100 * stats['accuracy']:.1f}%")
    kappa = result["kappa"]
    print(f"review: Fleiss' kappa {kappa:.3f} over {result['items']} items" if kappa is not None
          else "review: too few reviewers per item for Fleiss' kappa")  # fmt: skip
    return 0


def _run(ctx, args) -> int:
    return _export(ctx, args) if args.action == "export" else _import(ctx, args)


SUBCOMMANDS = {
    "review": Subcommand("Blind human review of models' predictions (export, import with kappa).", _add, _run)
}
