"""The oriented-generation pipelines: ``sql_corpus`` from successful executions (and files, tables), the
target leaves (rare, weak, named) -> ``generation_targets``, and generated pairs for them -> ``generated_pairs``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import Counter
from pathlib import Path

from pyspark.sql import functions as F

from sqlfix.errors import SqlfixError, UsageError
from sqlfix.filtering.judge import judge_from_config
from sqlfix.generation import corpus as corpus_mod
from sqlfix.generation.llm import LLMGenerator, backend_from_config
from sqlfix.generation.mutators import MUTATORS
from sqlfix.generation.oriented import (
    leaf_accuracy,
    mutate,
    pair_id,
    recall,
    share_cap,
    targets,
    verify,
    write_leaves,
    yield_by_leaf,
)
from sqlfix.mining.pairs import apply_limits
from sqlfix.spotcheck.batches import kept_pairs
from sqlfix.sql.diff import with_diff_stats
from sqlfix.sql.references import is_reserved, referenced_tables
from sqlfix.tables import GENERATED_PAIRS, GENERATED_REJECTED, GENERATION_TARGETS
from sqlfix.taxonomy.model import load_taxonomy


# ---------------------------------------------------------------------------------------------- corpus
def run_corpus(ctx, sql_dir: str | None = None, tables: list[str] | None = None, column: str = "sql_text") -> dict:
    lake, spark = ctx.lake, ctx.spark
    now = dt.datetime.now(dt.timezone.utc)
    sources = corpus_mod.from_logs(lake.read("query_logs"))
    if sql_dir:
        rows = corpus_mod.read_sql_files(Path(sql_dir))
        if not rows:
            raise UsageError("no .sql file with a statement under --sql-dir", input=sql_dir)
        sources = sources.unionByName(spark.createDataFrame(rows, "sql_text string, source string, task_id string"))
    for name in tables or []:
        table = spark.table(name)
        if column not in table.columns:
            raise UsageError(f"table has no column {column!r}", input=name, hint="--column NAME")
        task = F.col("task_id") if "task_id" in table.columns else F.lit(f"table:{name}")
        sources = sources.unionByName(table.select(F.col(column).alias("sql_text"), F.lit(f"table:{name}").alias(
            "source"), task.alias("task_id")))  # fmt: skip
    corpus, rejected = corpus_mod.build_corpus(sources, lake.read("table_schemas"), now, ctx.cfg["dataset"]["reserved"])
    corpus, rejected = corpus.cache(), rejected.cache()
    added = lake.merge("sql_corpus", corpus, update=True)  # update: stored features follow the vocabulary
    lake.merge("sql_corpus_rejected", rejected)
    reasons = {r["reason"]: r["count"] for r in rejected.groupBy("reason").count().collect()}
    out = {"corpus": corpus.count(), "added": added.inserted, "rejected": dict(sorted(reasons.items()))}
    corpus.unpersist()
    rejected.unpersist()
    return out


REPOSITORY_SCHEMA = (
    "sql_text string, source string, task_id string, tables array<string>, schema_ddl string, source_dialect string, "
    "origin string, license string, parameters array<string>, ddl_origin string, reason string, detail string"
)


def run_repository(ctx, root: str, dialect: str, schema_glob: str | None = None, name: str | None = None) -> dict:
    """``sqlfix corpus --repo``: a checked-out repository's queries -> ``sql_corpus`` (``generation.repository``)."""
    from sqlfix.generation import repository as repo
    from sqlfix.progress import progress

    lake, spark = ctx.lake, ctx.spark
    now, started = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    folder = Path(root)
    label = name or folder.resolve().name
    paths = list(repo.sql_files(folder)) if folder.is_dir() else []
    with progress(len(paths), "corpus: read", "file") as bar:
        imported = repo.read_repository(folder, dialect, schema_glob or repo.SCHEMA_FILES,
                                        ctx.cfg["dataset"]["reserved"], bar, paths)  # fmt: skip
    if not imported.files:
        raise UsageError("no .sql file under --repo", input=root)
    waiting = sum(1 for c in imported.candidates if c.reason is None)
    judge = judge_from_config(spark, ctx.cfg)
    try:
        with progress(waiting, "corpus: analyse", "query") as bar:
            repo.analyse(imported, judge, bar)
    finally:
        judge.close()
    found = spark.createDataFrame(repo.rows(imported, label, dialect, repo.license_of(folder)), REPOSITORY_SCHEMA)
    described = corpus_mod.with_features(found).dropDuplicates(["corpus_id"])
    corpus, rejected = corpus_mod.judged_corpus(described, now, ctx.cfg["dataset"]["reserved"])
    corpus, rejected = corpus.cache(), rejected.cache()
    added = lake.merge("sql_corpus", corpus, update=True)
    lake.merge("sql_corpus_rejected", rejected)
    reasons = {r["reason"]: r["count"] for r in rejected.groupBy("reason").count().collect()}
    origins = {r["ddl_origin"]: r["count"] for r in corpus.groupBy("ddl_origin").count().collect()}
    out = {
        "repository": label, "files": imported.files, "statements": len(imported.candidates), "corpus": corpus.count(),
        "added": added.inserted, "rejected": dict(sorted(reasons.items())), "ddl": dict(sorted(origins.items())),
        "tables": len(imported.catalog), "seconds": round(time.perf_counter() - started, 1),
        "macros_skipped": imported.macros_skipped,
    }  # fmt: skip
    corpus.unpersist()
    rejected.unpersist()
    return out

