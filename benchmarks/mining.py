"""Mining time against a full scan of the same query_logs, at two sizes, in one run on one machine.

    .venv/bin/python benchmarks/mining.py                 # 100k and 2M events
    .venv/bin/python benchmarks/mining.py --sizes 20000 400000

Prints, per size: scan+count time, mining time, their ratio (target <= 3x), and the ratio of the two
mining times against the ratio of sizes (target <= 25x for 20x events). Logs are simulated with a
pool of verified task scripts reused across users (the same SQL in many tasks), written as Parquet.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from pyspark.sql import functions as F
from sqlfix.config import load_config
from sqlfix.context import Context
from sqlfix.ingest.run import ingest_logs, ingest_schemas
from sqlfix.mining.run import run_mining
from sqlfix.simulate.logs import simulate


def measure(ctx: Context, events: int, work: Path) -> dict:
    sim = work / f"sim-{events}"
    if not (sim / "truth.jsonl").is_file():  # a --work folder keeps the simulated log between runs
        simulate(ctx.spark, sim, events, seed=1, variants=400, fmt="parquet")
    ingest_schemas(ctx, str(sim / "schemas.jsonl"))
    ingest_logs(ctx, str(sim / "logs"))
    logs = ctx.lake.read("query_logs")
    logs.agg(F.count("*")).collect()  # warm the JVM and the file cache alike for both timings
    t0 = time.perf_counter()
    scanned = logs.agg(F.count("*"), F.sum(F.length("sql_text")), F.sum(F.length("error_message"))).collect()[0][0]
    scan = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = run_mining(ctx, full=True)
    mining = time.perf_counter() - t0
    return {"events": scanned, "scan_s": scan, "mine_s": mining, "pairs": report.pairs, "dropped": report.dropped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100_000, 2_000_000])
    parser.add_argument("--work", help="working folder (default: a temporary one, removed after)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="sqlfix-bench-"))
    results = []
    try:
        for size in args.sizes:
            ctx = Context(load_config(lake_root=str(work / f"lake-{size}")))
            results.append(measure(ctx, size, work))
            r = results[-1]
            print(f"{r['events']:>9} events: scan+count {r['scan_s']:7.2f}s  mining {r['mine_s']:7.2f}s  "
                  f"mining/scan {r['mine_s'] / r['scan_s']:5.2f}x (target <= 3)  pairs {r['pairs']} dropped {r['dropped']}")  # fmt: skip
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    small, large = results
    size_ratio = large["events"] / small["events"]
    print(f"mining time {large['mine_s'] / small['mine_s']:.2f}x for {size_ratio:.1f}x events (target <= 25x for 20x)")


if __name__ == "__main__":
    main()
