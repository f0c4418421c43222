"""Dataset builder: dedupe, leakage-free split with a per-category eval top-up, versioned tables, export."""

from __future__ import annotations

import json

import pytest
from sqlfix.dataset.build import SplitConfig, dedupe, leak_groups, samples, split
from sqlfix.sql.normalize import normalized
from sqlfix.sql.references import referenced_tables


def _row(i: int, task: str, fix: str, category: str = "c1", bug: str | None = None) -> dict:
    return {"pair_id": f"p{i:03d}", "task_id": task, "bug_sql": bug or f"SELEC {i}", "fixed_sql": fix,
            "error_message": "[X] e", "schema_ddl": None, "category_l3": category, "signal": "run"}  # fmt: skip


def test_dedupe_exact_and_normalised():
    rows = [
        _row(1, "t1", "SELECT 1", bug="SELEC 1"),
        _row(2, "t2", "select   1 -- same", bug="selec 1"),
        _row(3, "t3", "SELECT 2"),
    ]
    kept, dropped = dedupe(rows)
    assert [r["pair_id"] for r in kept] == ["p001", "p003"] and dropped == 1


def test_split_never_straddles_a_task_or_a_fix():
    rows = [
        _row(i, f"t{i // 3}", f"SELECT {i // 6} FROM t", category=f"c{i % 4}") for i in range(300)
    ]  # groups of 2 tasks
    sides = split(rows, SplitConfig(eval_fraction=0.2, per_category=5, seed=1))
    by_task, by_fix = {}, {}
    for row, side in zip(rows, sides, strict=True):
        by_task.setdefault(row["task_id"], set()).add(side)
        by_fix.setdefault(normalized(row["fixed_sql"]), set()).add(side)
    assert all(len(s) == 1 for s in by_task.values()) and all(len(s) == 1 for s in by_fix.values())
    assert {"train", "eval"} == set(sides) and len(set(leak_groups(rows))) == 50
    assert sides == split(rows, SplitConfig(eval_fraction=0.2, per_category=5, seed=1))  # deterministic


def test_eval_top_up_reaches_rare_categories():
    rows = [_row(i, f"t{i}", f"SELECT {i}", category="common") for i in range(200)]
    rows += [_row(1000 + i, f"r{i}", f"SELECT r{i}", category="rare") for i in range(8)]
    sides = split(rows, SplitConfig(eval_fraction=0.05, per_category=3, seed=0))
    rare_eval = sum(s == "eval" for r, s in zip(rows, sides, strict=True) if r["category_l3"] == "rare")
    assert 3 <= rare_eval <= 4  # topped up, but never more than half of the category's groups
    assert len(set(leak_groups(rows))) == len(rows)


def test_samples_render_the_prompt_and_anonymise_consistently():
    rows = [_row(1, "t1", "SELECT a FROM t WHERE s = 'paid'", bug="SELECT a FROM t WHER s = 'paid'")]
    out, _ = samples(rows, SplitConfig(), {"enabled": True, "strings": True})
    assert "[BUG SQL]\nSELECT a FROM t WHER s = 'str_1'" in out[0]["prompt"]
    assert out[0]["target"] == "SELECT a FROM t WHERE s = 'str_1'"


