"""The report's sections, read from the lake and the registry, and the page they make (``sqlfix report``).

Sections: the data funnel (events -> pairs -> kept -> approved -> train/eval), categories, changed lines per
pair against the paper's Figure 9, the filter's verdicts, spot-check batches, the latest training run's
loss curves, evaluation per category, the champion with its promotion evidence, and people's verdicts on
fix suggestions. A section with nothing to show yet says so; the report never fails for an empty lake or an
unreachable MLflow.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

from sqlfix.report.html import Section, figure_uri, render

NO_DATA = "nothing yet: run `sqlfix demo` (or the jobs) first"


def _count(lake, name: str, where: str | None = None) -> int:
    if not lake.exists(name):
        return 0
    df = lake.read(name)
    return (df.filter(where) if where else df).count()


def funnel(ctx) -> Section:
    from sqlfix.report.figures import bars
    from sqlfix.spotcheck.batches import approved_pairs

    lake = ctx.lake
    approved = 0
    if all(lake.exists(t) for t in ("bug_pairs", "pair_verdicts", "batch_approvals")):
        approved = approved_pairs(
            lake.read("bug_pairs"), lake.read("pair_verdicts"), lake.read("batch_approvals")
        ).count()
    build = (
        lake.read("dataset_builds").orderBy("built_at", ascending=False).first()
        if lake.exists("dataset_builds")
        else None
    )
    stages = {"events": _count(lake, "query_logs"), "pairs": _count(lake, "bug_pairs"),
              "kept": _count(lake, "pair_verdicts", "verdict = 'kept'"), "approved": approved,
              "train": int(build["train_rows"]) if build else 0, "eval": int(build["eval_rows"]) if build else 0}  # fmt: skip
    if not stages["events"]:
        return Section("Data funnel", empty=NO_DATA)
    text = " -> ".join(f"{k} {v:,}" for k, v in stages.items())
    return Section(
        "Data funnel", text, figures={"data funnel": figure_uri(bars(stages, "From logged events to training samples"))}
    )


def categories(ctx) -> list[Section]:
    from pyspark.sql import functions as F

    from sqlfix.reference import paper_diff_sizes
    from sqlfix.report.figures import bars, diff_sizes

    lake = ctx.lake
    if not _count(lake, "bug_pairs"):
        return [Section("Error categories", empty=NO_DATA), Section("Changed lines per pair", empty=NO_DATA)]
    pairs = lake.read("bug_pairs")
    top = pairs.groupBy("category_l2").count().orderBy(F.desc("count"), "category_l2").limit(20).collect()
    leaves = pairs.groupBy("category_l3").count().orderBy(F.desc("count"), "category_l3").limit(15).collect()
    sizes = Counter({r["changed_lines"]: r["count"] for r in pairs.groupBy("changed_lines").count().collect()})
    return [
        Section("Error categories", f"{pairs.count():,} pairs in {pairs.select('category_l3').distinct().count()} "
                "taxonomy leaves; the most common leaves:",
                table=[{"leaf": r["category_l3"], "pairs": r["count"]} for r in leaves],
                figures={"pairs by category (level 2)": figure_uri(
                    bars({r["category_l2"]: r["count"] for r in top}, "Pairs by category (level 2)", horizontal=True))}),
        Section("Changed lines per pair", "The one line diff of each mined pair, beside the paper's data.",
                figures={"changed lines vs the paper": figure_uri(diff_sizes(sizes, paper_diff_sizes()))}),
    ]  # fmt: skip


def filtering(ctx) -> list[Section]:
    from pyspark.sql import functions as F

    from sqlfix.report.figures import bars

    lake = ctx.lake
    out = []
    if _count(lake, "pair_verdicts"):
        reasons = lake.read("pair_verdicts").groupBy("reason").count().orderBy(F.desc("count"), "reason").collect()
        counts = {r["reason"]: r["count"] for r in reasons}
        out.append(Section("Execution filter", "Verdicts of the dry run in the schema-only sandbox, by reason.",
                           figures={"filter verdicts": figure_uri(bars(counts, "Filter verdicts by reason"))}))  # fmt: skip
    else:
        out.append(Section("Execution filter", empty=NO_DATA))
    if _count(lake, "batch_approvals"):
        rows = lake.read("batch_approvals").orderBy("decided_at").collect()
        out.append(Section("Spot checks", "Reviewed samples of each filter batch and the gate's decision.",
                           table=[{"batch": r["batch_id"][:12], "reviewed": r["reviewed"], "passed": r["passed"],
                                   "pass rate": r["pass_rate"], "threshold": r["threshold"],
                                   "approved": "yes" if r["approved"] else "no"} for r in rows]))  # fmt: skip
    else:
        out.append(Section("Spot checks", empty=NO_DATA))
    return out


def suggestions(ctx) -> Section:
    from sqlfix.feedback import acceptance

    lake = ctx.lake
    if not (_count(lake, "fix_suggestions", "status IN ('accepted', 'rejected', 'edited')")):
        return Section("Suggestion feedback", empty="no verdict on a fix suggestion yet (sqlfix suggestions)")
    rates = acceptance(lake.read("fix_suggestions"), lake.read("query_logs"))
    rows = rates.orderBy("rate", "category_l3", "model_ref").collect()
    judged, accepted = sum(r["judged"] for r in rows), sum(r["accepted"] for r in rows)
    return Section(
        "Suggestion feedback",
        f"People accepted {accepted} of {judged} judged suggestions ({accepted / judged:.0%}); per leaf and model, "
        "least accepted first (rejected and edited ones count as not accepted):",
        table=[{"leaf": r["category_l3"], "model": r["model_ref"], "judged": r["judged"], "accepted": r["accepted"],
                "rate": round(r["rate"], 3)} for r in rows],
    )  # fmt: skip


def _mlflow(ctx):
    """A client of the configured tracking store, or None (with why) when there is none to read."""
    uri = ctx.cfg["train"]["mlflow"]["tracking_uri"]
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return None, f"no MLflow store at {uri} yet"
    import mlflow

    mlflow.set_tracking_uri(uri)
    return mlflow.MlflowClient(), None


def training(ctx, client, why) -> Section:
    from sqlfix.registry.tracking import loss_figure

    if client is None:
        return Section("Training", empty=why)
    experiment = client.get_experiment_by_name(ctx.cfg["train"]["mlflow"]["experiment"])
    runs = (
        client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=20)
        if experiment
        else []
    )
    run = next((r for r in runs if "loss" in r.data.metrics), None)
    if run is None:
        return Section("Training", empty="no training run logged yet (sqlfix train)")
    history: dict[int, dict] = {}
    for key in ("loss", "loss_diff", "loss_consistent"):
        for m in client.get_metric_history(run.info.run_id, key):
            history.setdefault(m.step, {"step": m.step})[key] = m.value
    params = run.data.params
    text = (f"Run {run.info.run_name or run.info.run_id[:8]}: p={params.get('p', '?')}, mode {params.get('mode', '?')}, "
            f"{len(history)} logged steps, dataset {run.data.tags.get('dataset_version', params.get('dataset_version', '?'))}.")  # fmt: skip
    return Section(
        "Training", text, figures={"training loss": figure_uri(loss_figure([history[s] for s in sorted(history)]))}
    )


def evaluation(ctx) -> Section:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from sqlfix.evaluation.plots import accuracy_figure

    lake = ctx.lake
    if not _count(lake, "eval_runs"):
        return Section("Evaluation", empty="no evaluation yet (sqlfix evaluate)")
    latest = Window.partitionBy("model_ref", "eval_set").orderBy(F.desc("evaluated_at"))
    rows = (lake.read("eval_runs").withColumn("_n", F.row_number().over(latest)).filter("_n = 1")
            .orderBy("eval_set", "model_ref").collect())  # fmt: skip
    summaries = {f"{r['model_ref']} ({r['eval_set']})": json.loads(r["metrics"]) for r in rows}
    table = [{"model": r["model_ref"], "version": r["model_version"], "eval set": r["eval_set"], "n": r["samples"],
              "AST": r["ast"], "exact": r["exact"], "analysis pass": r["analysis_pass"],
              "preservation": r["preservation"]} for r in rows]  # fmt: skip
    return Section("Evaluation", "The latest evaluation of each model on each eval set (AST match: analyzer-verified).",
                   table=table, figures={"AST match by category": figure_uri(accuracy_figure(summaries, "by_category_l2")),
                                         "AST match by diff size": figure_uri(accuracy_figure(summaries, "by_diff_bucket"))})  # fmt: skip


def champion(ctx, client, why) -> Section:
    if client is None:
        return Section("Champion", empty=why)
    name = ctx.cfg["train"]["mlflow"]["registered_model"]
    try:
        mv = client.get_model_version_by_alias(name, "champion")
    except Exception:  # noqa: BLE001 - no such model or alias: nothing promoted yet
        return Section("Champion", empty=f"no version of {name} holds alias champion yet (sqlfix promote)")
    evidence = [{"tag": k, "value": v} for k, v in sorted(mv.tags.items()) if k.startswith("promotion")]
    return Section("Champion", f"{name} version {mv.version} (run {str(mv.run_id)[:8]}) holds alias champion.",
                   table=evidence or None)  # fmt: skip


def build(ctx) -> str:
    client, why = _mlflow(ctx)
    sections = [funnel(ctx), *categories(ctx), *filtering(ctx), training(ctx, client, why), evaluation(ctx),
                champion(ctx, client, why), suggestions(ctx)]  # fmt: skip
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return render("sqlfix report", f"{now}; lake {ctx.lake.location('query_logs').rsplit('/', 1)[0]}", sections)
