"""``sqlfix report``: one HTML file whose figures all render in headless Chromium, with the lake's numbers;
an empty lake gives a report that says so instead of failing."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess

import pytest


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium on this machine (make test installs Debian's chromium where apt-get works)")


def _browser(*args: str) -> str:
    done = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    return done.stdout


def _log_training_run(cfg) -> None:
    import mlflow

    mcfg = cfg["train"]["mlflow"]
    mlflow.set_tracking_uri(mcfg["tracking_uri"])
    mlflow.set_experiment(mcfg["experiment"])
    with mlflow.start_run(run_name="qa-run"):
        mlflow.log_params({"p": 0.5, "mode": "line"})
        for step in range(1, 6):
            mlflow.log_metrics({"loss": 1.0 / step, "loss_diff": 2.0 / step, "loss_consistent": 0.5 / step}, step=step)


def _eval_run(lake, spark) -> None:
    import datetime as dt

    from sqlfix.evaluation.evaluate import summarize
    from sqlfix.tables import EVAL_RUNS

    rows = [{"category_l1": "syntax", "category_l2": "syntax.punctuation", "category_l3": "syntax.punctuation.x",
             "diff_bucket": "1", "ast": hit, "exact": hit, "analysis_pass": True, "preservation": 1.0,
             "over_edits": 0, "error_gone": True} for hit in (True, False)]  # fmt: skip
    record = {"eval_run_id": "r1", "evaluated_at": dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc),
              "model_ref": "@challenger", "model_name": "sqlfix-fixer", "model_version": "1", "eval_set": "sft_eval@v1",
              "samples": 2, "ast": 0.5, "exact": 0.5, "analysis_pass": 1.0, "preservation": 1.0,
              "metrics": json.dumps(summarize(rows))}  # fmt: skip
    lake.merge("eval_runs", spark.createDataFrame([record], EVAL_RUNS.spark_schema))


@pytest.mark.slow
def test_report_renders_every_plot_in_a_browser(simulate_into_lake, run_cli, lake, spark, cfg, tmp_path):
    simulate_into_lake(400, 5)
    run_cli("filter")
    _log_training_run(cfg)
    _eval_run(lake, spark)
    out = tmp_path / "report.html"
    printed = run_cli("report", "--out", str(out))
    page = out.read_text()
    assert "report:" in printed and "(7 figures," in printed
    events, pairs = lake.read("query_logs").count(), lake.read("bug_pairs").count()
    kept = lake.read("pair_verdicts").filter("verdict = 'kept'").count()
    assert f"events {events:,} -&gt; pairs {pairs:,} -&gt; kept {kept:,} -&gt; approved 0" in page
    assert "Run qa-run: p=0.5, mode line, 5 logged steps" in page
    assert "no version of sqlfix-fixer holds alias champion yet" in page
    from PIL import Image

    uris = re.findall(r'<img class="plot" alt="([^"]+)" title="[^"]+" src="data:image/png;base64,([^"]+)"', page)
    assert [alt for alt, _ in uris] == ["data funnel", "pairs by category (level 2)", "changed lines vs the paper",
                                        "filter verdicts", "training loss", "AST match by category",
                                        "AST match by diff size"]  # fmt: skip
    for alt, data in uris:  # each figure decodes to an image with more than one colour: something is drawn
        image = Image.open(io.BytesIO(base64.b64decode(data))).convert("L")
        assert image.size[0] > 300 and image.getextrema()[0] < 100, alt

    dom = _browser("--virtual-time-budget=5000", "--dump-dom", out.as_uri())
    assert 'data-plots-loaded="7"' in dom
    shot = tmp_path / "report.png"
    _browser("--window-size=1200,6000", f"--screenshot={shot}", out.as_uri())
    screenshot = Image.open(shot).convert("L")
    assert screenshot.size == (1200, 6000) and screenshot.getextrema() == (0, 255)
    if os.environ.get("SQLFIX_ARTIFACTS"):  # keep the rendering for people (a CI artifact, a closing note)
        shutil.copy(shot, os.environ["SQLFIX_ARTIFACTS"])


def test_an_empty_lake_gives_a_report_that_says_so(run_cli, tmp_path):
    out = tmp_path / "empty.html"
    printed = run_cli("report", "--out", str(out))
    assert "(0 figures," in printed
    page = out.read_text()
    assert page.count("nothing yet: run `sqlfix demo`") == 5
    assert "no MLflow store at" in page and "no evaluation yet (sqlfix evaluate)" in page
