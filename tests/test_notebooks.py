"""Analyst notebooks run top to bottom on a local lake (code cells executed in order, one namespace)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(notebook, spark, run_cli, cfg, tmp_path, monkeypatch):
    from sqlfix.simulate.logs import simulate

    sim = tmp_path / "sim"
    simulate(spark, sim, events=300, seed=2)
    run_cli("ingest", "--source", str(sim / "logs"), "--schemas", str(sim / "schemas.jsonl"))
    run_cli("mine")
    monkeypatch.setenv("SQLFIX_LAKE_ROOT", cfg["lake"]["root"])
    monkeypatch.setenv("SQLFIX_FIGURE", str(tmp_path / "figure.png"))
    namespace: dict = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)  # noqa: S102
    assert (tmp_path / "figure.png").stat().st_size > 1000
    from sqlfix.sql.diff import changed_lines

    ctx_pairs = run_cli("show", "bug_pairs", "--limit", "0").splitlines()[0]
    assert ctx_pairs.endswith(f": {namespace['pairs'].count()} rows")  # the notebook reads the lake's table
    row, marks = namespace["row"], [line[:1] for line in namespace["rendered"].splitlines()]
    removed, changed = marks.count("<") + marks.count("|"), marks.count(">") + marks.count("|")
    assert row.changed_lines == changed_lines(row.bug_sql, row.fixed_sql) == max(removed, changed)
