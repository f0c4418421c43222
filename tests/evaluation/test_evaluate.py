"""An evaluation with a scripted model (exact metrics, verified by the analyzer) and the command on the
tiny model (tables written, bad eval rows named)."""

from __future__ import annotations

import json

import pytest
from sqlfix.inference.generate import Candidate

SCHEMA = "CREATE TABLE qa.orders (order_id BIGINT, amount DECIMAL(18,2), country STRING)"
BUG = "-- top orders\nSELECT order_id,\n  amount\nFROM qa.ordrs\nWHERE amount > 10"
REF = "-- top orders\nSELECT order_id,\n  amount\nFROM qa.orders\nWHERE amount > 10"
SAMPLES = [
    {"sample_id": "right", "schema_ddl": SCHEMA, "bug_sql": BUG, "fixed_sql": REF, "error_message": "[TABLE_OR_VIEW_NOT_FOUND] `qa`.`ordrs`"},
    {"sample_id": "zero", "schema_ddl": SCHEMA, "bug_sql": BUG, "fixed_sql": REF, "error_message": "[TABLE_OR_VIEW_NOT_FOUND] `qa`.`ordrs`"},
    {"sample_id": "echo", "schema_ddl": SCHEMA, "bug_sql": BUG + " ", "fixed_sql": REF, "error_message": "[TABLE_OR_VIEW_NOT_FOUND] `qa`.`ordrs`"},
    {"sample_id": "other", "schema_ddl": SCHEMA, "bug_sql": "SELECT amout FROM qa.orders", "fixed_sql": "SELECT amount FROM qa.orders",
     "error_message": "[UNRESOLVED_COLUMN.WITH_SUGGESTION] `amout`", "category_l3": "resolution.column.unresolved_column"},
]  # fmt: skip
ANSWERS = {
    BUG: "```sql\n" + REF.replace("SELECT", "select") + "\n```",  # AST-equal, not exact
    BUG + " ": BUG,  # the bug again: the same error
    "SELECT amout FROM qa.orders": "SELECT amount FROM qa.orders WHERE amount > 100",  # passes, over-edits
}


class Scripted:
    name, samples_per_second = "scripted", 1.0

    def generate(self, prompts, bugs, n=1, temperature=0.0, progress=True, max_time=None):
        from sqlfix.inference.extract import extract_sql

        return [[Candidate(ANSWERS[bug], extract_sql(ANSWERS[bug]), -0.5, 9)] for bug in bugs]


def test_metrics_of_a_scripted_model(spark):
    from sqlfix.evaluation.evaluate import evaluate
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox

    samples = [s for s in SAMPLES if s["sample_id"] != "zero"]
    rows, summary = evaluate(Scripted(), Judge(Sandbox(spark), threads=2), samples, progress=False)
    by = {r["sample_id"]: r for r in rows}
    assert [by["right"][k] for k in ("exact", "ast", "analysis_pass", "error_gone", "preservation", "over_edits")] == [
        False,
        True,
        True,
        True,
        0.75,
        1,
    ]  # fmt: skip  (keyword case changes 1 of the 4 kept lines)
    assert [by["echo"][k] for k in ("ast", "analysis_pass", "error_gone", "prediction_condition")] == \
        [False, False, False, "TABLE_OR_VIEW_NOT_FOUND"]  # fmt: skip
    assert [by["other"][k] for k in ("exact", "ast", "analysis_pass", "error_gone", "over_edits", "category_l2")] == \
        [False, False, True, True, 0, "resolution.column"]  # fmt: skip
    assert by["right"]["category_l3"] == "resolution.relation.table_not_found" and by["right"]["diff_bucket"] == "1"
    assert summary["overall"] == {"n": 3, "exact": 0.0, "ast": 0.3333, "analysis_pass": 0.6667, "error_gone": 0.6667,
                                  "preservation": 0.875, "over_edits": 0.3333}  # fmt: skip
    assert summary["by_category_l2"]["resolution.relation"]["ast"] == 0.5
    assert {k: v["n"] for k, v in summary["by_database"].items()} == {"qa": 3}
    assert {k: v["n"] for k, v in summary["by_edit_size"].items()} == {"single-token": 3}


