"""``sqlfix experiment dmsft``: arms, eval sets, curves and best steps (exact values on small inputs), and
the whole experiment on a tiny random model — two arms, four steps — through the command line."""

from __future__ import annotations

import json

import pytest
from sqlfix.errors import UsageError
from sqlfix.experiment import dmsft

DDL = "CREATE TABLE qa.t (a INT, b STRING);\nCREATE TABLE qaads.c (id INT, cost DOUBLE)"


def _sample(i: int, db: str = "qa", leaf: str = "analysis.column.unresolved") -> dict:
    table, good, bad = ("t", "b", "bb") if db == "qa" else ("c", "cost", "costt")
    return {"sample_id": f"s{i:02d}-{db}", "schema_ddl": DDL, "category_l3": leaf,
            "bug_sql": f"SELECT {bad}\nFROM {db}.{table}\nWHERE 1 = {i}",
            "error_message": f"[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column `{bad}` cannot be resolved.",
            "fixed_sql": f"SELECT {good}\nFROM {db}.{table}\nWHERE 1 = {i}"}  # fmt: skip


def test_arms_are_named_by_p_and_mode_and_checked():
    arms = dmsft.parse_arms([{"p": 0.0}, {"name": "half", "p": 0.5}, {"p": 0.5, "mode": "token"}])
    assert [(a.name, a.p, a.mode) for a in arms] == [("p0.0", 0.0, "line"), ("half", 0.5, "line"),
                                                     ("token-p0.5", 0.5, "token")]  # fmt: skip
    assert [a.name for a in dmsft.parse_arms([{"p": 0.0}, {"p": 1.0}], only=["p1.0"])] == ["p1.0"]
    for bad, message in (([{"p": 1.5}], "p must be in"), ([{"p": 0.1, "mode": "word"}], "mode must be"),
                         ([{"p": 0.1}, {"p": 0.1}], "unique names"), ([{"name": "base", "p": 0}], "unique names"),
                         ([], "no arms")):  # fmt: skip
        with pytest.raises(UsageError, match=message):
            dmsft.parse_arms(bad)
    with pytest.raises(UsageError, match="no such arm: p9"):
        dmsft.parse_arms([{"p": 0.0}], only=["p9"])


def test_eval_steps_and_the_best_step():
    assert dmsft.eval_steps(240, 40) == [40, 80, 120, 160, 200, 240]
    assert dmsft.eval_steps(250, 40) == [40, 80, 120, 160, 200, 240, 250]
    with pytest.raises(UsageError):
        dmsft.eval_steps(10, 0)
    points = [{"step": 0, "ast": 0.0}, {"step": 40, "ast": 0.5}, {"step": 80, "ast": 0.5}, {"step": 120, "ast": None}]
    assert dmsft.best(points) == {"step": 40, "ast": 0.5}
    assert dmsft.best([{"step": 0, "ast": None}]) is None


def test_eval_sets_split_held_out_databases_and_keep_their_order_when_grown():
    samples = [_sample(i) for i in range(10)] + [_sample(i, "qaads") for i in range(4)]
    sets = dmsft.eval_sets(samples, {"qaads"}, 6, 3)
    assert len(sets["in_domain"]) == 6 and len(sets["held_out"]) == 3
    assert all("qaads" not in s["bug_sql"] for s in sets["in_domain"])
    assert all("qaads" in s["bug_sql"] for s in sets["held_out"])
    bigger = dmsft.eval_sets(samples, {"qaads"}, 8, 4)
    assert [s["sample_id"] for s in bigger["in_domain"][:6]] == [s["sample_id"] for s in sets["in_domain"]]
    assert dmsft.eval_sets(samples, {"qaads"}, 6, 0)["held_out"] == []


def test_curves_put_the_base_model_at_step_0_of_every_arm():
    rows = [{"arm": "base", "step": 0, "set": "in_domain", "ast": False, "exact": False, "analysis_pass": True,
             "preservation": 0.5, "over_edits": 0, "error_gone": True}]  # fmt: skip
    for arm, hits in (("sft", (True, False)), ("dm", (True, True))):
        for k, hit in enumerate(hits):
            rows.append({"arm": arm, "step": 10, "set": "in_domain", "ast": hit, "exact": hit, "analysis_pass": True,
                         "preservation": 1.0, "over_edits": 0, "error_gone": True, "sample": k})  # fmt: skip
    curve = dmsft.curves(rows, ["sft", "dm"])
    assert [(p["step"], p["n"], p["ast"]) for p in curve["sft"]["in_domain"]] == [(0, 1, 0.0), (10, 2, 0.5)]
    assert [(p["step"], p["ast"]) for p in curve["dm"]["in_domain"]] == [(0, 0.0), (10, 1.0)]
    assert curve["dm"]["held_out"] == []


