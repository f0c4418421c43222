"""The command surface: every subcommand parses, the README's contract table is current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlfix.cli import COMMANDS, build_parser
from sqlfix.commands.analyst import tables_markdown

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    assert command in capsys.readouterr().out


def test_global_options_work_after_the_subcommand():
    args = build_parser().parse_args(["ingest", "--source", "x", "--catalog", "main", "--lake-root", "/l"])
    assert (args.catalog, args.lake_root, args.source, args.profile) == ("main", "/l", "x", "local")


def test_readme_table_is_generated_from_the_contracts():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- tables:begin.*?-->\n(.*?)\n<!-- tables:end -->", readme, re.S)
    assert block and block.group(1).strip() == tables_markdown().strip()


def test_one_registry_for_commands_entry_points_scripts_and_the_readme():
    """cli.COMMANDS and cli.JOBS are the registry: setup.py's console entry points are read from JOBS, each job
    has its `sqlfix-<job>` function and exactly one script jobs/<script>.py that runs that command, and the
    README's command table names every command once, with the job's script beside it (or `-`)."""
    import ast

    import sqlfix.cli as cli
    from sqlfix.cli import JOBS

    assert set(JOBS) <= set(COMMANDS)
    setup = ast.parse((ROOT / "setup.py").read_text())
    assert any(isinstance(n, ast.Assign) and ast.unparse(n) == "JOBS = _jobs()" for n in setup.body)
    assert all(callable(getattr(cli, f"{job.replace('-', '_')}_main")) for job in JOBS)
    scripts = {}
    for script in sorted((ROOT / "jobs").glob("*.py")):
        text = script.read_text()
        command = re.search(r'main\(\["([\w-]+)"', text)
        assert command, script.name
        scripts[command.group(1)] = script.stem
        assert len(text.splitlines()) <= 100
    assert scripts == JOBS
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| command |") : readme.index("\n\n", readme.index("| command |"))]
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    named = {}
    for row in rows:
        for i, command in enumerate(re.findall(r"`sqlfix ([a-z-]+)", row[0])):
            named.setdefault(command, row[1].strip() if i == 0 else "-")  # a row's script is its first command's
    assert sorted(named) == sorted(COMMANDS)
    assert {c: s for c, s in named.items() if s != "-"} == {c: f"`jobs/{s}.py`" for c, s in JOBS.items()}


def test_console_entry_point_runs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sqlfix.cli", "tables"], capture_output=True, text=True, check=True)
    assert "| `query_logs` |" in out.stdout


def test_set_before_and_after_the_command_are_both_applied(capsys):
    from sqlfix.cli import main

    assert main(["--set", "output_root=/tmp/elsewhere", "config", "show", "--set", "spark.shuffle_partitions=9"]) == 0
    shown = capsys.readouterr().out
    assert 'output_root                                  = "/tmp/elsewhere"    # --set' in shown
    assert "spark.shuffle_partitions                     = 9    # --set" in shown