# ---------------------------------------------------------------------------------------------- targets
def kept_counts(lake) -> dict[str, int]:
    """Kept pairs per leaf: mined pairs the filter kept, plus verified generated pairs."""
    mined = kept_pairs(lake.read("bug_pairs"), lake.read("pair_verdicts")).select("category_l3")
    generated = lake.read("generated_pairs").select("category_l3")
    rows = mined.unionByName(generated).groupBy("category_l3").count().collect()
    return {r["category_l3"]: r["count"] for r in rows}


def latest_accuracy(lake, model_ref: str | None = None) -> dict[str, tuple[float, int]]:
    runs = lake.read("eval_runs")
    if model_ref:
        runs = runs.filter(F.col("model_ref") == model_ref)
    last = runs.orderBy(F.col("evaluated_at").desc()).first()
    return leaf_accuracy(last["metrics"]) if last is not None else {}


def latest_acceptance(lake) -> dict[str, tuple[float, int]]:
    """Leaf -> (share of judged suggestions people accepted, verdicts), over every model."""
    from sqlfix.feedback import acceptance, leaf_acceptance

    if not lake.exists("fix_suggestions"):
        return {}
    return leaf_acceptance(acceptance(lake.read("fix_suggestions"), lake.read("query_logs")))


def run_targets(
    ctx, leaves: list[str] | None = None, generator: str = "mutators", max_targets: int | None = None
) -> tuple[str, list[dict]]:
    gcfg = ctx.cfg["generation"]
    taxonomy = load_taxonomy()
    generatable = {m.leaf for m in MUTATORS.values()} if generator == "mutators" else None
    try:
        rows = targets(
            taxonomy, kept_counts(ctx.lake), latest_accuracy(ctx.lake, gcfg.get("eval_model")),
            rare_below=int(gcfg["rare_below"]), weak_below=float(gcfg["weak_below"]), min_eval=int(gcfg["min_eval"]),
            per_leaf=int(gcfg["per_leaf"]), max_targets=max_targets or gcfg.get("max_targets"), user=leaves, generatable=generatable,
            acceptance=latest_acceptance(ctx.lake), accepted_below=float(gcfg["accepted_below"]),
            min_feedback=int(gcfg["min_feedback"]),
        )  # fmt: skip
    except ValueError as exc:
        raise UsageError(
            str(exc), hint="sqlfix taxonomy lists the leaves; leaves need features (and a mutator)"
        ) from exc
    targets_id, now = uuid.uuid4().hex, dt.datetime.now(dt.timezone.utc)
    records = [{**r, "targets_id": targets_id, "computed_at": now} for r in rows]
    if records:
        ctx.lake.append("generation_targets", ctx.spark.createDataFrame(records, GENERATION_TARGETS.spark_schema))
    return targets_id, rows

# ---------------------------------------------------------------------------------------------- generate
def latest_targets(lake) -> tuple[str, list[dict]]:
    table = lake.read("generation_targets")
    last = table.orderBy(F.col("computed_at").desc()).first()
    if last is None:
        raise SqlfixError("no generation targets yet", hint="run sqlfix targets")
    rows = table.filter(F.col("targets_id") == last["targets_id"]).collect()
    return last["targets_id"], [r.asDict() for r in rows]


