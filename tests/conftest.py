"""Shared fixtures: one local SparkSession for the whole run, a fresh lake root per test."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def spark():
    from sqlfix.config import load_config
    from sqlfix.spark import get_spark

    session = get_spark(load_config(overrides=["spark.shuffle_partitions=2", "spark.master=local[2]"]))
    yield session
    session.stop()


@pytest.fixture
def cfg(tmp_path):
    from sqlfix.config import load_config

    return load_config(
        overrides=["spark.shuffle_partitions=2", "lake.backend=deltars"], lake_root=str(tmp_path / "lake")
    )


@pytest.fixture
def ctx(cfg, spark):
    from sqlfix.commands import Context

    return Context(cfg, _spark=spark)


@pytest.fixture
def lake(ctx):
    return ctx.lake


@pytest.fixture
def run_cli(ctx, capsys):
    """Run a real ``sqlfix`` command line against the test's lake; returns what it printed."""
    from sqlfix.cli import main

    def run(*argv: str) -> str:
        capsys.readouterr()
        code = main(list(argv), ctx=ctx)
        assert code == 0, f"sqlfix {' '.join(argv)} exited {code}"
        return capsys.readouterr().out

    return run


@pytest.fixture
def run_cli_fails(ctx, capsys):
    """Run a ``sqlfix`` command line expected to fail; returns (exit code, what it printed on stderr)."""
    from sqlfix.cli import main

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(list(argv), ctx=ctx)
        return code, capsys.readouterr().err

    return run


@pytest.fixture
def simulate_into_lake(spark, run_cli, tmp_path):
    """Simulate a log, ingest it and mine it into the test's lake; returns the ground truth."""
    import json

    from sqlfix.simulate.logs import simulate

    def run(events: int, seed: int) -> list[dict]:
        out = tmp_path / f"sim-{seed}"
        simulate(spark, out, events=events, seed=seed)
        run_cli("ingest", "--source", str(out / "logs"), "--schemas", str(out / "schemas.jsonl"))
        run_cli("mine")
        return [json.loads(line) for line in (out / "truth.jsonl").open()]

    return run
