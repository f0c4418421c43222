"""The analyst notebooks run top to bottom on a small lake (code cells executed in order, one namespace), and
what they compute is checked against the lake itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == [
        "bug_pairs.ipynb", "model_comparison.ipynb", "spot_check_review.ipynb"]  # fmt: skip


def test_notebooks_run_as_databricks_runs_them():
    """Issue 25: no notebook forces a backend (plots inline), builds a session of its own or waits on input()."""
    for path in NOTEBOOKS.glob("*.ipynb"):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        assert "open_notebook(globals()" in code, path.name
        for banned in ("matplotlib.use(", "input(", "SparkSession", "get_spark", "Context("):
            assert banned not in code, (path.name, banned)


class _Widgets:
    def __init__(self, given):
        self.given, self.made = given, {}

    def text(self, name, default):
        self.made[name] = default

    def get(self, name):
        return self.given.get(name, self.made[name])


def test_on_databricks_the_notebook_uses_its_spark_and_widgets():
    from sqlfix.errors import UsageError
    from sqlfix.report.notebook import notebook_params

    widgets = _Widgets({"catalog": "prod", "eval_set": "sft_eval@v3"})
    given_spark = object()
    cfg, values, spark = notebook_params({"dbutils": type("D", (), {"widgets": widgets})(), "spark": given_spark},
                                         "eval_set", "figures")  # fmt: skip
    assert spark is given_spark and values == {"eval_set": "sft_eval@v3", "figures": ""}
    assert widgets.made == {"catalog": "main", "schema": "sqlfix", "eval_set": "", "figures": ""}  # the profile's
    assert (cfg["spark"]["profile"], cfg["lake"]["catalog"], cfg["lake"]["schema"]) == ("cluster", "prod", "sqlfix")
    assert (cfg.sources["lake.catalog"], cfg.sources["notebook.eval_set"]) == ("widget catalog", "widget eval_set")
    hostile = _Widgets({"schema": "x`; DROP SCHEMA y"})
    with pytest.raises(UsageError, match="the schema widget is not a plain name"):
        notebook_params({"dbutils": type("D", (), {"widgets": hostile})(), "spark": given_spark})


def _run(name: str, tmp_path, monkeypatch, **env) -> dict:
    monkeypatch.setenv("SQLFIX_OUTPUT_ROOT", str(tmp_path))  # the test's lake and MLflow store (see cfg)
    monkeypatch.setenv("SQLFIX_FIGURES", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display here; the notebooks themselves leave plots inline
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    namespace: dict = {}
    for cell in json.loads((NOTEBOOKS / name).read_text())["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), name, "exec"), namespace)  # noqa: S102
    return namespace


@pytest.fixture
def filtered_lake(simulate_into_lake, run_cli):
    simulate_into_lake(300, 2)
    run_cli("filter")


def test_bug_pair_explorer(filtered_lake, lake, tmp_path, monkeypatch):
    from sqlfix.sql.diff import changed_lines

    ns = _run("bug_pairs.ipynb", tmp_path, monkeypatch)
    pairs = lake.read("bug_pairs")
    n = pairs.count()
    assert n > 20 and int(ns["by_day"]["pairs"].sum()) == n == int(ns["by_signal_engine"]["pairs"].sum())
    assert set(ns["by_day"]["category_l1"]) == {r[0] for r in pairs.select("category_l1").distinct().collect()}
    drops = ns["drops"]
    assert int(drops[drops.stage == "mining"]["pairs"].sum()) == lake.read("bug_pairs_dropped").count()
    verdicts = lake.read("pair_verdicts")
    assert int(drops[drops.stage == "filter"]["pairs"].sum()) == verdicts.filter("verdict <> 'kept'").count()
    top = ns["common"].iloc[0]
    assert pairs.filter(pairs.error_condition == top["condition"]).count() == int(top["pairs"])
    assert ns["longest"]["chars"].tolist() == sorted(ns["longest"]["chars"].tolist(), reverse=True)
    for figure in ("pairs_by_day.png", "diff_lines.png"):
        assert (tmp_path / figure).stat().st_size > 5000
    row, marks = ns["row"], [line[:1] for line in ns["rendered"].splitlines()]
    removed, changed = marks.count("<") + marks.count("|"), marks.count(">") + marks.count("|")
    assert row.changed_lines == changed_lines(row.bug_sql, row.fixed_sql) == max(removed, changed)


def test_spot_check_review_records_verdicts_and_runs_the_gate(filtered_lake, lake, tmp_path, monkeypatch):
    ns = _run("spot_check_review.ipynb", tmp_path, monkeypatch, SQLFIX_REVIEW_ALL="pass", SQLFIX_REVIEW_N="6")
    assert ns["drawn"] == 6 == len(ns["todo"]) == ns["stored"]
    decision = ns["decision"]
    assert (decision["reviewed"], decision["passed"], decision["pass_rate"]) == (6, 6, 1.0)
    stored = lake.read("batch_approvals").filter(f"batch_id = '{ns['batch']}'").first()
    assert (stored["passed"], stored["approved"]) == (6, decision["approved"])
    reviewed = lake.read("spot_checks").filter(f"batch_id = '{ns['batch']}' AND verdict = 'pass'").count()
    assert reviewed == 6


def _registered(client, name: str, p: float, losses: list[tuple[float, float]]) -> str:
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_params({"p": p, "mode": "line"})
        for step, (diff, consistent) in enumerate(losses, 1):
            mlflow.log_metrics({"loss_diff": diff, "loss_consistent": consistent}, step=step)
    return client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id).version


def test_model_comparison_puts_base_sft_and_dmsft_side_by_side(lake, spark, cfg, tmp_path, monkeypatch):
    import datetime as dt

    import mlflow
    from sqlfix.evaluation.evaluate import summarize
    from sqlfix.tables import EVAL_RUNS

    mlflow.set_tracking_uri(cfg["train"]["mlflow"]["tracking_uri"])
    mlflow.set_experiment("qa")
    client, name = mlflow.MlflowClient(), cfg["train"]["mlflow"]["registered_model"]
    client.create_registered_model(name)
    v1 = _registered(client, name, 0.0, [(1.0, 0.5), (0.6, 0.2)])
    v2 = _registered(client, name, 0.5, [(0.9, 0.6), (0.4, 0.3)])
    records = []
    for ref, version, hits in (("base", None, (False, False)), ("v1", v1, (True, False)), ("v2", v2, (True, True))):
        rows = [{"category_l2": "syntax.punctuation", "diff_bucket": "1", "ast": h, "exact": h, "analysis_pass": True,
                 "preservation": 1.0, "over_edits": 0} for h in hits]  # fmt: skip
        records.append({"eval_run_id": ref, "evaluated_at": dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc),
                        "model_ref": ref, "model_version": version, "eval_set": "sft_eval@v1", "samples": 2,
                        "ast": sum(hits) / 2, "exact": sum(hits) / 2, "analysis_pass": 1.0, "preservation": 1.0,
                        "metrics": json.dumps(summarize(rows))})  # fmt: skip
    lake.merge("eval_runs", spark.createDataFrame(records, EVAL_RUNS.spark_schema))

    ns = _run("model_comparison.ipynb", tmp_path, monkeypatch)
    table = ns["table"][["model", "training", "ast"]].values.tolist()
    assert table == [["base", "base", 0.0], ["v1", "SFT", 0.5], ["v2", "DM-SFT p=0.5", 1.0]]
    assert ns["per_category"] == {"base (base)": {"syntax.punctuation": 0.0}, "v1 (SFT)": {"syntax.punctuation": 0.5},
                                  "v2 (DM-SFT p=0.5)": {"syntax.punctuation": 1.0}}  # fmt: skip
    assert ns["loss"][("v2", "loss_diff")] == [(1, 0.9), (2, 0.4)]
    assert ns["loss"][("v1", "loss_consistent")] == [(1, 0.5), (2, 0.2)]
    for figure in ("accuracy_by_category.png", "accuracy_by_diff_size.png", "loss_diff_vs_consistent.png"):
        assert (tmp_path / figure).stat().st_size > 5000
