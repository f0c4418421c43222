"""``sqlfix demo``: the embedded default end to end on the local lake, from an empty lake root."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlfix.cli import Subcommand

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_logs"


def _add(parser) -> None:
    parser.add_argument("--sample", default=str(SAMPLE), help="folder of sample logs and schemas")


def _run(ctx, args) -> int:
    from sqlfix.ingest.job import run as ingest

    sample = Path(args.sample)
    print(f"demo: lake at {ctx.lake.location('query_logs').rsplit('/', 1)[0]} ({ctx.lake.name} backend)")
    for attempt in ("first", "second (must add nothing)"):
        print(f"demo: {attempt} ingest of {sample}")
        ingest(
            ctx,
            argparse.Namespace(
                source=str(sample), schemas=str(sample / "schemas.sql"), captured_at="2026-11-01T00:00:00", force=False
            ),
        )
    rejected = ctx.lake.read("query_logs_rejected").groupBy("reason").count().orderBy("reason").collect()
    print("demo: quarantined rows by reason: " + ", ".join(f"{r['reason']}={r['count']}" for r in rejected))
    print(
        f"demo: query_logs holds {ctx.lake.read('query_logs').count()} events, "
        f"table_schemas {ctx.lake.read('table_schemas').count()} definitions"
    )
    return 0


SUBCOMMANDS = {"demo": Subcommand("Run the embedded default end to end on the local lake.", _add, _run)}
