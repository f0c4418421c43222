"""``sqlfix demo``: the embedded default end to end on the local lake.

Simulates a platform log (once; kept under ``.demo/``), ingests it twice (the second run must add
nothing), mines bug pairs and prints what came out next to the paper's figures, then runs the execution
filter and shows how many mined pairs it kept and why it dropped the others.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlfix.commands import Subcommand


def _add(parser) -> None:
    parser.add_argument("--events", type=int, default=2000, help="size of the simulated log")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", help="where the simulated log is written (default: demo.workdir)")


def _run(ctx, args) -> int:
    from sqlfix.commands.filter import run as filter_pairs
    from sqlfix.commands.ingest import run as ingest
    from sqlfix.commands.mine import run as mine
    from sqlfix.simulate.logs import simulate

    sim = Path(args.workdir or ctx.cfg["demo"]["workdir"]) / f"sim-{args.events}-{args.seed}"
    manifest = sim / "manifest.json"
    print(f"demo: lake at {Path(ctx.lake.location('query_logs')).parent} ({ctx.lake.name} backend)")
    if not manifest.is_file():
        print(f"demo: 1/5 simulating a platform log of {args.events} events (seed {args.seed}) -> {sim}")
        counts = simulate(ctx.spark, sim, args.events, args.seed, malformed_rate=0.005)
        manifest.write_text(json.dumps(counts))
    else:
        print(f"demo: 1/5 reusing the simulated log in {sim}")
    print("demo: 2/5 ingesting logs and schemas")
    ingest(
        ctx,
        argparse.Namespace(source=str(sim / "logs"), schemas=str(sim / "schemas.jsonl"), captured_at=None, force=False),
    )
    print("demo: 3/5 ingesting the same folder again (adds nothing)")
    ingest(
        ctx,
        argparse.Namespace(source=str(sim / "logs"), schemas=str(sim / "schemas.jsonl"), captured_at=None, force=False),
    )
    rejected = ctx.lake.read("query_logs_rejected").groupBy("reason").count().orderBy("reason").collect()
    print("demo: quarantined rows by reason: " + (", ".join(f"{r['reason']}={r['count']}" for r in rejected) or "none"))
    print("demo: 4/5 mining bug pairs")
    mine(ctx, argparse.Namespace(full=False))
    print("demo: 5/5 execution filter (dry run of both sides in a schema-only sandbox)")
    filter_pairs(ctx, argparse.Namespace(refilter=False, input=None, ddl=None, output=None))
    return 0


SUBCOMMANDS = {"demo": Subcommand("Run the embedded default end to end on the local lake.", _add, _run)}
