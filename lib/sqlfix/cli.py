"""The ``sqlfix`` command: one subcommand per job, the same code the ``jobs/*.py`` scripts call.

Global options (before the subcommand): ``--profile``, ``--set key=value`` (repeatable),
``--lake-root DIR`` (or ``SQLFIX_LAKE_ROOT``), ``--catalog`` / ``--schema`` for a cluster lake.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlfix.config import load_config

# subcommand -> module exposing ``add_arguments(parser)`` and ``run(ctx, args) -> int``.
COMMANDS: dict[str, str] = {
    "simulate-logs": "sqlfix.simulate.job",
    "ingest": "sqlfix.ingest.job",
    "mine": "sqlfix.mining.job",
    "classify": "sqlfix.taxonomy.job",
    "taxonomy": "sqlfix.taxonomy.job",
    "filter": "sqlfix.filtering.job",
    "spotcheck": "sqlfix.filtering.spotcheck_job",
    "build-dataset": "sqlfix.dataset.job",
    "train": "sqlfix.training.job",
    "prepare-model": "sqlfix.training.base_model",
    "show": "sqlfix.analyst",
    "export": "sqlfix.analyst",
    "tables": "sqlfix.analyst",
    "demo": "sqlfix.demo",
}


@dataclass
class Context:
    """What a job needs: the config, and (lazily) the SparkSession and the lake."""

    cfg: dict[str, Any]
    _spark: Any = field(default=None, repr=False)
    _lake: Any = field(default=None, repr=False)

    @property
    def spark(self):
        if self._spark is None:
            from sqlfix.spark import get_spark

            self._spark = get_spark(self.cfg)
        return self._spark

    @property
    def lake(self):
        if self._lake is None:
            from sqlfix.lake import open_lake

            self._lake = open_lake(self.cfg, self.spark)
        return self._lake


def _global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    d = (lambda v: v) if defaults else (lambda v: argparse.SUPPRESS)
    parser.add_argument("--profile", default=d("local"), help="conf/<profile>.yaml (default: local)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=d([]),
        metavar="KEY=VALUE",
        help="dotted config override, e.g. --set spark.shuffle_partitions=8",
    )
    parser.add_argument(
        "--lake-root", default=d(None), help="local lake folder (default: SQLFIX_LAKE_ROOT, then lake.root)"
    )
    parser.add_argument("--catalog", default=d(None), help="cluster lake: Unity Catalog catalog")
    parser.add_argument("--schema", default=d(None), help="cluster lake: schema (database)")


def build_parser() -> argparse.ArgumentParser:
    """The parser; global options are accepted before or after the subcommand."""
    parser = argparse.ArgumentParser(prog="sqlfix", description="Spark-native jobs that teach code LLMs to fix SQL.")
    _global_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        mod = importlib.import_module(module)
        spec = mod.SUBCOMMANDS[name]
        p = sub.add_parser(name, help=spec.help, description=spec.help, parents=[common])
        spec.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


@dataclass(frozen=True)
class Subcommand:
    """A job's command-line face: one-line help, its arguments, and the function that runs it."""

    help: str
    add_arguments: Any
    run: Any


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    """Run one subcommand; ``ctx`` injects a config and session (tests, notebooks)."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if ctx is None:
        overrides = list(args.overrides)
        if args.catalog:
            overrides.append(f"lake.catalog={args.catalog}")
        if args.schema:
            overrides.append(f"lake.schema={args.schema}")
        ctx = Context(load_config(args.profile, overrides, args.lake_root))
    spec = importlib.import_module(args._module).SUBCOMMANDS[args.command]
    return int(spec.run(ctx, args) or 0)


def main_entry() -> None:
    """Console entry point of ``sqlfix``."""
    sys.exit(main())


def _entry(command: str):
    def run() -> None:
        sys.exit(main([command, *sys.argv[1:]]))

    run.__name__ = f"{command.replace('-', '_')}_main"
    return run


# One console entry point per job (setup.py lists them): sqlfix-ingest, sqlfix-mine, ...
simulate_logs_main = _entry("simulate-logs")
ingest_main = _entry("ingest")
mine_main = _entry("mine")
classify_main = _entry("classify")
filter_main = _entry("filter")
spotcheck_main = _entry("spotcheck")
build_dataset_main = _entry("build-dataset")
train_main = _entry("train")
demo_main = _entry("demo")


if __name__ == "__main__":
    sys.exit(main())
