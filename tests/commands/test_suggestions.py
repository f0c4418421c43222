"""Suggestion feedback round trip: `sqlfix fix --table` suggests, people judge (`sqlfix suggestions`, or a UI
appending to suggestion_feedback), mining turns a rejection followed by the author's own edit into a
`rejected_fix` pair and an accepted suggestion into a model fix; the report and `targets` read the rates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def _event(event_id, minute, user, task, sql, status, error=None):
    return {"event_id": event_id, "event_time": f"2026-11-05T09:{minute:02d}:00Z", "user_id": user, "task_id": task,
            "action": "execute", "sql_text": sql, "status": status, "error_message": error, "engine": "spark-4.0"}  # fmt: skip


UNRESOLVED = ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `{}` cannot be "
              "resolved. Did you mean one of the following? [`name`, `state`, `customer_id`]. SQLSTATE: 42703")  # fmt: skip
BUG_1 = "SELECT nme, state\nFROM retail.customers\nWHERE state = 'CA'\nORDER BY state"
OWN_FIX_1 = "SELECT name AS customer_name, state\nFROM retail.customers\nWHERE state = 'CA'\nORDER BY state"
BUG_2 = "SELECT customer_id, nmae\nFROM retail.customers\nWHERE state = 'NY'\nORDER BY customer_id"


def test_verdicts_round_trip_into_mining_the_report_and_targets(run_cli, run_cli_fails, lake, spark, ctx, tmp_path):
    from pyspark.sql import functions as F
    from sqlfix.generation.run import latest_acceptance
    from sqlfix.report.build import suggestions
    from sqlfix.tables import SUGGESTION_FEEDBACK

    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(e) for e in [
        _event("e1", 0, "ann", "t1", BUG_1, "error", UNRESOLVED.format("nme")),
        _event("e3", 0, "bob", "t2", BUG_2, "error", UNRESOLVED.format("nmae")),
    ]) + "\n")  # fmt: skip
    run_cli("ingest", "--source", str(log), "--schemas", str(FIXTURES / "retail_schemas.sql"))
    run_cli("fix", "--table", "query_logs")
    fixed = {r.event_id: (r.fixed_sql, r.status) for r in lake.read("fix_suggestions").collect()}
    suggested_2 = BUG_2.replace("nmae", "name")
    assert fixed == {"e1": (BUG_1.replace("nme", "name"), "open"), "e3": (suggested_2, "open")}

    # ann rejects at 09:05 and runs her own edit at 09:10; bob accepts at 09:02 and runs the suggestion at 09:03.
    run_cli("suggestions", "reject", "e1", "--user", "ann", "--decided-at", "2026-11-05T09:05:00Z")
    run_cli("suggestions", "accept", "e3", "--user", "bob", "--decided-at", "2026-11-05T09:02:00Z")
    code, err = run_cli_fails("suggestions", "accept", "nope")
    assert (code, err) == (2, "sqlfix suggestions: no suggestion for this event: nope — sqlfix suggestions list\n")
    log.write_text("\n".join(json.dumps(e) for e in [
        _event("e2", 10, "ann", "t1", OWN_FIX_1, "success"), _event("e4", 3, "bob", "t2", suggested_2, "success"),
    ]) + "\n")  # fmt: skip
    # A UI appends a verdict of its own (an unknown suggestion: quarantined, raw row kept).
    now = dt.datetime(2026, 11, 5, 9, 30, tzinfo=dt.timezone.utc)
    ui = {"feedback_id": "ui-1", "event_id": "e99", "sql_hash": 1, "verdict": "rejected", "user_id": "cy",
          "edited_sql": None, "decided_at": now, "recorded_at": now}  # fmt: skip
    lake.append("suggestion_feedback", spark.createDataFrame([ui], SUGGESTION_FEEDBACK.spark_schema))
    out = run_cli("ingest", "--source", str(log))  # the CLI's verdicts are events already; the UI's is unknown
    assert out == ("ingest: 2 loaded, 0 duplicate, 0 rejected of 2 rows from 1 files (0 already ingested); "
                   "schemas: 0 loaded, 0 rejected\n")  # fmt: skip
    events = sorted(
        (r.action, r.user_id, r.task_id, str(r.event_time), r.sql_text)
        for r in lake.read("query_logs").filter(F.col("event_id").startswith("feedback:")).collect()
    )
    assert events == [("fix_accepted", "bob", "t2", "2026-11-05 09:02:00", suggested_2),
                      ("fix_rejected", "ann", "t1", "2026-11-05 09:05:00", BUG_1.replace("nme", "name"))]  # fmt: skip
    quarantined = [(r.reason, json.loads(r.raw_row)["feedback_id"])
                   for r in lake.read("query_logs_rejected").collect()]  # fmt: skip
    assert quarantined == [("unknown_suggestion", "ui-1")]
    assert {r.event_id: r.status for r in lake.read("fix_suggestions").collect()} == {"e1": "rejected", "e3": "accepted"}

    run_cli("mine")
    pairs = {r.bug_event_id: (r.fix_event_id, r.signal) for r in lake.read("bug_pairs").collect()}
    dropped = {r.bug_event_id: (r.fix_event_id, r.reason) for r in lake.read("bug_pairs_dropped").collect()}
    assert pairs == {"e1": ("e2", "rejected_fix")}
    assert dropped == {"e3": ("e4", "model_fix_accepted")}

    # Re-applying changes nothing; the report and targets read one accepted of two judged.
    versions = {t: lake.version(t) for t in ("query_logs", "query_logs_rejected", "fix_suggestions")}
    assert run_cli("suggestions", "sync") == "suggestions: 0 new verdicts in query_logs; 0 quarantined\n"
    assert {t: lake.version(t) for t in versions} == versions
    section = suggestions(ctx)
    assert section.text.startswith("People accepted 1 of 2 judged suggestions (50%)")
    assert [(r["leaf"], r["model"], r["judged"], r["accepted"]) for r in section.table] == [
        ("resolution.column.misspelled_column", "repairs", 2, 1)
    ]
    assert latest_acceptance(lake) == {"resolution.column.misspelled_column": (0.5, 2)}
    listed = run_cli("suggestions", "list", "--status", "rejected").splitlines()
    assert [line.split()[:2] for line in listed[:-1]] == [["e1", "rejected"]] and listed[-1] == "suggestions: 1 shown"
