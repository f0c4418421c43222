"""People's verdicts on fix suggestions: the post-deployment signal, as transformations.

``sqlfix fix --table`` writes ``fix_suggestions``; a person (``sqlfix suggestions accept|reject|edit``) or a
platform UI appends a verdict to ``suggestion_feedback``. From there:

- ``with_status``: each suggestion's ``status`` is its latest verdict (``open`` while it has none);
- ``feedback_events``: each verdict becomes a ``query_logs`` event in the author's own task (``fix_accepted``,
  or ``fix_rejected`` for ``rejected`` and ``edited``), at the time the person decided. The miner's rule then
  turns a rejected suggestion followed by the author's own successful edit into a ``rejected_fix`` pair, and
  marks a fix that followed an accepted suggestion as the model's (``model_fix_accepted``, not a human pair);
- ``acceptance``: accepted share of the judged suggestions per taxonomy leaf and per model.

A verdict for a suggestion that does not exist is quarantined in ``query_logs_rejected`` with reason
``unknown_suggestion`` (a verdict outside ``FEEDBACK_VERDICTS`` with ``unknown_verdict``), raw row kept.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from sqlfix.ingest.logs import good_rows, rejected_rows
from sqlfix.tables import FEEDBACK_VERDICTS
from sqlfix.taxonomy.classify import categorize

SOURCE = "table:suggestion_feedback"
ACTION = {"accepted": "fix_accepted", "rejected": "fix_rejected", "edited": "fix_rejected"}


def latest_verdicts(feedback: DataFrame) -> DataFrame:
    """(event_id, sql_hash, verdict): the latest valid verdict per suggestion version (ties: feedback_id)."""
    valid = feedback.filter(F.col("verdict").isin(*FEEDBACK_VERDICTS))
    order = Window.partitionBy("event_id", "sql_hash").orderBy(F.col("decided_at").desc(), F.col("feedback_id").desc())
    ranked = valid.withColumn("_n", F.row_number().over(order)).filter(F.col("_n") == 1)
    return ranked.select("event_id", "sql_hash", "verdict")


def with_status(suggestions: DataFrame, feedback: DataFrame) -> DataFrame:
    """``suggestions`` with ``status`` set from the latest verdict on each one's current version.

    Example (not run: needs Spark):
        lake.merge("fix_suggestions", with_status(lake.read("fix_suggestions"), lake.read("suggestion_feedback")),
                   update=True)
    """
    latest = latest_verdicts(feedback).withColumnRenamed("verdict", "_verdict")
    out = suggestions.join(latest, ["event_id", "sql_hash"], "left")
    return out.withColumn("status", F.coalesce(F.col("_verdict"), F.lit("open"))).select(*suggestions.columns)


def feedback_events(feedback: DataFrame, suggestions: DataFrame, logs: DataFrame, ingested_at: Column) -> DataFrame:
    """Verdicts -> ``query_logs`` rows (event_id ``feedback:<feedback_id>``) in the task of the execution the
    suggestion was for; ``sql_text`` is the suggested SQL. Shaped by the ingest's own ``good_rows``."""
    return good_rows(_as_events(feedback, suggestions, logs), ingested_at)


def rejected_feedback(feedback: DataFrame, suggestions: DataFrame, logs: DataFrame, ingested_at: Column) -> DataFrame:
    """Verdicts that cannot become events, in the ``query_logs_rejected`` shape (the ingest's ``rejected_rows``:
    the same reject id, so a verdict is quarantined once however often it is applied)."""
    return rejected_rows(_as_events(feedback, suggestions, logs), ingested_at)


def _as_events(feedback: DataFrame, suggestions: DataFrame, logs: DataFrame) -> DataFrame:
    """Each verdict as a parsed log event (``logs.parse_events``' shape): ``reason`` null, or why it cannot be
    one (``unknown_verdict``, ``unknown_suggestion``, ``missing_event_time``)."""
    sugg = suggestions.select(
        "event_id", F.col("sql_hash").alias("_hash"), F.col("fixed_sql").alias("_suggested")
    )
    execs = logs.select("event_id", F.col("user_id").alias("_user"), F.col("task_id").alias("_task"),
                        F.col("engine").alias("_engine"))  # fmt: skip
    out = feedback.join(sugg, "event_id", "left").join(execs, "event_id", "left")
    reason = (
        F.when(~F.col("verdict").isin(*FEEDBACK_VERDICTS) | F.col("verdict").isNull(), F.lit("unknown_verdict"))
        .when(F.col("_hash").isNull() | F.col("_task").isNull(), F.lit("unknown_suggestion"))
        .when(F.col("decided_at").isNull(), F.lit("missing_event_time"))
    )
    action = F.element_at(F.create_map(*[F.lit(x) for kv in ACTION.items() for x in kv]), F.col("verdict"))
    return out.select(
        F.to_json(F.struct(*[F.col(c) for c in feedback.columns])).alias("raw_row"),
        F.lit(SOURCE).alias("source_file"),
        reason.alias("reason"),
        F.concat(F.lit("feedback:"), "feedback_id").alias("event_id"),
        F.col("decided_at").alias("event_time"),
        F.col("_user").alias("user_id"),
        F.col("_task").alias("task_id"),
        action.alias("action"),
        F.col("_suggested").alias("sql_text"),
        F.lit(None).cast("string").alias("status"),
        F.lit(None).cast("string").alias("error_message"),
        F.col("_engine").alias("engine"),
        F.lit(None).cast("bigint").alias("duration_ms"),
    )


def acceptance(suggestions: DataFrame, logs: DataFrame) -> DataFrame:
    """Judged suggestions per (category_l3, model_ref): ``judged``, ``accepted`` and ``rate``. The leaf is the
    failed execution's error, classified; ``model_ref`` null (deterministic repairs) reads ``repairs``. A
    suggestion nobody judged (``open``) does not count.
    """
    judged = suggestions.filter(F.col("status").isin(*FEEDBACK_VERDICTS))
    failed = logs.join(judged.select("event_id"), "event_id", "left_semi").select("event_id", "error_message", "sql_text")
    leaves = categorize(failed, "error_message", "sql_text").select("event_id", "category_l3")
    judged = judged.join(leaves, "event_id", "left")
    judged = judged.withColumn("category_l3", F.coalesce("category_l3", F.lit("unclassified")))
    judged = judged.withColumn("model_ref", F.coalesce("model_ref", F.lit("repairs")))
    return judged.groupBy("category_l3", "model_ref").agg(
        F.count("*").alias("judged"),
        F.sum((F.col("status") == "accepted").cast("int")).alias("accepted"),
    ).withColumn("rate", F.col("accepted") / F.col("judged"))


def leaf_acceptance(rates: DataFrame) -> dict[str, tuple[float, int]]:
    """Leaf -> (acceptance rate, judged suggestions) over every model, from ``acceptance``'s rows."""
    rows = rates.groupBy("category_l3").agg(F.sum("accepted").alias("a"), F.sum("judged").alias("n")).collect()
    return {r["category_l3"]: (r["a"] / r["n"], int(r["n"])) for r in rows}
