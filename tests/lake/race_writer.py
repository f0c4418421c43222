"""One of two writer processes racing on the same lake (started by ``test_concurrency.py``).

    python race_writer.py LAKE_ROOT ROLE ROUNDS SYNC_DIR

Each round it waits until both writers are ready (files in SYNC_DIR), then merges the same 40 rows (new
keys each round) into ``ingested_files``, insert-only in even rounds and with ``update=True`` in odd ones.
Prints ``retries=N inserted=M``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from pathlib import Path


def main() -> None:
    root, role, rounds, sync = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    from sqlfix.config import load_config
    from sqlfix.lake import open_lake
    from sqlfix.spark import get_spark
    from sqlfix.tables import INGESTED_FILES

    cfg = load_config(overrides=["spark.shuffle_partitions=2", "spark.master=local[1]", "lake.backend=deltars"],
                      lake_root=root)  # fmt: skip
    spark = get_spark(cfg)
    lake = open_lake(cfg, spark)
    retries = []
    handler = logging.Handler()
    handler.emit = lambda record: retries.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("sqlfix.lake").addHandler(handler)
    logging.getLogger("sqlfix.lake").setLevel(logging.INFO)
    now = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
    inserted = 0
    for r in range(rounds):
        rows = [(f"/logs/{r:03d}/{i:03d}.jsonl", f"{r}-{i}", 10 * i, "query_logs", i, 0, now) for i in range(40)]
        frame = spark.createDataFrame(rows, INGESTED_FILES.spark_schema)
        (sync / f"{role}-{r}").touch()
        while len(list(sync.glob(f"*-{r}"))) < 2:
            time.sleep(0.01)
        inserted += lake.merge("ingested_files", frame, update=bool(r % 2)).inserted
    print(f"retries={len(retries)} inserted={inserted}", flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
