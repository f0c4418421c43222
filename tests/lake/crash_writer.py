"""A writer killed with SIGKILL at a chosen point of a lake write (started by ``test_crash.py``).

    python crash_writer.py LAKE_ROOT POINT

Merges 30 rows into ``ingested_files`` (committed), then merges 30 more and kills itself ``POINT``:
``append`` (new rows only: its files are moved into the table, the commit never happens) or ``merge``
(changed rows: delta-rs's merge has staged its source and is writing, the commit never happens).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys


def main() -> None:
    root, point = sys.argv[1], sys.argv[2]
    from deltalake import DeltaTable
    from deltalake.table import TableMerger
    from sqlfix.config import load_config
    from sqlfix.lake import open_lake
    from sqlfix.spark import get_spark
    from sqlfix.tables import INGESTED_FILES

    cfg = load_config(overrides=["spark.shuffle_partitions=2", "spark.master=local[1]", "lake.backend=deltars"],
                      lake_root=root)  # fmt: skip
    spark = get_spark(cfg)
    lake = open_lake(cfg, spark)
    now = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)

    def rows(start: int, loaded: int):
        data = [(f"/logs/{i:03d}.jsonl", str(i), i, "query_logs", loaded, 0, now) for i in range(start, start + 30)]
        return spark.createDataFrame(data, INGESTED_FILES.spark_schema)

    lake.merge("ingested_files", rows(0, 1))
    kill = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # noqa: E731
    if point == "append":
        DeltaTable.create_write_transaction = kill  # type: ignore[method-assign]
        lake.merge("ingested_files", rows(30, 1))
    else:
        TableMerger.execute = kill  # type: ignore[method-assign]
        lake.merge("ingested_files", rows(0, 2), update=True)


if __name__ == "__main__":
    main()
