"""``sqlfix suggestions``: fix suggestions and people's verdicts on them.

    sqlfix suggestions list [--status open] [--limit 20]
    sqlfix suggestions accept EVENT_ID [--user U] [--decided-at T]
    sqlfix suggestions reject EVENT_ID [--user U] [--decided-at T]
    sqlfix suggestions edit EVENT_ID --sql F [--user U] [--decided-at T]
    sqlfix suggestions sync                     # verdicts a UI appended -> status and log events

A verdict is appended to ``suggestion_feedback`` (the table a UI may append to as well), then applied: the
suggestion's ``status`` in ``fix_suggestions`` and an event in ``query_logs`` that mining reads (see
``sqlfix.feedback``). ``sqlfix ingest`` applies new verdicts on every run too.
"""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.feedback.run import apply_feedback

VERBS = {"accept": "accepted", "reject": "rejected", "edit": "edited"}


def _add(parser) -> None:
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = sub.add_parser("list", help="suggestions with their status, newest first")
    listing.add_argument("--status", choices=["open", "accepted", "rejected", "edited"], default=None)
    listing.add_argument("--limit", type=int, default=20)
    for verb, verdict in VERBS.items():
        p = sub.add_parser(verb, help=f"record that the suggestion was {verdict}")
        p.add_argument("event_id", help="the failed execution's event_id (as `suggestions list` shows it)")
        p.add_argument("--user", default=None, help="who decided (default: the login name)")
        p.add_argument("--decided-at", default=None, help="ISO time of the decision (default: now)")
        if verb == "edit":
            p.add_argument("--sql", required=True, help="file with the SQL the person ran instead")
    sub.add_parser("sync", help="apply verdicts appended to suggestion_feedback by another tool")


def _run(ctx, args) -> int:
    if args.verb == "list":
        return _list(ctx, args)
    if args.verb == "sync":
        added, bad = apply_feedback(ctx.lake)
        print(f"suggestions: {added} new verdicts in query_logs; {bad} quarantined")
        return 0
    return _record(ctx, args)


def _list(ctx, args) -> int:
    from pyspark.sql import functions as F

    if not ctx.lake.exists("fix_suggestions"):
        print("suggestions: none yet (run sqlfix fix --table query_logs)")
        return 0
    rows = ctx.lake.read("fix_suggestions")
    if args.status:
        rows = rows.filter(F.coalesce(F.col("status"), F.lit("open")) == args.status)
    rows = rows.orderBy(F.col("suggested_at").desc(), "event_id").limit(args.limit).collect()
    for r in rows:
        fix = "no verified fix" if not r.verified else f"{r.changed_lines} changed lines by {r.source}"
        print(f"{r.event_id}  {r.status or 'open':<8}  {r.error_condition or '-':<40}  {fix}")
    print(f"suggestions: {len(rows)} shown")
    return 0


def _record(ctx, args) -> int:
    from pyspark.sql import functions as F

    from sqlfix.tables import SUGGESTION_FEEDBACK

    lake = ctx.lake
    current = (
        lake.read("fix_suggestions").filter(F.col("event_id") == args.event_id).first()
        if lake.exists("fix_suggestions")
        else None
    )
    if current is None:
        raise UsageError("no suggestion for this event", input=args.event_id, hint="sqlfix suggestions list")
    if current.fixed_sql is None and args.verb == "accept":
        raise UsageError("this suggestion has no verified fix to accept", input=args.event_id)
    now = dt.datetime.now(dt.timezone.utc)
    decided = _time(args.decided_at) if args.decided_at else now
    edited = Path(args.sql).read_text(encoding="utf-8") if args.verb == "edit" else None
    row = {"feedback_id": uuid.uuid4().hex, "event_id": args.event_id, "sql_hash": current.sql_hash,
           "verdict": VERBS[args.verb], "user_id": args.user or getpass.getuser(), "edited_sql": edited,
           "decided_at": decided, "recorded_at": now}  # fmt: skip
    lake.append("suggestion_feedback", ctx.spark.createDataFrame([row], SUGGESTION_FEEDBACK.spark_schema))
    apply_feedback(ctx.lake)
    print(f"suggestions: {args.event_id} {VERBS[args.verb]} (feedback {row['feedback_id'][:8]})")
    return 0


def _time(text: str) -> dt.datetime:
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError("--decided-at is no ISO-8601 time", input=text) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


SUBCOMMANDS = {
    "suggestions": Subcommand("List fix suggestions and record people's verdicts on them (accept, reject, edit).",
                              _add, _run)  # fmt: skip
}