@pytest.mark.slow
def test_build_dataset_from_approved_batches(lake, run_cli, run_cli_fails, simulate_into_lake, tmp_path):
    from sqlfix.spotcheck.run import latest_batch

    simulate_into_lake(events=500, seed=41)
    run_cli("filter")
    code, err = run_cli_fails("build-dataset")  # nothing approved yet: a scheduled training must not go on
    assert (code, "run sqlfix spotcheck gate" in err, lake.exists("sft_train")) == (1, True, False)
    batch = latest_batch(lake)
    run_cli("spotcheck", "sample", "--batch", batch, "--n", "20")
    verdicts = tmp_path / "v.jsonl"
    verdicts.write_text("".join(json.dumps({"batch_id": batch, "pair_id": r.pair_id, "verdict": "pass", "reviewer": "t"}) + "\n"
                                for r in lake.read("spot_checks").collect()))  # fmt: skip
    run_cli("spotcheck", "record", "--input", str(verdicts))
    run_cli("spotcheck", "gate", "--batch", batch)
    printed = run_cli("build-dataset", "--export", str(tmp_path / "ds"))
    train, evaluation = lake.read("sft_train").collect(), lake.read("sft_eval").collect()
    kept = lake.read("pair_verdicts").filter("verdict = 'kept'").count()
    assert len(train) + len(evaluation) <= kept and len(train) > len(evaluation) > 0
    assert not {r.task_id for r in train} & {r.task_id for r in evaluation}
    assert not {normalized(r.fixed_sql) for r in train} & {normalized(r.fixed_sql) for r in evaluation}
    assert all(r.prompt.count("[BUG SQL]") == 1 and r.target == r.fixed_sql for r in train)
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert manifest["train_rows"] == len(train) and manifest["dataset_version"] in printed
    assert sum(1 for _ in (tmp_path / "ds" / "train.jsonl").open()) == len(train)
    version = lake.version("sft_train")
    assert "unchanged" in run_cli("build-dataset") and lake.version("sft_train") == version
    # the simulator's shop.orders declared an evaluation benchmark: no pair reading it reaches either set
    printed = run_cli("build-dataset", "--set", "reserved.tables=[orders]")
    reading = {r.sample_id for r in train + evaluation if "shop.orders" in referenced_tables(r.bug_sql) + referenced_tables(r.fixed_sql)}
    rejected = lake.read("sft_rejected").collect()
    assert reading <= {r.sample_id for r in rejected} and {r.reason for r in rejected} == {"reserved_benchmark"}
    assert all("shop.orders" in referenced_tables(r.bug_sql) + referenced_tables(r.fixed_sql) for r in rejected)
    assert f"{len(rejected)} reading an evaluation benchmark left out" in printed and len(reading) > 0
    after = lake.read("sft_train").collect() + lake.read("sft_eval").collect()
    assert {r.sample_id for r in after} == {r.sample_id for r in train + evaluation} - reading


def test_a_held_out_database_is_never_trained_on():
    rows = [_row(i, f"t{i}", f"SELECT {i} FROM {'ads' if i % 5 == 0 else 'shop'}.x", bug=f"SELEC {i} FROM "
                 f"{'ads' if i % 5 == 0 else 'shop'}.x") for i in range(100)]  # fmt: skip
    sides = split(rows, SplitConfig(eval_fraction=0.1, per_category=0, seed=0, holdout_databases=("ads",)))
    held = [side for row, side in zip(rows, sides, strict=True) if "ads." in row["bug_sql"]]
    assert held == ["eval"] * 20
    rest = [side for row, side in zip(rows, sides, strict=True) if "shop." in row["bug_sql"]]
    plain = split(rows, SplitConfig(eval_fraction=0.1, per_category=0, seed=0))
    assert rest == [side for row, side in zip(rows, plain, strict=True) if "shop." in row["bug_sql"]]  # as before
    assert rest.count("train") == 80 - rest.count("eval") and rest.count("eval") < 20


def test_generated_variants_share_their_corpus_querys_side_and_can_be_kept_out_of_eval():
    fix = "SELECT o.user_id, SUM(o.amount) AS total\nFROM qa.orders o\nGROUP BY o.user_id"
    rows = [{"pair_id": f"m{i}", "task_id": f"t{i}", "bug_sql": f"SELEC {i}", "fixed_sql": f"SELECT {i}",
             "category_l3": "c", "source": "mined"} for i in range(40)]  # fmt: skip
    rows += [{"pair_id": f"g{i}", "task_id": "t7", "bug_sql": fix.replace("SUM", f"SUMM{i}"), "fixed_sql": fix,
              "category_l3": "g", "source": "oriented"} for i in range(3)]  # fmt: skip
    rows.append(
        {
            "pair_id": "m_fix",
            "task_id": "t99",
            "bug_sql": "SELEC x",
            "fixed_sql": fix.lower(),
            "category_l3": "c",
            "source": "mined",
        }
    )  # the same query in another task: one group
    out, _ = samples(rows, SplitConfig(eval_fraction=0.5, per_category=0, seed=3))
    side = {s["sample_id"]: s["split"] for s in out}
    assert {side[p] for p in ("g0", "g1", "g2", "m7", "m_fix")} == {"eval"}  # one group, drawn to eval (seed 3)
    evals = [s for s in out if s["split"] == "eval"]
    mined_only, _ = samples(rows, SplitConfig(eval_fraction=0.5, per_category=0, seed=3, eval_sources=("mined",)))
    assert {s["sample_id"] for s in mined_only} == {s["sample_id"] for s in out} - {
        s["sample_id"] for s in evals if s["source"] == "oriented"
    }
    assert {s["source"] for s in mined_only if s["split"] == "eval"} == {"mined"}
    assert {s["source"] for s in out if s["sample_id"].startswith("g")} == {"oriented"}
