"""The command layer: one module per ``sqlfix`` command (argument parsing, lake reads and writes, printing),
on top of the stage packages it calls. ``sqlfix.cli`` dispatches to these modules; ``jobs/*.py`` and the
bundle's console entry points go through ``sqlfix.cli``. No stage package imports a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlfix.context import Context  # noqa: F401 - re-exported: commands and tests make one here


@dataclass(frozen=True)
class Subcommand:
    """A job's command-line face: one-line help, its arguments, and the function that runs it."""

    help: str
    add_arguments: Any
    run: Any
    layers: Any = None  # args -> {section: YAML file} laid over the config (sqlfix train --config F)
    section: str | None = None  # the config section whose keys --set may name bare
