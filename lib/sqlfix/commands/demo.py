"""``sqlfix demo``: the embedded default end to end on the local lake — from logs to a fixed query.

simulate (short ad-hoc analyst queries, with the noise real logs have) -> ingest (twice: the second adds nothing) ->
mine -> filter (drops by reason) -> spot check (the simulator's ground truth stands in for people) -> oriented
generation (mutators for the rarest leaves, verified) -> build-dataset (one domain held out: never trained on) ->
train SmolLM2-135M-Instruct (``demo.train_steps`` steps of DM-SFT) -> evaluate base vs trained on an eval sample ->
register (challenger) -> promote -> ``sqlfix fix`` on failed queries of the held-out domain, printing each diff ->
one summary table. ``demo.*`` in the profile sizes it for 2 CPU cores (about 10 minutes after set-up); the longer
version is ``sqlfix demo --set demo.train_steps=300 --set demo.eval_samples=200`` (hours on a CPU).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from sqlfix.commands import Subcommand

STEPS = 12


def _add(parser) -> None:
    parser.add_argument("--events", type=int, help="size of the simulated log (default demo.events)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", help="where the simulated log is written (default: demo.workdir)")
    parser.add_argument("--until", choices=("filter", "dataset", "train", "evaluate"),
                        help="stop after this stage (default: run the whole loop)")  # fmt: skip


def _say(step: int, text: str) -> None:
    print(f"demo: {step}/{STEPS} {text}", flush=True)


def _simulate(ctx, dcfg: dict, sim: Path, events: int, seed: int) -> None:
    from sqlfix.simulate.logs import simulate

    manifest = sim / "manifest.json"
    if manifest.is_file():
        _say(1, f"reusing the simulated log in {sim}")
        return
    _say(1, f"simulating a platform log of {events} events (seed {seed}, ad-hoc queries, with noise) -> {sim}")
    counts = simulate(ctx.spark, sim, events, seed, malformed_rate=0.005, adhoc_share=float(dcfg["adhoc_share"]),
                      noise=bool(dcfg["noise"]))  # fmt: skip
    manifest.write_text(json.dumps(counts))


def _ingest_twice(ctx, sim: Path) -> None:
    from sqlfix.ingest.run import ingest_logs, ingest_schemas

    def ingest() -> None:
        loaded, rejected = ingest_schemas(ctx, str(sim / "schemas.jsonl"))
        report = ingest_logs(ctx, str(sim / "logs"))
        report.schemas_loaded, report.schemas_rejected = loaded, rejected
        print(report.describe())

    _say(2, "ingesting logs and schemas")
    ingest()
    _say(3, "ingesting the same folder again (adds nothing)")
    ingest()
    rejected = ctx.lake.read("query_logs_rejected").groupBy("reason").count().orderBy("reason").collect()
    print("demo: quarantined rows by reason: " + (", ".join(f"{r['reason']}={r['count']}" for r in rejected) or "none"))


def _spotcheck(ctx, sim: Path, n: int) -> dict:
    """Sample the latest batch, review it with the simulator's ground truth, gate it."""
    from pyspark.sql import functions as F

    from sqlfix.spotcheck.run import gate, record, sample

    truth = {}
    for line in (sim / "truth.jsonl").open():
        t = json.loads(line)
        truth[(t["bug_event_id"], t["fix_event_id"])] = t
    runs = ctx.lake.read("filter_runs").filter(F.col("pairs") > 0).orderBy(F.col("started_at").desc())
    batch = runs.select("batch_id").first()["batch_id"]  # a re-run's filter batch is empty: check the last real one
    sample(ctx, batch, n)
    sampled = (ctx.lake.read("spot_checks").filter(F.col("batch_id") == batch)
               .join(ctx.lake.read("bug_pairs").select("pair_id", "bug_event_id", "fix_event_id"), "pair_id").collect())  # fmt: skip
    verdicts, why = [], Counter()
    for row in sampled:
        t = truth.get((row["bug_event_id"], row["fix_event_id"]))
        problem = None if t is None else ("changes the meaning" if t.get("changes_meaning") else
                                          "a different query" if t.get("scenario") == "rewrite" else t.get("noise"))  # fmt: skip
        if t is None:
            problem = "not a pair of the ground truth"
        why[problem or "pass"] += 1
        verdicts.append({"batch_id": batch, "pair_id": row["pair_id"], "verdict": "fail" if problem else "pass",
                         "note": problem, "reviewer": "simulator-ground-truth (automated stand-in)"})  # fmt: skip
    record(ctx, verdicts)
    decision = gate(ctx, batch, float(ctx.cfg["spotcheck"]["threshold"]))
    print(f"demo: spot check by an AUTOMATED STAND-IN for reviewers (the simulator's ground truth): "
          f"{decision['passed']}/{decision['reviewed']} pass ({(decision['pass_rate'] or 0):.0%}); failures: "
          f"{', '.join(f'{k} {v}' for k, v in sorted(why.items()) if k != 'pass') or 'none'}; "
          f"{'APPROVED' if decision['approved'] else 'NOT APPROVED'}")  # fmt: skip
    return decision


