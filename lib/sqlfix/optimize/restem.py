"""ReSTEM for SQL optimisation: sample rewrites from the policy, keep the verified fast ones, fine-tune, repeat.

One iteration: the E-step samples ``k`` rewrites per slow query of the train split from the current policy
(the optimisation prompt below), verification and the reward judge them (``verify``, ``reward``); the
M-step fine-tunes the policy on every kept pair so far with the existing DM-SFT recipe (the slow query in
the prompt, the fast one as the target: unchanged lines may be dropped from the loss exactly as for fixes).
"""

from __future__ import annotations

import hashlib
import json
import statistics
from pathlib import Path

from sqlfix.sql.normalize import normalized
from sqlfix.sql.references import referenced_tables

OPT_INSTRUCTION = (
    "You are a Spark SQL performance expert. Rewrite the query below so that it returns exactly the same "
    "result and runs faster on Spark. Keep its formatting; change only what makes it slow."
)


def render_opt_prompt(schema_ddl: str, slow_sql: str) -> str:
    """The user turn of one optimisation sample.

    Example:
        >>> print(render_opt_prompt("CREATE TABLE t (a INT)", "SELECT DISTINCT a FROM t GROUP BY a"))  # doctest: +ELLIPSIS
        You are a Spark SQL performance expert. ...
        [TABLES SCHEMA]
        CREATE TABLE t (a INT)
        [SLOW SQL]
        SELECT DISTINCT a FROM t GROUP BY a
        [FAST SQL]
    """
    return f"{OPT_INSTRUCTION}\n[TABLES SCHEMA]\n{schema_ddl}\n[SLOW SQL]\n{slow_sql}\n[FAST SQL]"


def tables_ddl(sql: str, ddl_by_table: dict[str, str]) -> str:
    """The CREATE TABLE statements of the tables ``sql`` references (``sql.references``), in catalog order.

    Example:
        >>> tables_ddl("SELECT * FROM b, a x", {"a": "CREATE TABLE a (i INT)", "b": "CREATE TABLE b (j INT)"})
        'CREATE TABLE a (i INT);\\nCREATE TABLE b (j INT)'
    """
    names = set(referenced_tables(sql))
    return ";\n".join(ddl for name, ddl in ddl_by_table.items() if name in names)


def ddls_of(ddl_by_table, item: dict) -> dict[str, str]:
    """The CREATE TABLE statements of ``item``'s database: ``ddl_by_table`` is one mapping for every item, or
    a function of the item (its domain's tables: ``seeds.Pool.ddls``)."""
    return ddl_by_table(item) if callable(ddl_by_table) else ddl_by_table


def sample(generator, items: list[dict], ddl_by_table, k: int, temperature: float) -> list[list[str]]:
    """``k`` distinct rewrites per slow query from the policy (SQL extracted from each answer);
    ``ddl_by_table`` as ``ddls_of`` reads it."""
    prompts = [render_opt_prompt(tables_ddl(i["slow_sql"], ddls_of(ddl_by_table, i)), i["slow_sql"]) for i in items]
    found = generator.generate(prompts, [i["slow_sql"] for i in items], n=k, temperature=temperature)
    out = []
    for item, candidates in zip(items, found, strict=True):
        seen, texts = {normalized(item["slow_sql"])}, []
        for c in candidates:
            if c.sql and normalized(c.sql) not in seen:
                seen.add(normalized(c.sql))
                texts.append(c.sql)
        out.append(texts)
    return out


def training_rows(pairs: list[dict], ddl_by_table) -> list[dict]:
    """Kept pairs as the trainer's rows (prompt, bug_sql = slow, target = fast), the best reward per slow query."""
    best: dict[str, dict] = {}
    for p in pairs:
        if (
            p["kept"]
            and p["split"] == "train"
            and (p["slow_sql"] not in best or p["reward"] > best[p["slow_sql"]]["reward"])
        ):
            best[p["slow_sql"]] = p
    return [{"sample_id": p["pair_id"], "split": "train", "prompt": render_opt_prompt(tables_ddl(p["slow_sql"], ddls_of(ddl_by_table, p)),
             p["slow_sql"]), "target": p["fast_sql"], "bug_sql": p["slow_sql"], "fixed_sql": p["fast_sql"],
             "category_l3": p["pattern"], "task_id": p["seed_id"]} for p in sorted(best.values(), key=lambda p: p["pair_id"])]  # fmt: skip


def write_dataset(rows: list[dict], out: Path, version: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "train.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "eval.jsonl").write_text("")
    fingerprint = hashlib.sha256("".join(r["sample_id"] for r in rows).encode()).hexdigest()
    (out / "manifest.json").write_text(json.dumps({"dataset_version": version, "train_rows": len(rows),
                                                   "fingerprint": fingerprint}, indent=1))  # fmt: skip
    return out


def fine_tune(train_cfg: dict, data_dir: Path, out_dir: Path, model: str, steps: int) -> Path:
    """The M-step: the DM-SFT recipe on ``data_dir`` from ``model`` for ``steps`` steps; returns the final folder."""
    from sqlfix.training.recipe import DMSFTRecipe

    cfg = {**train_cfg, "model": model, "dataset_dir": str(data_dir), "output_dir": str(out_dir),
           "max_steps": int(steps), "resume": False, "save_steps": 0}  # fmt: skip
    recipe = DMSFTRecipe(cfg)
    recipe.setup()
    recipe.train()
    final = recipe.save_checkpoint()
    recipe.cleanup()
    return Path(final)


def iteration_metrics(records: list[dict], slow_count: int) -> dict:
    """What each iteration logs: success rate, unique normalised queries, pattern mix, rewards, speed-ups."""
    equivalent = [r for r in records if r["equivalent"]]
    speedups = sorted(r["speedup"] for r in equivalent if r["speedup"])
    solved = {r["slow_sql"] for r in records if r["kept"]}
    mix: dict[str, int] = {}
    for r in records:
        mix[r["pattern"]] = mix.get(r["pattern"], 0) + 1
    rewards = [r["reward"] for r in equivalent]
    return {
        "candidates": len(records), "equivalent": len(equivalent), "kept": sum(r["kept"] for r in records),
        "success_rate": round(len(solved) / slow_count, 4) if slow_count else 0.0,
        "unique_rewrites": len({normalized(r["fast_sql"]) for r in records}),
        "pattern_mix": mix, "reward_mean": round(statistics.fmean(rewards), 4) if rewards else None,
        "reward_stdev": round(statistics.stdev(rewards), 4) if len(rewards) > 1 else None,
        "speedup_mean": round(statistics.fmean(speedups), 4) if speedups else None,
        "speedup_p90": speedups[int(0.9 * (len(speedups) - 1))] if speedups else None,
        "regressions": sum(1 for s in speedups if s < 1.0),
    }  # fmt: skip
