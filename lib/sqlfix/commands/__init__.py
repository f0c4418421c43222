"""The command layer: one module per ``sqlfix`` command (argument parsing, lake reads and writes, printing),
on top of the stage packages it calls. ``sqlfix.cli`` dispatches to these modules; ``jobs/*.py`` and the
bundle's console entry points go through ``sqlfix.cli``. No stage package imports a command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Subcommand:
    """A job's command-line face: one-line help, its arguments, and the function that runs it."""

    help: str
    add_arguments: Any
    run: Any
    layers: Any = None  # args -> {section: YAML file} laid over the config (sqlfix train --config F)
    section: str | None = None  # the config section whose keys --set may name bare
