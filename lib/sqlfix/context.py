"""What a pipeline needs: the config, and (lazily) the SparkSession and the lake.

Stage pipelines take a ``Context`` (tables in, tables out); commands, jobs, notebooks and benchmarks make one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Context:
    """The config, and (lazily) the SparkSession and the lake."""

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
