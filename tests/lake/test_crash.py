"""A write killed with SIGKILL leaves the table at its last version; the next write sweeps its leftovers."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest


def _committed(table: Path) -> set[str]:
    paths = set()
    for entry in sorted((table / "_delta_log").glob("*.json")):
        for line in entry.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                paths.add(unquote(action["add"]["path"]))
            if "remove" in action:
                paths.discard(unquote(action["remove"]["path"]))
    return paths


def _on_disk(table: Path) -> set[str]:
    return {str(p.relative_to(table)) for p in table.rglob("*.parquet") if "_sqlfix_staging" not in p.parts}


@pytest.mark.slow
@pytest.mark.parametrize("point", ["append", "merge"])
def test_a_killed_write_is_swept_by_the_next(point, tmp_path, spark):
    from sqlfix.config import load_config
    from sqlfix.lake import open_lake
    from sqlfix.tables import INGESTED_FILES

    root = tmp_path / "lake"
    script = str(Path(__file__).with_name("crash_writer.py"))
    done = subprocess.run([sys.executable, script, str(root), point], capture_output=True, text=True, timeout=600)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    table = root / "ingested_files"
    leftovers = _on_disk(table) - _committed(table)
    staging = list((table / "_sqlfix_staging").glob("*")) + list((root / "_staging").glob("ingested_files-*"))
    assert staging, "the killed write left its staging folder"
    if point == "append":
        assert leftovers, "the killed append had moved its files into the table"

    lake = open_lake(load_config(overrides=["lake.backend=deltars"], lake_root=str(root)), spark)
    assert lake.read("ingested_files").count() == 30  # the last good version
    now = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
    extra = spark.createDataFrame([("/logs/new.jsonl", "n", 1, "query_logs", 1, 0, now)], INGESTED_FILES.spark_schema)
    assert lake.merge("ingested_files", extra).inserted == 1

    assert _on_disk(table) == _committed(table)  # no file that no version reads
    assert (
        list((table / "_sqlfix_staging").glob("*")) == [] and list((root / "_staging").glob("ingested_files-*")) == []
    )
    assert lake.read("ingested_files").count() == 31
