"""The optimisation pipelines (``sqlfix optimize``): seeded instances, corpus seeds, the rule-based round, the
ReSTEM loop and the export; each a ``Context`` in, tables (``opt_seeds``, ``opt_pairs``, ``opt_runs``) and
files out."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

from sqlfix.config import deep_merge
from sqlfix.optimize.databases import Instance, all_tables, build_instance, instance_session
from sqlfix.optimize.deoptimize import PYTHON_UDFS, select_with_quotas
from sqlfix.optimize.reward import Reward, distribution
from sqlfix.optimize.rules import candidates, pair_id, slow_queries, split_of
from sqlfix.optimize.seeds import Pool
from sqlfix.optimize.verify import Verifier
from sqlfix.tables import OPT_PAIRS, OPT_RUNS, OPT_SCHEMAS, OPT_SEEDS, OPT_SEEDS_REJECTED


def instances(cfg: dict) -> list[Instance]:
    return [Instance(i["name"], float(i["scale"]), int(i["seed"])) for i in cfg["optimize"]["instances"]]


def make_verifier(cfg: dict, spark, insts: list[Instance] | None = None, large: str | None = None,
                  contracts=None) -> Verifier:  # fmt: skip
    """A verifier over hardened sessions of ``insts`` (default: ``optimize.instances``), the Python UDFs the
    de-optimisers use registered in each; ``contracts(instance) -> {view: lake contract}`` (default: the
    generated domains' tables)."""
    insts = insts or instances(cfg)
    sessions = {i.name: instance_session(cfg, spark, i, PYTHON_UDFS, contracts(i) if contracts else None)
                for i in insts}  # fmt: skip
    views = set(contracts(insts[0])) if contracts else {t.name for t in all_tables()}
    ocfg = cfg["optimize"]
    return Verifier(sessions, large or ocfg["large"], views, repeats=int(ocfg["repeats"]),
                    max_rows=int(ocfg["verify_max_rows"]), timeout_s=float(ocfg["verify_timeout_s"]))  # fmt: skip


class Verifiers:
    """One verifier per database a pool's seeds read (the generated domains share one), made when first
    asked for."""

    def __init__(self, cfg: dict, spark, pool: Pool, insts: list[Instance] | None = None, large: str | None = None):
        self.cfg, self.spark, self.pool, self._made = cfg, spark, pool, {}
        self.insts, self.large = insts, large

    def __call__(self, domain: str) -> Verifier:
        from sqlfix.optimize import seeds

        key = None if self.pool.generated(domain) else domain
        if key not in self._made:
            specs = self.pool.specs.get(domain, [])
            self._made[key] = make_verifier(self.cfg, self.spark, self.insts, self.large, contracts=(lambda i: {
                s.view: seeds.contract(domain, s, i) for s in specs}) if key else None)  # fmt: skip
        return self._made[key]


class DataFailed(Exception):
    """The lake refused a corpus domain's generated table; the message names the view and the lake's first line."""


def write_domain(ctx, domain: str, tables: list, inst: Instance) -> None:
    """Generate and write one corpus domain's tables (``seeds.TableSpec``) for one instance (overwritten:
    idempotent); raises ``DataFailed`` at the first table the lake refuses."""
    from sqlfix.optimize import seeds

    scfg = ctx.cfg["optimize"]["seeds"]
    sizes = seeds.key_sizes(scfg, tables, inst.scale)
    for t in tables:
        try:
            frame = seeds.generate(ctx.spark, t, sizes, t.rows(scfg, inst.scale), inst.seed, float(scfg["null_share"]))
            ctx.lake.write_dataset(seeds.contract(domain, t, inst), frame)
        except Exception as exc:  # noqa: BLE001 - DDL the lake refuses: the caller rejects the domain's seeds
            first = (str(exc).strip().splitlines() or [repr(exc)])[0]
            raise DataFailed(f"{t.view}: {first}") from exc


def holdout_verifiers(ctx, pool: Pool, domains: set[str], inst: Instance) -> Verifiers:
    """Verifiers over one more instance (``inst``: a draw never used while generating) of the databases of
    ``domains``: its data written first (the generated domains' tables once, each corpus domain's own)."""
    if any(pool.generated(d) for d in domains):
        build_instance(ctx.lake, inst)
    for domain in sorted(d for d in domains if not pool.generated(d)):
        write_domain(ctx, domain, pool.specs[domain], inst)
    return Verifiers(ctx.cfg, ctx.spark, pool, [inst], inst.name)


def seed_pool(ctx, say=print) -> Pool:
    """The seeds of a round: the hand-written ones (``optimize.seeds.builtin``) and ``opt_seeds`` whose
    domain's tables are still the ones they were checked on (a stale seed is left out, and counted)."""
    from sqlfix.optimize import seeds
    from sqlfix.optimize.queries import SEEDS

    pool = Pool(seeds=list(SEEDS) if ctx.cfg["optimize"]["seeds"]["builtin"] else [])
    if not ctx.lake.exists("opt_seeds"):
        return pool
    for row in ctx.lake.read("opt_schemas").orderBy("domain", "view").collect():
        pool.specs.setdefault(row["domain"], []).append(seeds.TableSpec.from_json(row["spec"]))
    prints = {d: seeds.fingerprint(s) for d, s in pool.specs.items()}
    stale = 0
    for row in ctx.lake.read("opt_seeds").orderBy("seed_id").collect():
        if row["domain"] in pool.specs and prints[row["domain"]] != row["schema_fingerprint"]:
            stale += 1
            continue
        pool.seeds.append((row["domain"], row["seed_id"].removeprefix(f"{row['domain']}."), row["seed_sql"]))
    if stale:
        say(f"optimize: {stale} corpus seeds left out: their domain's tables changed since (sqlfix optimize seeds)")
    return pool


def _ensure_generated(ctx) -> None:
    """The generated domains' instances, built where absent (a corpus seed placed there runs over them)."""
    from sqlfix.lake import LakeError
    from sqlfix.optimize.databases import contract

    for inst in instances(ctx.cfg):
        try:
            ctx.lake.read_dataset(contract(all_tables()[0], inst.name))
        except LakeError:
            build_instance(ctx.lake, inst)


def run_seeds(ctx, say=print) -> dict:
    """``sqlfix optimize seeds``: every ``sql_corpus`` query placed (``seeds.place``), data generated for each
    domain that has candidates on every instance, each candidate checked there (``seeds.check``);
    ``opt_schemas``, ``opt_seeds`` and ``opt_seeds_rejected`` are rewritten whole (a function of the corpus
    and the settings: a re-run writes the same rows), the data tables first under names that change with
    their spec, so a crash leaves every table as it was."""
    from sqlfix.optimize import seeds
    from sqlfix.progress import progress

    ocfg, scfg = ctx.cfg["optimize"], ctx.cfg["optimize"]["seeds"]
    cols = ["corpus_id", "sql_text", "source", "origin", "tables", "schema_ddl"]
    rows = [r.asDict() for r in ctx.lake.read("sql_corpus").select(*cols).orderBy("corpus_id").collect()]
    t0 = time.perf_counter()
    specs, placed, rejected = seeds.place(rows, ctx.cfg["dataset"]["reserved"], scfg)
    say(f"optimize: {len(rows)} corpus queries: {len(placed)} candidate seeds in {len({p.domain for p in placed})} "
        f"domains, {len(rejected)} rejected before running ({time.perf_counter() - t0:.0f}s)")  # fmt: skip
    insts = instances(ctx.cfg)
    if any(p.domain not in specs for p in placed):
        _ensure_generated(ctx)
    generated_tables, failed = 0, {}
    with progress(len(specs) * len(insts), "optimize seeds: data", "instance") as bar:
        for domain, tables in specs.items():
            for inst in insts:
                if domain in failed:  # its other instances would fail the same way
                    bar.update(1)
                    continue
                try:
                    write_domain(ctx, domain, tables, inst)
                    generated_tables += len(tables)
                except DataFailed as exc:
                    failed.setdefault(domain, str(exc))
                bar.update(1)
    for domain, why in failed.items():
        say(f"optimize seeds: domain {domain}: data not written ({why}); its queries are rejected as data_failed")
        rejected += [seeds.rejection(p.row, p.domain, "data_failed", why) for p in placed if p.domain == domain]
        del specs[domain]
    placed = [p for p in placed if p.domain not in failed]
    verifiers = Verifiers(ctx.cfg, ctx.spark, Pool(specs=specs))
    kept, now = [], dt.datetime.now(dt.timezone.utc)
    with progress(len(placed), "optimize seeds: checks", "query") as bar:
        for p in placed:
            verifier = verifiers(p.domain)
            reason, detail, n = seeds.check(verifier, p.sql, verifier.views, ocfg["large"])
            if reason:
                rejected.append(seeds.rejection(p.row, p.domain, reason, detail))
            else:
                kept.append({"seed_id": p.seed_id, "domain": p.domain, "seed_sql": p.sql,
                             "corpus_id": p.row["corpus_id"], "source": p.row["source"], "origin": p.row.get("origin"),
                             "patterns": p.patterns, "split": split_of(p.seed_id, float(ocfg["validation_share"])),
                             "schema_fingerprint": seeds.fingerprint(specs[p.domain]) if p.domain in specs else None,
                             "rows_small": n, "added_at": now})  # fmt: skip
            bar.update(1)
    schema_rows = [{"domain": d, "view": t.view, "source_table": t.source, "spec": t.to_json(),
                    "fingerprint": seeds.fingerprint(tables)} for d, tables in specs.items() for t in tables]  # fmt: skip
    ctx.lake.overwrite("opt_schemas", ctx.spark.createDataFrame(schema_rows, OPT_SCHEMAS.spark_schema))
    ctx.lake.overwrite("opt_seeds", ctx.spark.createDataFrame(kept, OPT_SEEDS.spark_schema))
    for r in rejected:
        r["added_at"] = now
    ctx.lake.overwrite("opt_seeds_rejected", ctx.spark.createDataFrame(rejected, OPT_SEEDS_REJECTED.spark_schema))
    return {"corpus": len(rows), "kept": len(kept), "rejected": Counter(r["reason"] for r in rejected),
            "domains": Counter(k["domain"] for k in kept), "patterns": Counter(p for k in kept for p in k["patterns"]),
            "generated_tables": generated_tables, "seeds": kept}  # fmt: skip


def run_databases(ctx) -> dict:
    out = {}
    for inst in instances(ctx.cfg):
        t0 = time.perf_counter()
        counts = build_instance(ctx.lake, inst)
        out[inst.name] = {"rows": sum(counts.values()), "seconds": round(time.perf_counter() - t0, 1)}
    return out


def run_rules(ctx, limit: int | None = None, junior=None, say=print) -> dict:
    from sqlfix.progress import progress

    ocfg = ctx.cfg["optimize"]
    pool = seed_pool(ctx, say)
    verifiers = Verifiers(ctx.cfg, ctx.spark, pool)
    reward = reward_from_config(ocfg)
    items = slow_queries(int(limit or ocfg["slow_queries"]), float(ocfg["max_pattern_share"]),
                         float(ocfg["validation_share"]), pool=pool, sites=int(ocfg["sites"]))  # fmt: skip
    junior_outcomes = {}
    if junior is not None:  # the LLM junior developer's slow queries, verified like the rules' ones
        from sqlfix.optimize.junior import junior_slow_queries
        from sqlfix.optimize.restem import tables_ddl

        domain_of = {sql: domain for domain, _, sql in pool.seeds}
        extra, junior_outcomes = junior_slow_queries(
            junior, pool.seeds, lambda sql: tables_ddl(sql, pool.ddls(domain_of[sql])),
            int(ctx.cfg["generation"]["llm"]["max_requests"]), float(ocfg["validation_share"]),
        )  # fmt: skip
        every = slow_queries(10**6, 1.0, float(ocfg["validation_share"]), pool=pool, sites=int(ocfg["sites"])) + extra
        items = select_with_quotas(every, len(items) + len(extra), float(ocfg["max_pattern_share"]))
    now, records = dt.datetime.now(dt.timezone.utc), []
    with progress(len(items), "optimize rules: verify", "slow query") as bar:
        for item in items:
            verifier = verifiers(item["domain"])
            for source, fast in candidates(item, pool.schema(item["domain"])):
                check = verifier.check(item["slow_sql"], fast)
                score = reward.score(check.speedup, check.passed, item["slow_sql"], fast)
                records.append(_record(item, source, fast, check, score, check.passed and reward.keep(score), 0, now))
            bar.update(1)
    if records:
        ctx.lake.merge("opt_pairs", ctx.spark.createDataFrame(records, OPT_PAIRS.spark_schema), update=True)
    return {"slow_queries": len(items), "candidates": len(records), "kept": sum(r["kept"] for r in records),
            "patterns": Counter(i["pattern"] for i in items), "domains": Counter(i["domain"] for i in items),
            "rewards": distribution([r["reward"] for r in records if r["equivalent"]]),
            "tiers": Counter(r["tier"] for r in records if not r["equivalent"]), "records": records,
            "junior": junior_outcomes}  # fmt: skip


def _record(item: dict, source: str, fast: str, check, score: float, keep: bool, iteration: int, now) -> dict:
    return {
        "pair_id": pair_id(item["slow_sql"], fast), "iteration": iteration, "seed_id": item["seed_id"],
        "split": item["split"], "domain": item["domain"], "pattern": item["pattern"],
        "slow_sql": item["slow_sql"], "fast_sql": fast, "candidate": source, "tier": check.tier,
        "equivalent": check.passed, "reason": check.reason, "differs_on": check.differs_on,
        "speedup": check.speedup, "reward": score, "kept": keep,
        "slow_seconds": check.slow_seconds, "fast_seconds": check.fast_seconds,
        "slow_metrics": json.dumps(check.slow_metrics), "fast_metrics": json.dumps(check.fast_metrics),
        "verify_seconds": json.dumps(check.seconds_by_tier), "created_at": now,
    }  # fmt: skip


def _finish(ctx, iteration: int, policy, model_path, metrics: dict) -> None:
    row = {"iteration": iteration, "status": "done", "policy": policy, "model_path": model_path,
           "opt_pairs_version": ctx.lake.version("opt_pairs"), "metrics": json.dumps(metrics, sort_keys=True),
           "finished_at": dt.datetime.now(dt.timezone.utc)}  # fmt: skip
    ctx.lake.merge("opt_runs", ctx.spark.createDataFrame([row], OPT_RUNS.spark_schema), update=True)


def run_loop(ctx, iterations: int, model: str | None, k: int, steps: int, limit: int | None, say=print) -> list[dict]:
    """Iteration 0 (rules), then ``iterations`` ReSTEM iterations; iterations already done are skipped."""
    from pathlib import Path

    from pyspark.sql import functions as F

    from sqlfix.inference.generate import HFGenerator
    from sqlfix.optimize import restem

    ocfg = ctx.cfg["optimize"]
    done = {r["iteration"]: r.asDict() for r in ctx.lake.read("opt_runs").filter(F.col("status") == "done").collect()}
    if 0 not in done:
        out = run_rules(ctx, limit, say=say)
        _finish(ctx, 0, None, None, restem.iteration_metrics(out["records"], out["slow_queries"]))
        say(f"optimize: iteration 0 (rules): {out['kept']} kept of {out['candidates']} candidates")
    else:
        say("optimize: iteration 0 (rules) done already")
    pool = seed_pool(ctx, say)
    verifiers = Verifiers(ctx.cfg, ctx.spark, pool)
    reward = reward_from_config(ocfg)

    def ddls(item: dict) -> dict[str, str]:
        return pool.ddls(item["domain"])

    items = [i for i in slow_queries(int(limit or ocfg["slow_queries"]), float(ocfg["max_pattern_share"]),
                                     float(ocfg["validation_share"]), pool=pool, sites=int(ocfg["sites"]))
             if i["split"] == "train"]  # fmt: skip
    policy = model or ctx.cfg["train"]["model"]
    if model is None and not (Path(policy) / "config.json").is_file():
        from sqlfix.training.base_model import prepare

        say(f"optimize: converting the embedded default base model into {policy}")
        prepare(Path(policy))
    root = Path(ocfg["output_dir"])
    summaries = []
    for it in range(1, iterations + 1):
        if it in done:
            policy = done[it]["model_path"]
            say(f"optimize: iteration {it} done already (policy {policy})")
            continue
        generator = HFGenerator(policy, batch_size=int(ocfg["batch_size"]), max_new_tokens=int(ocfg["max_new_tokens"]))
        samples = restem.sample(generator, items, ddls, k, float(ocfg["temperature"]))
        del generator
        now, records = dt.datetime.now(dt.timezone.utc), []
        for item, texts in zip(items, samples, strict=True):
            for fast in texts:
                check = verifiers(item["domain"]).check(item["slow_sql"], fast)
                score = reward.score(check.speedup, check.passed, item["slow_sql"], fast)
                records.append(_record(item, f"policy:{Path(policy).name}", fast, check, score,
                                            check.passed and reward.keep(score), it, now))  # fmt: skip
        kept = [r.asDict() for r in ctx.lake.read("opt_pairs").filter(F.col("kept")).collect()]
        rows = restem.training_rows(kept + [r for r in records if r["kept"]], ddls)
        metrics = restem.iteration_metrics(records, len(items))
        say(f"optimize: iteration {it}: {len(records)} sampled rewrites, {metrics['equivalent']} equivalent, "
            f"{metrics['kept']} kept; rewards mean {metrics['reward_mean']} stdev {metrics['reward_stdev']}; "
            f"fine-tuning on {len(rows)} kept pairs for {steps} steps")  # fmt: skip
        if rows and steps > 0:
            data = restem.write_dataset(
                rows, root / f"iter-{it}" / "data", f"opt_pairs@v{ctx.lake.version('opt_pairs')}"
            )
            train_cfg = deep_merge(dict(ctx.cfg["train"]), ctx.cfg["optimize"]["train"])
            policy = str(restem.fine_tune(train_cfg, data, root / f"iter-{it}" / "run", policy, steps))
        if records:  # written once the iteration's policy is trained: a crash before leaves opt_pairs as it was
            ctx.lake.merge("opt_pairs", ctx.spark.createDataFrame(records, OPT_PAIRS.spark_schema), update=True)
        _finish(ctx, it, str(policy), str(policy), metrics)
        summaries.append({"iteration": it, **metrics})
    return summaries


def reward_from_config(ocfg: dict) -> Reward:
    return Reward(cap=float(ocfg["reward"]["cap"]), keep_threshold=float(ocfg["reward"]["keep_threshold"]),
                  regression_penalty=float(ocfg["reward"]["regression_penalty"]))  # fmt: skip


def run_export(ctx, out, copies: int) -> dict:
    """Kept pairs of ``opt_pairs`` plus ``copies`` renamed copies of each (split first, then augment) as chat
    JSON Lines: ``train.jsonl`` and ``validation.jsonl``."""
    from pyspark.sql import functions as F

    from sqlfix.optimize import augment, restem

    pool = seed_pool(ctx)
    kept = [r.asDict() for r in ctx.lake.read("opt_pairs").filter(F.col("kept")).orderBy("pair_id").collect()]
    copies_, rejected = augment.augment(kept, lambda p: pool.schema(p["domain"]), copies)

    def render(row: dict) -> str:
        tables = row.get("schema") or pool.schema(row["domain"])
        ddls = {t: f"CREATE TABLE {t} ({', '.join(f'{c} {typ.upper()}' for c, typ in cols.items())})"
                for t, cols in tables.items()}  # fmt: skip
        return restem.render_opt_prompt(restem.tables_ddl(row["slow_sql"], ddls), row["slow_sql"])

    counts = augment.export(kept + copies_, out, render)
    return {**counts, "originals": len(kept), "copies": len(copies_), "rejected_copies": rejected}


def log_iterations(mlflow_cfg: dict, summaries: list[dict], params: dict) -> str | None:
    """One MLflow run per ``sqlfix optimize run``: every iteration's numeric metrics at its step, and the
    pattern mix as a JSON artifact per iteration."""
    if not summaries:
        return None
    import mlflow

    mlflow.set_tracking_uri(mlflow_cfg["tracking_uri"])
    mlflow.set_experiment(mlflow_cfg.get("experiment_optimize") or "sqlfix-optimize")
    with mlflow.start_run(run_name="restem") as run:
        mlflow.log_params(params)
        for s in summaries:
            numeric = {k: float(v) for k, v in s.items() if isinstance(v, int | float) and k != "iteration"}
            mlflow.log_metrics(numeric, step=int(s["iteration"]))
            mlflow.log_dict(s.get("pattern_mix") or {}, f"pattern_mix/iteration-{s['iteration']}.json")
        return run.info.run_id
