"""The command line fails like a tool: one line (what, and how to fix it), exit 2 for usage, 1 for failures."""

from __future__ import annotations

import subprocess
import sys

from sqlfix.config import conf_dir

MISSING = f"no such config file: /no/such.yaml — see {conf_dir()}/train/*.yaml"


def test_missing_training_config_and_dataset(run_cli_fails, tmp_path):
    assert run_cli_fails("train", "--config", "/no/such.yaml") == (2, f"sqlfix train: {MISSING}\n")
    code, err = run_cli_fails("train", "--dataset-dir", str(tmp_path / "nothing"))
    assert (code, err) == (
        2,
        f"sqlfix train: no dataset to train on: dataset_dir {tmp_path / 'nothing'} — "
        "run `sqlfix build-dataset --export DIR`, then pass --dataset-dir DIR\n",
    )


def test_unknown_table(run_cli_fails, tmp_path):
    for argv in (["show", "nosuch"], ["export", "--table", "nosuch", "--out", str(tmp_path / "x.jsonl")]):
        code, err = run_cli_fails(*argv)
        assert code == 2 and err.startswith(f"sqlfix {argv[0]}: unknown table: nosuch — the lake's tables are "), err
        assert err.count("\n") == 1
    assert not (tmp_path / "x.jsonl").exists()


def test_build_dataset_with_nothing_approved_writes_nothing(run_cli_fails, lake, tmp_path):
    code, err = run_cli_fails("build-dataset", "--export", str(tmp_path / "export"))
    assert (code, err) == (
        1, "sqlfix build-dataset: no approved batch holds a kept pair; nothing written — run sqlfix spotcheck gate\n"
    )  # fmt: skip
    assert [lake.exists(t) for t in ("sft_train", "sft_eval", "dataset_builds")] == [False, False, False]
    assert not (tmp_path / "export").exists()


def test_mine_and_filter_with_nothing_to_do_say_so(run_cli):
    assert run_cli("mine").splitlines() == [
        "mine: no new events in query_logs since the last run; nothing to mine (run sqlfix ingest first)"
    ]
    assert run_cli("filter").splitlines() == [
        "filter: no pair without a verdict in bug_pairs; nothing to judge (run sqlfix mine, or --refilter)"
    ]


def test_a_real_process_prints_one_line_and_debug_shows_the_traceback():
    argv = [sys.executable, "-m", "sqlfix.cli", "train", "--config", "/no/such.yaml"]
    plain = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert (plain.returncode, plain.stdout, plain.stderr) == (2, "", f"sqlfix train: {MISSING}\n")
    debug = subprocess.run([*argv, "--debug"], capture_output=True, text=True, timeout=300)
    assert debug.returncode == 2 and "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.splitlines()[-1] == f"sqlfix.config.ConfigError: {MISSING}"