def _generate(ctx, leaves: int) -> dict:
    """Oriented generation for the rarest leaves: corpus, targets, mutators, verification."""
    from sqlfix.generation.run import run_corpus, run_generate, run_targets

    corpus = run_corpus(ctx)
    _, goal = run_targets(ctx, max_targets=leaves)
    _say(7, f"oriented generation for the {len(goal)} rarest leaves (corpus of {corpus['corpus']} queries; "
            f"quarantined {corpus['rejected'] or 'none'})")  # fmt: skip
    out = run_generate(ctx, "mutators")
    for leaf, e in out["by_leaf"].items():
        y = "-" if e["yield"] is None else f"{e['yield']:.0%}"
        print(f"demo:   {leaf:<50} {e['verified']:>3} of {e['generated']:>3} generated verified (yield {y}), "
              f"kept {e['kept']}")  # fmt: skip
    print(f"demo: generated_pairs +{out['kept']} verified pairs; rejected by reason {out['reasons'] or 'none'}")
    return out


def _train(ctx, dcfg: dict) -> dict:
    from sqlfix.config import Override, lay
    from sqlfix.repair.pyfunc import train_fixer
    from sqlfix.training.base_model import prepare

    model = Path(ctx.cfg["train"]["model"])
    if not (model / "config.json").is_file():
        print(f"demo: converting the embedded default base model into {model}")
        prepare(model)
    laid = [Override(f"train.{k}", v, f"demo.train.{k}") for k, v in dcfg["train"].items()]
    cfg = dict(lay(ctx.cfg, overrides=[*laid, Override("train.max_steps", int(dcfg["train_steps"]), "demo.train_steps")])["train"])
    cfg["resume"] = False
    _say(9, f"training {cfg['model']} with DM-SFT: {cfg['max_steps']} steps, p={cfg['p']}, batch {cfg['batch_size']}")
    started = time.perf_counter()
    result = train_fixer(cfg)
    result["seconds"] = time.perf_counter() - started
    print(f"demo: trained {result['steps']} steps in {result['seconds']:.0f}s, registered {result.get('registered_model')} "
          f"v{result.get('version')} as challenger")  # fmt: skip
    return result