@pytest.mark.slow
def test_evaluate_command_on_a_file(run_cli, run_cli_fails, lake, tiny_model_dir, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"schema": s["schema_ddl"], "bug_sql": s["bug_sql"], "fixed_sql": s["fixed_sql"],
                                         "error_message": s["error_message"]}) + "\n" for s in SAMPLES[:3]))  # fmt: skip
    import shutil

    other = shutil.copytree(tiny_model_dir, tmp_path / "other-model")
    out = run_cli("--set", "evaluate.max_new_tokens=16", "evaluate", "--models", f"{tiny_model_dir},{other}",
                  "--input", str(cases), "--no-mlflow")  # fmt: skip
    assert out.count("    3 ") == 2 and out.count("%") == 10  # one Table 1 row per model
    runs = lake.read("eval_runs").collect()
    assert (
        len(runs) == 2 and {r["samples"] for r in runs} == {3} and runs[0]["eval_set"].startswith("file:cases.jsonl#")
    )
    assert lake.read("eval_predictions").count() == 6
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"bug_sql": "SELECT 1", "fixed_sql": "SELECT 1"}) + "\n" + json.dumps({"bug_sql": "x"}) + "\n"
    )
    code, err = run_cli_fails("evaluate", "--models", str(tiny_model_dir), "--input", str(bad), "--no-mlflow")
    assert code == 2 and f"{bad}:2" in err and "fixed_sql" in err
    # the two runs' predictions, blind: export, fill, import
    out = run_cli("review", "export", "--out", str(tmp_path / "review"), "--reviewers", "ann,bob,cho")
    assert "6 items (2 models, names hidden), 18 reviews" in out
    import csv

    with (tmp_path / "review" / "review.csv").open() as fh:
        sheet = list(csv.DictReader(fh))
    key = json.loads((tmp_path / "review" / "key.json").read_text())
    assert str(tiny_model_dir) not in (tmp_path / "review" / "review.csv").read_text()
    for row in sheet:
        row["verdict"] = "incorrect" if key[row["item_id"]]["sample_id"].startswith("line1-") else "correct"
    with (tmp_path / "review" / "review.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(sheet[0]))
        writer.writeheader()
        writer.writerows(sheet)
    out = run_cli("review", "import", "--input", str(tmp_path / "review" / "review.csv"), "--key",
                  str(tmp_path / "review" / "key.json"))  # fmt: skip
    assert "3 items  accuracy 66.7%" in out and "Fleiss' kappa 1.000 over 6 items" in out


def test_python_api(spark):
    import sqlfix

    result = sqlfix.fix("SELECT ordr_id FROM qa.api_orders", schema="CREATE TABLE qa.api_orders (order_id BIGINT)")
    assert (result.verified, result.fixed_sql, result.source) == (
        True,
        "SELECT order_id FROM qa.api_orders",
        "suggestion",
    )


def test_a_limited_pick_covers_every_domain_and_category():
    from sqlfix.evaluation.evaluate import pick

    rows = [{"sample_id": str(i), "bug_sql": f"SELECT 1 FROM {'ads' if i % 7 == 0 else 'shop'}.t",
             "category_l3": f"c{i % 3}"} for i in range(100)]  # fmt: skip
    picked = pick(rows, 6)
    assert [(r["bug_sql"][-5:], r["category_l3"]) for r in picked] == [
        ("ads.t", "c0"), ("hop.t", "c0"), ("ads.t", "c1"), ("hop.t", "c1"), ("ads.t", "c2"), ("hop.t", "c2")]  # fmt: skip
    assert picked == pick(list(reversed(rows)), 6) and len(pick(rows, None)) == 100