def run_generate(ctx, generator: str = "mutators", backend=None, limit: int | None = None) -> dict:
    lake, spark, gcfg = ctx.lake, ctx.spark, ctx.cfg["generation"]
    taxonomy = load_taxonomy()
    run_id, started, t0 = uuid.uuid4().hex, dt.datetime.now(dt.timezone.utc), time.perf_counter()
    targets_id, goal = latest_targets(lake)
    goal = [g for g in goal if generator != "mutators" or any(m.leaf == g["category_l3"] for m in MUTATORS.values())]
    wanted = {g["category_l3"]: taxonomy.leaf(g["category_l3"]).features for g in goal}
    caps = {g["category_l3"]: int(g["wanted"]) * int(gcfg["oversample"]) for g in goal}
    if limit is not None:
        caps = {leaf: min(n, limit) for leaf, n in caps.items()}
    recalled = recall(lake.read("sql_corpus"), wanted, int(gcfg["per_group"]), caps, int(gcfg["seed"]),
                      sites=generator == "mutators")  # fmt: skip
    candidates = [r.asDict() for r in recalled.toLocalIterator()]
    if generator == "mutators":
        pairs, misses = mutate(candidates, int(gcfg["seed"]), int(gcfg["variants"]), write_leaves(taxonomy))
        failures: list[dict] = []
    else:
        llm = LLMGenerator(backend or backend_from_config(gcfg), max_requests=int(gcfg["llm"]["max_requests"]))
        answers = llm.answers(candidates, taxonomy)
        pairs, failures, misses = [], [], Counter()
        for c, a in zip(candidates, answers, strict=True):
            if a.bug_sql:
                pairs.append(
                    {**c, "bug_sql": a.bug_sql, "fixed_sql": a.correct_sql or c["sql_text"], "generator": llm.name}
                )
            else:
                failures.append({**c, "reason": a.reason})
    judge = judge_from_config(spark, ctx.cfg)
    try:
        judged = verify(judge, pairs, taxonomy)
    finally:
        judge.close()
    reserved = ctx.cfg["dataset"]["reserved"]  # a corpus imported before the rule may still hold such queries
    judged = [{**p, "reason": "reserved_benchmark"} if p["reason"] == "kept" and is_reserved(
        referenced_tables(p["bug_sql"]) + referenced_tables(p["fixed_sql"]), reserved) else p for p in judged]  # fmt: skip
    records = [_record(p, run_id, targets_id, started) for p in judged]
    kept, rejected = _limits(spark, records, ctx.cfg["mining"])
    kept, surplus = _quota(kept, {g["category_l3"]: int(g["wanted"]) for g in goal})
    rejected += surplus
    for reason, key, share in (("quota_leaf", _leaf_of, gcfg["max_leaf_share"]),
                               ("quota_tables", _tables_of, gcfg["max_tables_share"]),
                               ("quota_repository", _repository_of, gcfg["max_repository_share"])):  # fmt: skip
        kept, surplus = _shares(kept, key, float(share), reason)
        rejected += surplus
    # A pair an earlier run already kept counts there, not again here: the runs' yields add up to the table.
    known: set[str] = set()
    if kept and lake.exists("generated_pairs"):
        ids = [r["pair_id"] for r in kept]
        known = {r[0] for r in lake.read("generated_pairs").select("pair_id").where(F.col("pair_id").isin(ids)).collect()}
    if kept:
        lake.merge("generated_pairs", spark.createDataFrame(kept, GENERATED_PAIRS.spark_schema))
    if rejected:
        lake.merge("generated_rejected", spark.createDataFrame(rejected, GENERATED_REJECTED.spark_schema))
    fresh = [r for r in kept if r["pair_id"] not in known]
    outcome = [{"target_leaf": r["target_leaf"], "reason": "kept" if r["pair_id"] not in known else "already_kept"}
               for r in kept] + [{"target_leaf": r["target_leaf"], "reason": r["reason"]} for r in rejected]  # fmt: skip
    by_leaf = yield_by_leaf(outcome, misses)
    reasons = (Counter(r["reason"] for r in rejected) + Counter(f["reason"] for f in failures)
               + Counter({"already_kept": len(kept) - len(fresh)}))  # fmt: skip
    run = {"run_id": run_id, "started_at": started, "generator": generator, "targets_id": targets_id,
           "candidates": len(candidates), "generated": len(records), "kept": len(fresh),
           "yield_by_leaf": json.dumps(by_leaf, sort_keys=True), "rejections": json.dumps(dict(sorted(reasons.items()))),
           "seconds": round(time.perf_counter() - t0, 3)}  # fmt: skip
    lake.append("generation_runs", spark.createDataFrame([run], lake.table("generation_runs").spark_schema))
    return {**run, "by_leaf": by_leaf, "reasons": dict(reasons)}


