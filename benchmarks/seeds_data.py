"""How fast ``sqlfix optimize seeds`` builds its generated tables: the first ``--tables`` tables of a lake's
placed domains (``seeds.place`` over its ``sql_corpus``), each built by ``seeds.generate`` for one instance
and computed (a checksum of every row, no write), one line per table and a total.

    .venv/bin/python benchmarks/seeds_data.py --lake-root /tmp/lk_bq --tables 40

The checksums are the data: two versions of ``generate`` that print the same lines generate the same rows.
Time it as a whole process against another checkout (the two in turn, the ratio pair by pair) to compare
versions; ``--build-only`` leaves the compute out (what the client side costs).
"""

from __future__ import annotations

import argparse
import time

from sqlfix.config import load_config
from sqlfix.context import Context
from sqlfix.optimize import seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lake-root", required=True, help="a lake whose sql_corpus to read")
    ap.add_argument("--tables", type=int, default=40, help="how many tables, domain by domain")
    ap.add_argument("--scale", type=float, default=0.05, help="the instance's scale")
    ap.add_argument("--build-only", action="store_true", help="build the DataFrames, compute nothing")
    args = ap.parse_args()
    ctx = Context(load_config("local", lake_root=args.lake_root))
    scfg = ctx.cfg["optimize"]["seeds"]
    cols = ["corpus_id", "sql_text", "source", "origin", "tables", "schema_ddl"]
    rows = [r.asDict() for r in ctx.lake.read("sql_corpus").select(*cols).orderBy("corpus_id").collect()]
    specs, _, _ = seeds.place(rows, ctx.cfg["dataset"]["reserved"], scfg)
    built = computed = 0.0
    n = 0
    for domain, tables in specs.items():
        sizes = seeds.key_sizes(scfg, tables, args.scale)
        for t in tables:
            if n == args.tables:
                break
            t0 = time.perf_counter()
            frame = seeds.generate(ctx.spark, t, sizes, t.rows(scfg, args.scale), 1, float(scfg["null_share"]))
            t1 = time.perf_counter()
            total = None if args.build_only else frame.selectExpr("sum(hash(*)) AS h", "count(*) AS n").first()
            t2 = time.perf_counter()
            built, computed, n = built + t1 - t0, computed + t2 - t1, n + 1
            check = "" if total is None else f" rows {total['n']} checksum {total['h']}"
            print(f"{domain}.{t.view}: {len(t.columns)} columns{check}", flush=True)
    print(f"{n} tables: built in {built:.1f}s, computed in {computed:.1f}s")


if __name__ == "__main__":
    main()
