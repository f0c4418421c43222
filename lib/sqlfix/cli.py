"""The ``sqlfix`` command: one subcommand per job, the same code the ``jobs/*.py`` scripts call.

Global options (before the subcommand): ``--profile``, ``--set key=value`` (repeatable),
``--lake-root DIR`` (or ``SQLFIX_LAKE_ROOT``), ``--catalog`` / ``--schema`` for a cluster lake, ``--debug``.

A command fails like a tool: one line on stderr (what, and how to fix it) and exit code 2 for a usage
error (a bad option, a path or a table that is not there), 1 for a job that could not do its work;
``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from sqlfix.commands import Context, option_names
from sqlfix.config import Override, lay, load_config
from sqlfix.errors import SqlfixError

# subcommand -> module exposing ``add_arguments(parser)`` and ``run(ctx, args) -> int``.
COMMANDS: dict[str, str] = {
    "simulate-logs": "sqlfix.commands.simulate_logs",
    "ingest": "sqlfix.commands.ingest",
    "mine": "sqlfix.commands.mine",
    "classify": "sqlfix.commands.classify",
    "taxonomy": "sqlfix.commands.classify",
    "filter": "sqlfix.commands.filter",
    "spotcheck": "sqlfix.commands.spotcheck",
    "corpus": "sqlfix.commands.generate",
    "targets": "sqlfix.commands.generate",
    "generate": "sqlfix.commands.generate",
    "build-dataset": "sqlfix.commands.build_dataset",
    "train": "sqlfix.commands.train",
    "prepare-model": "sqlfix.commands.prepare_model",
    "show": "sqlfix.commands.analyst",
    "export": "sqlfix.commands.analyst",
    "tables": "sqlfix.commands.analyst",
    "sql": "sqlfix.commands.analyst",
    "evaluate": "sqlfix.commands.evaluate",
    "fix": "sqlfix.commands.fix",
    "suggestions": "sqlfix.commands.suggestions",
    "promote": "sqlfix.commands.promote",
    "rollback": "sqlfix.commands.promote",
    "review": "sqlfix.commands.review",
    "demo": "sqlfix.commands.demo",
    "experiment": "sqlfix.commands.experiment",
    "optimize": "sqlfix.commands.optimize",
    "report": "sqlfix.commands.report",
    "config": "sqlfix.commands.config",
}
# The commands that are jobs -> their script's name in jobs/ (the bundle's job names where they match).
JOBS: dict[str, str] = {
    "simulate-logs": "simulate_logs",
    "ingest": "ingest_logs",
    "mine": "mine_logs",
    "classify": "classify_errors",
    "filter": "filter_pairs",
    "spotcheck": "spotcheck",
    "corpus": "corpus",
    "targets": "targets",
    "generate": "generate",
    "build-dataset": "build_dataset",
    "train": "train_dmsft",
    "evaluate": "evaluate",
    "fix": "fix_queries",
    "promote": "promote",
    "optimize": "optimize",
    "demo": "demo",
}


def _global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    d = (lambda v: v) if defaults else (lambda v: argparse.SUPPRESS)
    parser.add_argument("--profile", default=d("local"), help="conf/<profile>.yaml (default: local)")
    parser.add_argument(
        "--set",
        dest="overrides" if defaults else "command_overrides",  # both kept: before and after the command
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
    parser.add_argument("--debug", action="store_true", default=d(False), help="show tracebacks of failures")


_VALUED = ("--profile", "--set", "--lake-root", "--catalog", "--schema")


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand a command line names (the first word that is no global option or its value).

    Example:
        >>> command_of(["--profile", "databricks", "--set", "a=1", "train", "--max-steps", "2"])
        'train'
        >>> command_of(["--help"]) is None
        True
    """
    words = iter(argv)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; global options are accepted before or after the subcommand. With ``command`` only that
    command's module is imported (the others are listed by name only), so ``sqlfix train`` runs where only
    the training extra is installed (no pyspark)."""
    parser = argparse.ArgumentParser(prog="sqlfix", description="Spark-native jobs that teach code LLMs to fix SQL.")
    _global_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        if command is not None and name != command:
            sub.add_parser(name, add_help=False)
            continue
        spec = importlib.import_module(module).SUBCOMMANDS[name]
        p = sub.add_parser(name, help=spec.help, description=spec.help, parents=[common])
        spec.add_arguments(p)
        p.set_defaults(_module=module, _option_names=option_names(p))
    return parser


def overrides_of(args: argparse.Namespace) -> list[str | Override]:
    """The config overrides a parsed command line's global options ask for: ``--set`` before and after the
    command, then ``--catalog`` and ``--schema``."""
    overrides: list[str | Override] = [*args.overrides, *getattr(args, "command_overrides", [])]
    if args.catalog:
        overrides.append(Override("lake.catalog", args.catalog, "--catalog"))
    if args.schema:
        overrides.append(Override("lake.schema", args.schema, "--schema"))
    return overrides


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    """Run one subcommand and return its exit code; ``ctx`` injects a config and session (tests,
    notebooks). Failures print one line on stderr (``--debug``: and the traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = command_of(argv)
    argv, shown = _shown_command_line(argv, command)
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    # sqlglot warns ("falling back to parsing as a Command") on every statement it cannot parse; logged SQL
    # and model answers are full of them, and Spark's parser is the judge of validity: errors only.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if not sys.stderr.isatty():  # a log: the libraries' own bars (loading weights, artifacts) would be \r fragments
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # huggingface_hub's and transformers' bars
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        spec, layers, overrides = _settings(args)
        if ctx is None:
            ctx = Context(load_config(args.profile, overrides, args.lake_root, layers, spec.section))
        elif layers or overrides:  # an injected context (tests, notebooks) takes the command's layers too
            ctx = Context(lay(ctx.cfg, layers, overrides, spec.section), _spark=ctx._spark)
        if shown:  # sqlfix config show COMMAND ARGS: the settings that command line would run with
            shown_spec, shown_layers, shown_overrides = _settings(build_parser(shown[0]).parse_args(shown))
            ctx = Context(lay(ctx.cfg, shown_layers, shown_overrides, shown_spec.section), _spark=ctx._spark)
        return int(spec.run(ctx, args) or 0)
    except Exception as exc:  # noqa: BLE001 - the one place failures become exit codes
        code, message = _failure(exc)
        print(f"sqlfix {args.command}: {message}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        elif code == 1 and not isinstance(exc, SqlfixError):
            print("(run with --debug for the traceback)", file=sys.stderr)
        return code


def _settings(args: argparse.Namespace):
    """(the command's ``Subcommand``, its layer files, its overrides: global options, then its flags)."""
    spec = importlib.import_module(args._module).SUBCOMMANDS[args.command]
    return spec, (spec.layers(args) if spec.layers else {}), [*overrides_of(args), *spec.overrides(args)]


def _shown_command_line(argv: list[str], command: str | None) -> tuple[list[str], list[str]]:
    """(``sqlfix config show``'s own words, the command line it shows the settings of).

    Example:
        >>> _shown_command_line(["config", "show", "--json", "train", "--max-steps", "3"], "config")
        (['config', 'show', '--json'], ['train', '--max-steps', '3'])
    """
    if command != "config":
        return argv, []
    after = argv[argv.index("config") + 1 :]
    if "show" not in after:
        return argv, []
    start = len(argv) - len(after) + after.index("show") + 1  # the action word ``show`` is a command name too
    at = next((i for i in range(start, len(argv)) if argv[i] in COMMANDS and argv[i - 1] not in _VALUED), None)
    return (argv, []) if at is None else (argv[:at], argv[at:])


def _failure(exc: BaseException) -> tuple[int, str]:
    """Exit code and one-line message of a failure."""
    if isinstance(exc, SqlfixError):
        return exc.exit_code, str(exc)
    if isinstance(exc, FileNotFoundError):
        return 2, (f"no such file or folder: {exc.filename}" if exc.filename else str(exc))
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return 1, f"{type(exc).__name__}: {first}"


def main_entry() -> None:
    """Console entry point of ``sqlfix``."""
    sys.exit(main())


def _entry(command: str):
    def run() -> None:
        sys.exit(main([command, *sys.argv[1:]]))

    run.__name__ = f"{command.replace('-', '_')}_main"
    return run


# One console entry point per job, sqlfix-<command> (setup.py reads JOBS from this file), each also a script
# jobs/<script>.py for a Spark python task; tests/test_cli.py checks the scripts and the README's table.
for _command in JOBS:
    globals()[f"{_command.replace('-', '_')}_main"] = _entry(_command)


if __name__ == "__main__":
    sys.exit(main())