def _record(p: dict, run_id: str, targets_id: str, now) -> dict:
    return {
        "pair_id": pair_id(p["generator"], p["corpus_id"], p["bug_sql"]), "user_id": None, "task_id": p.get("task_id"),
        "engine": "spark-dryrun", "bug_event_id": None, "fix_event_id": None, "bug_time": now, "fix_time": now,
        "bug_sql": p["bug_sql"], "error_message": p.get("error_message"), "fixed_sql": p["fixed_sql"],
        "signal": p["generator"], "tables": p.get("tables") or [], "schema_ddl": p.get("schema_ddl"),
        "category_l1": p.get("category_l1"), "category_l2": p.get("category_l2"), "category_l3": p.get("category_l3"),
        "error_condition": p.get("error_condition"), "mined_at": now, "run_id": run_id, "source": "oriented",
        "generator": p["generator"], "target_leaf": p["target_leaf"], "corpus_id": p["corpus_id"],
        "targets_id": targets_id, "reason": None if p["reason"] == "kept" else p["reason"],
    }  # fmt: skip


def _quota(kept: list[dict], wanted: dict[str, int]) -> tuple[list[dict], list[dict]]:
    """The first ``wanted[leaf]`` kept pairs of each leaf (recall order); the rest are ``surplus``."""
    taken: Counter = Counter()
    out, surplus = [], []
    for r in sorted(kept, key=lambda r: (r["target_leaf"], r["pair_id"])):
        taken[r["target_leaf"]] += 1
        if taken[r["target_leaf"]] <= wanted.get(r["target_leaf"], 0):
            out.append(r)
        else:
            surplus.append({**r, "reason": "surplus"})
    return out, surplus


def _leaf_of(r: dict) -> str:
    return r["target_leaf"]


def _tables_of(r: dict) -> str:
    return ",".join(sorted(r.get("tables") or []))


def _repository_of(r: dict) -> str:
    """The repository a pair's corpus query came from (``repo:NAME:...`` tasks), else the query log."""
    task = r.get("task_id") or ""
    return task.split(":", 2)[1] if task.startswith("repo:") else "query_logs"


def _shares(kept: list[dict], key, share: float, reason: str) -> tuple[list[dict], list[dict]]:
    """No group (``key``) above ``share`` of the kept pairs (``oriented.share_cap``): a group's pairs past
    the cap, by pair_id, get ``reason``."""
    groups: dict[str, list[dict]] = {}
    for r in sorted(kept, key=lambda r: r["pair_id"]):
        groups.setdefault(key(r), []).append(r)
    cap = share_cap([len(g) for g in groups.values()], share)
    if cap is None:
        return kept, []
    out, surplus = [], []
    for rows in groups.values():
        out += rows[:cap]
        surplus += [{**r, "reason": reason} for r in rows[cap:]]
    return out, surplus


def _limits(spark, records: list[dict], mcfg: dict) -> tuple[list[dict], list[dict]]:
    """The mining limits (one definition: ``with_diff_stats`` and ``apply_limits``) on verified records."""
    if not records:
        return [], []
    frame = spark.createDataFrame(records, GENERATED_REJECTED.spark_schema).drop(
        "changed_lines", "bug_lines", "fixed_lines", "changed_line_ratio")  # fmt: skip
    frame = apply_limits(with_diff_stats(frame), int(mcfg["max_changed_lines"]), float(mcfg["max_changed_ratio"]))
    rows = [r.asDict() for r in frame.select(*GENERATED_REJECTED.column_names).collect()]
    kept = [{k: v for k, v in r.items() if k != "reason"} for r in rows if r["reason"] is None]
    return kept, [r for r in rows if r["reason"] is not None]
