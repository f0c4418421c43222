"""Databricks query history (``system.query.history``) as query-log rows.

Transformations only. ``history_rows`` maps the system table's documented columns onto sqlfix's log
fields; the result goes through ``logs.parse_events`` like any other source, so an unusable row is
quarantined with its reason.

Mapping (one row per statement execution):

====================  ==============================================================================
sqlfix field          system.query.history
====================  ==============================================================================
event_id              ``statement_id``
event_time            ``start_time``
user_id               ``executed_by`` (an e-mail or user name), else ``executed_by_user_id``
task_id               see ``TASK_KEYS``: the finest stable unit the statement belongs to
action                ``execute`` (the system table records executions only)
sql_text              ``statement_text``
status                ``execution_status``: FINISHED -> success, FAILED -> error, CANCELED -> canceled
error_message         ``error_message``
engine                ``databricks-`` + ``compute.type`` in lower case (warehouse, serverless_compute)
duration_ms           ``total_duration_ms``
====================  ==============================================================================

A statement whose ``statement_type`` is not in ``ingest.query_history.mined_types`` (``SELECT``; a null
type is kept, since a statement Spark could not parse has none) is quarantined with reason
``statement_type_not_mined``: recorded, never mined, never shown to the filter. A CANCELED run is
recorded as ``canceled``: it is neither a failure of the SQL nor a fix.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sqlfix.ingest.logs import LOG_FIELDS, parse_timestamp

# The system table's columns that sqlfix reads, as documented (times as text: a JSON export writes them so).
SOURCE_SCHEMA = (
    "workspace_id STRING, statement_id STRING, session_id STRING, execution_status STRING, "
    "compute STRUCT<type: STRING, cluster_id: STRING, warehouse_id: STRING>, "
    "executed_by_user_id STRING, executed_by STRING, statement_text STRING, statement_type STRING, "
    "error_message STRING, client_application STRING, total_duration_ms STRING, start_time STRING, "
    "end_time STRING, query_source STRUCT<job_info: STRUCT<job_id: STRING, job_run_id: STRING, "
    "job_task_run_id: STRING>, legacy_dashboard_id: STRING, dashboard_id: STRING, notebook_id: STRING, "
    "sql_query_id: STRING, alert_id: STRING, genie_space_id: STRING, "
    "pipeline_info: STRUCT<pipeline_id: STRING, pipeline_update_id: STRING>>"
)

# The task key, finest stable unit first: the first of these that the row has. A saved query is edited
# and re-run as itself; a notebook's cells have no id of their own; a job's runs change id every run, so the
# job (not the run) is the unit; the Spark session is the last resort (an ad-hoc client).
TASK_KEYS = (
    ("sql_query", "query_source.sql_query_id"),
    ("notebook", "query_source.notebook_id"),
    ("job", "query_source.job_info.job_id"),
    ("pipeline", "query_source.pipeline_info.pipeline_id"),
    ("alert", "query_source.alert_id"),
    ("dashboard", "query_source.dashboard_id"),
    ("legacy_dashboard", "query_source.legacy_dashboard_id"),
    ("genie_space", "query_source.genie_space_id"),
    ("session", "session_id"),
)
STATUS_MAP = {"FINISHED": "success", "FAILED": "error", "CANCELED": "canceled", "CANCELLED": "canceled"}


def task_key() -> Column:
    """``<kind>:<id>`` of the first ``TASK_KEYS`` entry the row has, prefixed ``w<workspace_id>/`` (ids of
    notebooks, queries and jobs are unique within a workspace only)."""
    key = F.coalesce(*[F.concat(F.lit(f"{kind}:"), _nonblank(F.col(path))) for kind, path in TASK_KEYS])
    return F.when(key.isNull(), None).otherwise(
        F.concat(F.coalesce(F.concat(F.lit("w"), _nonblank(F.col("workspace_id")), F.lit("/")), F.lit("")), key)
    )


def history_rows(raw: DataFrame, mined_types: Iterable[str]) -> DataFrame:
    """Raw rows (``raw_row`` JSON text of one system-table row, ``source_file``, ``_valid_utf8``,
    ``_valid_json``) -> the raw log frame ``logs.parse_events`` takes, plus ``_skip``.

    Example (not run: needs Spark):
        parse_events(history_rows(frame_rows(spark.table("system.query.history"), "table:..."), ["SELECT"]), 1_000_000)
    """
    mined = [t.upper() for t in mined_types]
    row = raw.withColumn("_q", F.from_json(F.col("raw_row"), SOURCE_SCHEMA)).select(
        "raw_row", "source_file", "_valid_utf8", "_valid_json", "_q.*"
    )
    status = F.upper(F.trim(F.col("execution_status")))
    mapped = F.coalesce(
        *[F.when(status == k, F.lit(v)) for k, v in STATUS_MAP.items()], F.lower(F.col("execution_status"))
    )
    kind = F.upper(F.trim(F.col("statement_type")))
    fields = {
        "event_id": F.col("statement_id"),
        "event_time": F.col("start_time"),
        "user_id": F.coalesce(_nonblank(F.col("executed_by")), F.col("executed_by_user_id")),
        "task_id": task_key(),
        "action": F.lit("execute"),
        "sql_text": F.col("statement_text"),
        "status": mapped,
        "error_message": F.col("error_message"),
        "engine": F.concat(F.lit("databricks-"), F.lower(F.col("compute.type"))),
        "duration_ms": F.col("total_duration_ms"),
    }
    assert tuple(fields) == LOG_FIELDS
    skip = F.when(kind.isNotNull() & (kind != "") & ~kind.isin(*mined), F.lit("statement_type_not_mined"))
    return row.select(
        "raw_row", "source_file", "_valid_utf8", "_valid_json",
        *[c.cast("string").alias(name) for name, c in fields.items()], skip.alias("_skip"),
    )  # fmt: skip


def since(df: DataFrame, watermark, overlap_hours: float) -> DataFrame:
    """Rows of the system table that ended at or after ``watermark`` minus the overlap (all ended rows when
    ``watermark`` is None). A statement still running has no ``end_time`` yet: it is read by a later run."""
    ended = df.filter(F.col("end_time").isNotNull())
    if watermark is None:
        return ended
    start = F.lit(watermark).cast("timestamp") - F.expr(f"make_dt_interval(0, 0, 0, {float(overlap_hours) * 3600})")
    return ended.filter(F.col("end_time").cast("timestamp") >= start)


def end_time_max(raw: DataFrame) -> Column:
    """The newest ``end_time`` of raw rows (a watermark candidate)."""
    return F.max(parse_timestamp(F.get_json_object(F.col("raw_row"), "$.end_time")))


def _nonblank(col: Column) -> Column:
    return F.when(F.trim(col) != "", col)
