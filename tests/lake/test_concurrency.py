"""Two writer processes at once (not threads: two JVMs, two Python interpreters) never write a row twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = 8


def _start(*argv: str, cwd: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=cwd)  # fmt: skip


@pytest.mark.slow
def test_two_processes_merging_the_same_rows_write_each_once(tmp_path, spark):
    root, sync = tmp_path / "lake", tmp_path / "sync"
    sync.mkdir()
    script = str(Path(__file__).with_name("race_writer.py"))
    writers = [_start(script, str(root), role, str(ROUNDS), str(sync)) for role in ("a", "b")]
    outputs = [w.communicate(timeout=600)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], outputs
    counts = [dict(kv.split("=") for kv in out.strip().splitlines()[-1].split()) for out in outputs]
    from deltalake import DeltaTable

    table = DeltaTable(str(root / "ingested_files")).to_pyarrow_table()
    keys = set(zip(table.column("path").to_pylist(), table.column("sha256").to_pylist(), strict=True))
    assert (table.num_rows, len(keys)) == (ROUNDS * 40, ROUNDS * 40)
    # every round's 40 rows were inserted by exactly one of the two
    assert sum(int(c["inserted"]) for c in counts) == ROUNDS * 40
    # the race was run: at least one merge found the other's commit first and merged again
    assert sum(int(c["retries"]) for c in counts) >= 1, outputs


def _table(root: Path, name: str):
    from deltalake import DeltaTable

    return DeltaTable(str(root / name)).to_pyarrow_table()


@pytest.mark.slow
def test_two_ingests_and_two_mines_at_once_match_one_run(tmp_path, spark, cfg, ctx, run_cli):
    """The issue's case: two ``sqlfix ingest`` of one folder started together, then two ``sqlfix mine``."""
    from sqlfix.simulate.logs import simulate

    out = tmp_path / "sim"
    simulate(spark, out, events=300, seed=12)
    source = ["--source", str(out / "logs"), "--schemas", str(out / "schemas.jsonl")]
    # the reference: one run of each, in this process
    run_cli("ingest", *source)
    run_cli("mine")
    reference = Path(cfg["lake"]["root"])
    expected = {name: _table(reference, name).num_rows for name in
                ("query_logs", "query_logs_rejected", "table_schemas", "ingested_files", "bug_pairs")}  # fmt: skip
    root = tmp_path / "raced"
    cli = ["-m", "sqlfix.cli", "--lake-root", str(root), "--set", "spark.master=local[1]"]
    for command in (["ingest", *source], ["mine"]):
        runs = [_start(*cli, *command) for _ in range(2)]
        outputs = [r.communicate(timeout=600)[0] for r in runs]
        assert [r.returncode for r in runs] == [0, 0], outputs
    for name, rows in expected.items():
        table = _table(root, name)
        key = {"query_logs": "event_id", "query_logs_rejected": "reject_id", "bug_pairs": "pair_id"}.get(name)
        distinct = len(set(table.column(key).to_pylist())) if key else rows
        assert (name, table.num_rows, distinct) == (name, rows, rows)
