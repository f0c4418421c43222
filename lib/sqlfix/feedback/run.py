"""The feedback pipeline: ``suggestion_feedback`` -> ``fix_suggestions.status`` and ``query_logs`` events."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from sqlfix.feedback import feedback_events, rejected_feedback, with_status


def apply_feedback(lake) -> tuple[int, int]:
    """Bring ``fix_suggestions.status`` and the feedback events in ``query_logs`` up to date with
    ``suggestion_feedback``; returns (events added, verdicts newly quarantined). Idempotent: events merge on
    their event_id, quarantine rows on their reject_id, statuses are recomputed from every verdict."""
    if not (lake.exists("suggestion_feedback") and lake.exists("fix_suggestions")):
        return 0, 0
    feedback, suggestions = lake.read("suggestion_feedback"), lake.read("fix_suggestions")
    if feedback.isEmpty():
        return 0, 0
    now = F.lit(dt.datetime.now(dt.timezone.utc)).cast("timestamp")
    logs = lake.read("query_logs")
    added = lake.merge("query_logs", feedback_events(feedback, suggestions, logs, now)).inserted
    bad = lake.merge("query_logs_rejected", rejected_feedback(feedback, suggestions, logs, now)).inserted
    lake.merge("fix_suggestions", with_status(suggestions, feedback), update=True)
    return added, bad