def test_plan_refuses_an_experiment_folder_with_other_settings(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text(json.dumps({"dataset_version": "sft_train@v1+sft_eval@v1"}))
    (data / "eval.jsonl").write_text("".join(json.dumps(_sample(i)) + "\n" for i in range(5)))
    ecfg = {"max_steps": 4, "eval_every": 2, "eval_samples": 3, "held_out_samples": 0, "batch_size": 2,
            "max_new_tokens": 64, "train": {"batch_size": 1}}  # fmt: skip
    arms = dmsft.parse_arms([{"p": 0.0}])
    plan = dmsft.plan(tmp_path / "exp", data, arms, ecfg, [])
    assert plan["samples"]["held_out"] == [] and len(plan["samples"]["in_domain"]) == 3
    more = dmsft.plan(tmp_path / "exp", data, dmsft.parse_arms([{"p": 0.5}]), ecfg, [])  # a new arm joins
    assert [a["name"] for a in more["arms"]] == ["p0.0", "p0.5"]
    with pytest.raises(UsageError, match=r"other settings \(max_steps\)"):
        dmsft.plan(tmp_path / "exp", data, arms, {**ecfg, "max_steps": 8}, [])
    rows = [json.loads(line) for line in (tmp_path / "exp" / "eval_samples.jsonl").open()]
    assert [r["set"] for r in rows] == ["in_domain"] * 3


@pytest.mark.slow
def test_experiment_end_to_end_on_a_tiny_model(tiny_model_dir, tmp_path, run_cli, ctx):
    import mlflow

    data = tmp_path / "data"
    data.mkdir()
    train = [{**_sample(i), "prompt": "fix", "target": _sample(i)["fixed_sql"]} for i in range(20, 28)]
    from sqlfix.dataset.prompt import render_prompt

    for row in train:
        row["prompt"] = render_prompt(row["schema_ddl"], row["bug_sql"], row["error_message"])
    (data / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train))
    evals = [_sample(i) for i in range(4)] + [_sample(i, "qaads") for i in range(2)]
    (data / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in evals))
    (data / "manifest.json").write_text(json.dumps({"dataset_version": "sft_train@v7+sft_eval@v7"}))
    out = tmp_path / "exp"
    argv = ["experiment", "dmsft", "--dataset-dir", str(data), "--output-dir", str(out),
            "--set", f"train.model={tiny_model_dir}", "--set", "held_out=[qaads]", "--set", "max_steps=4",
            "--set", "eval_every=2", "--set", "eval_samples=3", "--set", "held_out_samples=2",
            "--set", "max_new_tokens=16", "--set", "train.max_length=512"]  # fmt: skip
    printed = run_cli(*argv)

    predictions = {d.name: [json.loads(x) for x in (d / "predictions.jsonl").open()] for d in (out / "arms").iterdir()}
    assert sorted(predictions) == ["base", "dmsft-p0.5", "sft"]
    assert sorted({(r["step"], r["set"]) for r in predictions["sft"]}) == [
        (2, "held_out"), (2, "in_domain"), (4, "held_out"), (4, "in_domain")]  # fmt: skip
    assert len(predictions["base"]) == 5 and len(predictions["sft"]) == 10 == len(predictions["dmsft-p0.5"])
    scores = [json.loads(x) for x in (out / "scores.jsonl").open()]
    assert len(scores) == 25 and {s["arm"] for s in scores} == {"base", "sft", "dmsft-p0.5"}
    summary = json.loads((out / "summary.json").read_text())
    assert [(a["arm"], a["p"], a["complete"]) for a in summary["arms"]] == [
        ("sft", 0.0, True),
        ("dmsft-p0.5", 0.5, True),
    ]
    assert summary["samples"] == {"in_domain": 3, "held_out": 2}
    for a in summary["arms"]:
        assert a["best_step"] in (0, 2, 4) and a["paper_accuracy_pct"] == {0.0: 45.8, 0.5: 50.0}[a["p"]]
        assert [p["step"] for p in summary["curves"][a["arm"]]["in_domain"]] == [0, 2, 4]
        assert a["final_loss_diff"] is not None and a["final_loss_consistent"] is not None
    assert "| sft | 0.0 | line |" in printed and "| dmsft-p0.5 | 0.5 | line |" in printed
    for name in ("accuracy_vs_step.png", "best_by_p.png", "loss_by_arm.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    client = mlflow.tracking.MlflowClient(ctx.cfg["train"]["mlflow"]["tracking_uri"])
    parent = mlflow.search_runs(experiment_names=["sqlfix-dmsft-vs-sft"], output_format="list",
                                filter_string="tags.mlflow.runName = 'exp'")[0]  # fmt: skip
    children = client.search_runs([parent.info.experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")  # fmt: skip
    assert sorted(c.data.tags["mlflow.runName"] for c in children) == ["dmsft-p0.5", "sft"]
    history = client.get_metric_history(children[0].info.run_id, "in_domain.ast")
    assert sorted(m.step for m in history) == [0, 2, 4]

    # A re-run keeps finished arms; an arm without done.json (killed) starts over, never doubling its rows.
    (out / "arms" / "sft" / "done.json").unlink()
    printed = run_cli(*argv, "--stage", "train")
    assert "dmsft-p0.5: done already" in printed
    assert len((out / "arms" / "sft" / "predictions.jsonl").read_text().splitlines()) == 10
    assert len((out / "arms" / "dmsft-p0.5" / "predictions.jsonl").read_text().splitlines()) == 10


def test_held_out_databases_in_the_training_file_are_refused(tmp_path, capsys):
    from sqlfix.cli import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text("{}")
    (data / "eval.jsonl").write_text(json.dumps(_sample(1)) + "\n")
    (data / "train.jsonl").write_text(json.dumps({**_sample(2, "qaads"), "prompt": "p", "target": "t"}) + "\n")
    code = main(["experiment", "dmsft", "--dataset-dir", str(data), "--output-dir", str(tmp_path / "exp"),
                 "--set", "held_out=[qaads]"])  # fmt: skip
    assert code == 2
    assert "held-out databases qaads appear in the training data" in capsys.readouterr().err
    assert not (tmp_path / "exp").exists()
