"""A GPU training node installs the training extra only: no pyspark. `sqlfix train` (and the other
commands a training node runs) must import, parse and train there; the CLI imports the chosen command only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "lib"
BLOCKED = ("pyspark", "delta", "deltalake", "py4j")


def _sqlfix_without_spark(*argv: str, env=None, timeout=600) -> subprocess.CompletedProcess:
    """``sqlfix ARGV`` in a fresh interpreter whose imports of Spark (and Delta) fail, as on a machine
    without them."""
    code = textwrap.dedent(f"""
        import importlib.abc, runpy, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in {BLOCKED!r}:
                    raise ModuleNotFoundError("No module named " + repr(name))
        sys.meta_path.insert(0, Block())
        sys.path.insert(0, {str(LIB)!r})
        sys.argv = ["sqlfix", *{list(argv)!r}]
        runpy.run_module("sqlfix.cli", run_name="__main__")
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})  # fmt: skip


@pytest.mark.parametrize("argv", [("train", "--help"), ("experiment", "dmsft", "--help"), ("prepare-model", "--help")])
def test_training_commands_parse_without_spark(argv):
    done = _sqlfix_without_spark(*argv)
    assert done.returncode == 0 and done.stdout.startswith(f"usage: sqlfix {argv[0]} "), done.stderr[-2000:]


def test_a_spark_command_without_spark_says_so():
    done = _sqlfix_without_spark("mine")
    assert done.returncode == 1 and "No module named 'pyspark" in done.stderr, done.stderr[-2000:]


@pytest.mark.slow
def test_two_steps_of_training_and_registration_without_spark(tiny_model_dir, tmp_path):
    from sqlfix.dataset.prompt import render_prompt

    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    bug, fix = "SELECT nme FROM shop_x.customers", "SELECT name FROM shop_x.customers"
    row = {"prompt": render_prompt(None, bug, "[UNRESOLVED_COLUMN.WITH_SUGGESTION] ..."), "bug_sql": bug, "target": fix}
    (data / "train.jsonl").write_text("\n".join(json.dumps(row) for _ in range(4)) + "\n")
    (data / "manifest.json").write_text(json.dumps({"dataset_version": "sft_train@v0+sft_eval@v0"}))
    sets = [f"model={tiny_model_dir}", f"dataset_dir={data}", f"output_dir={out}", "max_steps=2", "batch_size=2",
            "gradient_accumulation_steps=1", "save_steps=2", "max_length=512", "deepspeed=null",
            f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db", "mlflow.registered_model=tiny-nospark"]  # fmt: skip
    argv = ["train", *[a for s in sets for a in ("--set", s)]]
    done = _sqlfix_without_spark(*argv, env={"HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "train: 2 steps (resumed from scratch)" in done.stdout
    assert "registered tiny-nospark version 1 as challenger" in done.stdout