def _fix_held_out(ctx, dcfg: dict, model_ref: str, n: int) -> list[dict]:
    """``sqlfix fix`` (repairs + the champion) on eval samples of the held-out domain: bug SQL and schema in,
    the verified fix and its diff out."""
    from sqlfix.dataset.build import databases
    from sqlfix.evaluation.evaluate import pick
    from sqlfix.evaluation.metrics import ast_match, edit_size
    from sqlfix.evaluation.run import resolve_models
    from sqlfix.filtering.judge import judge_from_config
    from sqlfix.inference.generate import load_generator
    from sqlfix.repair.service import Fixer

    held = {dcfg["holdout_domain"]}
    rows = [r.asDict() for r in ctx.lake.read("sft_eval").orderBy("sample_id").collect()]
    rows = [r for r in rows if databases(r["bug_sql"]) & held]
    multi = [r for r in rows if edit_size(r["bug_sql"], r["fixed_sql"]) == "multi-token"]
    single = [r for r in rows if edit_size(r["bug_sql"], r["fixed_sql"]) == "single-token"]
    rows = pick(multi, n // 2) + pick(single, n - min(len(multi), n // 2))  # both kinds, one per category first
    model = resolve_models(ctx, [model_ref])[0]
    fcfg = ctx.cfg["fix"]
    generator = load_generator(model.path, "hf", fcfg["batch_size"], int(ctx.cfg["evaluate"]["max_new_tokens"]))
    fixer = Fixer.from_config(judge_from_config(ctx.spark, ctx.cfg), generator, fcfg, samples=int(dcfg["fix_samples"]),
                              rounds=int(dcfg["fix_rounds"]))  # fmt: skip
    out = []
    for r in rows:
        result = fixer.fix(r["bug_sql"], r["schema_ddl"], r["error_message"])
        out.append({"sample_id": r["sample_id"], "category": r["category_l3"], "verified": result.verified,
                    "source": result.source, "reference": bool(result.fixed_sql) and ast_match(result.fixed_sql, r["fixed_sql"]),
                    "seconds": result.seconds, "confidence": result.confidence})  # fmt: skip
        print(f"demo: fix {r['sample_id'][:8]} ({r['category_l3']}): "
              f"{f'verified fix from {result.source} ({result.confidence} confidence)' if result.verified else 'no verified fix'}"
              f"{', the reference fix' if out[-1]['reference'] else ''} in {result.seconds:.1f}s")  # fmt: skip
        if result.verified:
            print(result.diff, end="")
    return out


def _run(ctx, args) -> int:
    from sqlfix.dataset.build import SplitConfig
    from sqlfix.dataset.run import build, export
    from sqlfix.evaluation.promote import promote
    from sqlfix.evaluation.run import eval_samples, evaluate_models, resolve_models, table
    from sqlfix.filtering.run import describe, run_filter
    from sqlfix.filtering.run import summary as filter_summary
    from sqlfix.mining.run import run_mining
    from sqlfix.mining.run import summary as mining_summary

    dcfg = ctx.cfg["demo"]
    events = int(dcfg["events"])
    sim = Path(dcfg["workdir"]) / f"sim-{events}-{args.seed}-adhoc{dcfg['adhoc_share']}"
    started = time.perf_counter()
    print(f"demo: lake at {Path(ctx.lake.location('query_logs')).parent} ({ctx.lake.name} backend)")
    _simulate(ctx, dcfg, sim, events, args.seed)
    _ingest_twice(ctx, sim)
    _say(4, "mining bug pairs")
    mined = run_mining(ctx)
    print(mined.describe())
    if mined.events_scanned:
        print(mining_summary(ctx))
    _say(5, "execution filter (dry run of both sides in a schema-only sandbox)")
    filtered = run_filter(ctx)
    print(describe(filtered))
    if filtered["pairs"]:
        print(filter_summary(ctx))
    if args.until == "filter":
        return 0
    _say(6, f"spot check of the filter batch ({dcfg['spotcheck_samples']} pairs)")
    approval = _spotcheck(ctx, sim, int(dcfg["spotcheck_samples"]))
    if not approval["approved"]:
        print("demo: the batch was not approved; the dataset is built only from approved batches. Stopping.")
        return 3
    generated = _generate(ctx, int(dcfg["generate_leaves"]))
    dset = {**ctx.cfg["dataset"], "holdout_databases": [dcfg["holdout_domain"]]}
    split = SplitConfig(float(dset["eval_fraction"]), int(dset["per_category"]), int(dset["seed"]),
                        tuple(dset["holdout_databases"]), eval_sources=("mined",))  # fmt: skip
    built = build(ctx, split, dset.get("anonymize"))
    manifest = export(ctx, Path(ctx.cfg["train"]["dataset_dir"]))
    _say(8, f"dataset {manifest['dataset_version']}: {built['train_rows']} train / {built['eval_rows']} eval samples "
            f"(held out, never trained on: {', '.join(dset['holdout_databases']) or 'nothing'})")  # fmt: skip
    if args.until == "dataset":
        return 0
    trained = _train(ctx, dcfg)
    if args.until == "train":
        return 0
    ecfg = {**ctx.cfg["evaluate"], "limit": int(dcfg["eval_samples"])}
    models = resolve_models(ctx, ["base", "@challenger"])
    samples, eval_set = eval_samples(ctx, models, None, None, ecfg["limit"])
    _say(10, f"evaluating base vs trained on {len(samples)} samples of {eval_set}")
    records = evaluate_models(ctx, models, samples, eval_set, ecfg)
    print(table(records))
    if args.until == "evaluate":
        return 0
    _say(11, "promotion: the challenger against the champion (the base model when there is none)")
    decision = promote(ctx, "@challenger", limit=ecfg["limit"])
    champion = "@champion" if decision.promote else "@challenger"
    _say(12, f"sqlfix fix on failed queries of the held-out domain with {champion} (repairs first, then the model)")
    fixes = _fix_held_out(ctx, dcfg, champion, int(dcfg["fix_queries"]))
    _summary(ctx, records, trained, decision, fixes, time.perf_counter() - started, dcfg["holdout_domain"], generated)
    return 0


def _held_out(record: dict, database: str) -> str:
    row = record["summary"]["by_database"].get(database)
    return f"{100 * (row['ast'] or 0):.1f}% of {row['n']}" if row else "not in the sample"


def _summary(ctx, records, trained, decision, fixes, seconds: float, held: str, generated: dict) -> None:
    verdicts = Counter(r["reason"] for r in ctx.lake.read("pair_verdicts").select("reason").collect())
    by = {r["label"]: r for r in records}
    rows = [
        ("mined pairs", sum(verdicts.values())),
        ("kept by the filter", verdicts.get("kept", 0)),
        ("dropped by the filter", ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()) if k != "kept") or "none"),
        (
            "generated (oriented)",
            f"{generated['kept']} kept of {generated['generated']} for {len(generated['by_leaf'])} rare leaves",
        ),
        ("training", f"{trained['steps']} steps in {trained['seconds']:.0f}s"),
        *[
            (
                f"AST match: {label}",
                f"{100 * (r['ast'] or 0):.1f}% (exact {100 * (r['exact'] or 0):.1f}%, "
                f"analysis pass {100 * (r['analysis_pass'] or 0):.1f}%, preservation "
                f"{100 * (r['preservation'] or 0):.1f}%; held-out domain {_held_out(r, held)})",
            )
            for label, r in by.items()
        ],  # fmt: skip
        ("promotion", ("promoted" if decision.promote else "kept the champion") + f": {decision.reason}"),
        (
            "fix on the held-out domain",
            f"{sum(f['verified'] for f in fixes)}/{len(fixes)} verified, "
            f"{sum(f['reference'] for f in fixes)}/{len(fixes)} the reference fix",
        ),  # fmt: skip
        ("fix sources", ", ".join(f"{k} {v}" for k, v in sorted(Counter(str(f["source"]) for f in fixes).items()))),
        ("wall time", f"{seconds / 60:.1f} min"),
    ]
    width = max(len(k) for k, _ in rows)
    print("\n" + "demo summary".center(width + 40, "-"))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


SUBCOMMANDS = {
    "demo": Subcommand("Run the embedded default end to end: logs to a trained, promoted fixer.", _add, _run,
                       section="demo", flags={"events": "demo.events", "workdir": "demo.workdir"})
}
