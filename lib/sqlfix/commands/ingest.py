"""``sqlfix ingest``: platform query logs (and catalog schemas) into the bronze tables (``sqlfix.ingest.run``),
then new verdicts on fix suggestions into log events (``sqlfix.feedback.run``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.feedback.run import apply_feedback
from sqlfix.ingest.run import FORMATS, IngestReport, ingest_logs, ingest_schemas


def add_arguments(parser) -> None:
    parser.add_argument("--source", help="file or folder of logs, or a table name (e.g. system.query.history)")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="log format (default: ingest.format): sqlfix (JSON Lines/Parquet with column_map), "
                             "databricks_query_history, spark_event_log")  # fmt: skip
    parser.add_argument("--schemas", help="file or folder of CREATE TABLE statements (.sql) or JSON Lines")
    parser.add_argument("--captured-at", help="ISO time the .sql schemas were captured (default: file mtime)")
    parser.add_argument("--force", action="store_true", help="re-read files already ingested (still no duplicates)")


def run(ctx, args) -> int:
    if not args.source and not args.schemas:
        raise UsageError("nothing to ingest", hint="give --source and/or --schemas")
    report = IngestReport()
    if args.schemas:
        stamp = dt.datetime.fromisoformat(args.captured_at) if args.captured_at else None
        if stamp and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.timezone.utc)
        report.schemas_loaded, report.schemas_rejected = ingest_schemas(ctx, args.schemas, stamp)
    if args.source:
        logs = ingest_logs(ctx, args.source, force=args.force)
        report = IngestReport(
            **{**asdict(logs), "schemas_loaded": report.schemas_loaded, "schemas_rejected": report.schemas_rejected}
        )
    report.feedback, _ = apply_feedback(ctx.lake)  # verdicts a UI appended since the last run
    print(report.describe())
    return 0


SUBCOMMANDS = {
    "ingest": Subcommand("Ingest platform query logs and table schemas into the bronze lake.", add_arguments, run,
                         section="ingest", flags={"format": "ingest.format"})
}
