"""Query-log rows: read a source, map its column names, validate, split into good and rejected rows.

Transformations only (no table I/O): ``read_*`` functions build a frame of raw rows, ``parse_events``
maps and validates them, ``good_rows`` / ``rejected_rows`` split the result into the shapes of the
``query_logs`` and ``query_logs_rejected`` contracts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sqlfix.tables import ACTIONS, QUERY_LOGS, QUERY_LOGS_REJECTED, STATUSES

LOG_FIELDS = (
    "event_id", "event_time", "user_id", "task_id", "action",
    "sql_text", "status", "error_message", "engine", "duration_ms",
)  # fmt: skip

# Validation rules in the order they are checked; a row is rejected with the first one it breaks.
REASONS = (
    "invalid_utf8",
    "malformed_json",
    "missing_event_id",
    "missing_event_time",
    "unparseable_event_time",
    "event_time_out_of_range",
    "missing_user_id",
    "missing_task_id",
    "unknown_action",
    "missing_sql_text",
    "invalid_status",
    "sql_too_large",
    "invalid_duration_ms",
    "statement_type_not_mined",
)
# A usable row whose event_id is already taken by other content (in the lake, or earlier in its batch).
CONFLICT = "conflicting_duplicate"
# What an event is: the columns two rows of one event_id must agree on to be the same event.
CONTENT = ("event_time", "user_id", "task_id", "action", "sql_text", "status", "error_message", "engine",
           "duration_ms")  # fmt: skip
DEFAULT_TIME_RANGE = ("1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
VARIANT_SAFE_BYTES = 8 * 1024 * 1024  # lines up to this size are checked as VARIANTs (fast); larger by Jackson


def read_jsonl(spark: SparkSession, files: Iterable[str], column_map: Mapping[str, str]) -> DataFrame:
    """Raw JSON Lines rows: ``raw_row``, ``source_file``, flags and the mapped fields as strings.

    Blank lines are not rows and are left out; every other line comes through, however broken.
    """
    source_schema = T.StructType([T.StructField(_src(f, column_map), T.StringType()) for f in LOG_FIELDS])
    lines = read_lines(spark, files)
    parsed = F.from_json(F.col("raw_row"), source_schema)
    return lines.select(
        "raw_row", "source_file", "_valid_utf8", "_valid_json", *[parsed[_src(f, column_map)].alias(f) for f in LOG_FIELDS]
    )


def read_lines(spark: SparkSession, files: Iterable[str]) -> DataFrame:
    """The non-blank lines of JSON Lines files: ``raw_row`` (the line; base64 when it is no UTF-8),
    ``source_file``, ``_valid_utf8`` and ``_valid_json`` (a JSON object)."""
    text = spark.read.text(list(files)).withColumn("source_file", F.input_file_name())
    text = text.filter(F.trim(F.col("value")) != "")
    valid_utf8 = F.expr("is_valid_utf8(value)")
    # try_parse_json (a VARIANT) has a size limit: a larger line is judged by Jackson's streaming reader, so
    # that a valid 50 MB row is `sql_too_large`, not `malformed_json`.
    is_object = F.expr(
        f"try_parse_json(value) IS NOT NULL OR (octet_length(value) > {VARIANT_SAFE_BYTES} "
        "AND json_object_keys(value) IS NOT NULL)"
    ) & F.ltrim(F.col("value")).startswith("{")
    return text.select(
        F.when(valid_utf8, F.col("value"))
        .otherwise(F.concat(F.lit("base64:"), F.base64(F.col("value").cast("binary"))))
        .alias("raw_row"),
        "source_file",
        valid_utf8.alias("_valid_utf8"),
        (valid_utf8 & is_object).alias("_valid_json"),
    )


def frame_rows(df: DataFrame, source: str, *extra: Column) -> DataFrame:
    """Raw rows from a typed frame (Parquet files, a table): ``raw_row`` (the row as JSON text),
    ``source_file`` (the file; ``source`` for a table), the flags, and ``extra`` columns."""
    return df.select(
        F.to_json(F.struct(*[F.col(f"`{c}`") for c in df.columns])).alias("raw_row"),
        (F.input_file_name() if source == "files" else F.lit(source)).alias("source_file"),
        F.lit(True).alias("_valid_utf8"),
        F.lit(True).alias("_valid_json"),
        *extra,
    )


def read_frame(df: DataFrame, source: str, column_map: Mapping[str, str]) -> DataFrame:
    """Raw rows from a typed frame (Parquet files, a table): every mapped field as a string."""
    present = set(df.columns)
    fields = [
        (
            F.col(f"`{_src(f, column_map)}`").cast("string")
            if _src(f, column_map) in present
            else F.lit(None).cast("string")
        ).alias(f)
        for f in LOG_FIELDS
    ]
    return frame_rows(df, source, *fields)


def parse_events(
    raw: DataFrame,
    max_sql_bytes: int,
    timestamp_formats: Iterable[str] = (),
    event_time_range: tuple[str, str] = DEFAULT_TIME_RANGE,
) -> DataFrame:
    """Type the fields and attach ``reason`` (null for a usable row). An event time outside
    ``event_time_range`` (``[start, end)``, ISO-8601) is ``event_time_out_of_range``: a year-10000 time
    would make a partition (``event_date=+10000-01-01``) that other Delta readers cannot read.

    Example (not run: needs Spark):
        parse_events(read_jsonl(spark, ["logs.jsonl"], {}), max_sql_bytes=1_000_000)
    """
    blank = lambda c: F.col(c).isNull() | (F.trim(F.col(c)) == "")  # noqa: E731
    event_time = parse_timestamp(F.col("event_time"), timestamp_formats)
    action = F.lower(F.trim(F.col("action")))
    status = F.lower(F.trim(F.col("status")))
    duration = F.expr("try_cast(trim(duration_ms) AS BIGINT)")
    # A SQL text too long for the JSON reader to return (tens of MB) comes back null: its line is over the limit.
    unread_large = F.col("sql_text").isNull() & (F.octet_length(F.col("raw_row")) > F.lit(max_sql_bytes))
    checks: list[tuple[str, Column]] = [
        ("invalid_utf8", ~F.col("_valid_utf8")),
        ("malformed_json", ~F.col("_valid_json")),
        ("missing_event_id", blank("event_id")),
        ("missing_event_time", blank("event_time")),
        ("unparseable_event_time", event_time.isNull()),
        (
            "event_time_out_of_range",
            (event_time < _instant(event_time_range[0])) | (event_time >= _instant(event_time_range[1])),
        ),
        ("missing_user_id", blank("user_id")),
        ("missing_task_id", blank("task_id")),
        ("unknown_action", action.isNull() | ~action.isin(*ACTIONS)),
        ("missing_sql_text", action.isin("execute", "save", "fix_suggested") & blank("sql_text") & ~unread_large),
        ("invalid_status", (action == "execute") & (status.isNull() | ~status.isin(*STATUSES))),
        ("sql_too_large", (F.coalesce(F.octet_length(F.col("sql_text")), F.lit(0)) > F.lit(max_sql_bytes)) | unread_large),
        ("invalid_duration_ms", ~blank("duration_ms") & (duration.isNull() | (duration < 0))),
        # A statement the source says is no query (a write, a grant, ...): recorded here, never mined.
        ("statement_type_not_mined", F.col("_skip").isNotNull() if "_skip" in raw.columns else F.lit(False)),
    ]
    assert tuple(name for name, _ in checks) == REASONS
    reason = F.lit(None).cast("string")
    for name, failed in reversed(checks):
        reason = F.when(F.coalesce(failed, F.lit(False)), F.lit(name)).otherwise(reason)
    return raw.select(
        "raw_row",
        "source_file",
        reason.alias("reason"),
        F.trim(F.col("event_id")).alias("event_id"),
        event_time.alias("event_time"),
        F.trim(F.col("user_id")).alias("user_id"),
        F.trim(F.col("task_id")).alias("task_id"),
        action.alias("action"),
        F.col("sql_text"),
        F.when(action == "execute", status).alias("status"),
        F.when((action == "execute") & (status == "error"), F.col("error_message")).alias("error_message"),
        F.nullif(F.trim(F.col("engine")), F.lit("")).alias("engine"),
        duration.alias("duration_ms"),
    )


def _instant(text: str) -> Column:
    value = F.try_to_timestamp(F.lit(text))
    return F.when(value.isNotNull(), value).otherwise(
        F.raise_error(F.lit(f"ingest.event_time_range: {text!r} is no ISO-8601 time"))
    )


def mark_conflicts(parsed: DataFrame, existing: DataFrame) -> DataFrame:
    """Set ``reason`` to ``conflicting_duplicate`` on usable rows whose ``event_id`` is already taken by
    other ``CONTENT``: by a row of ``existing`` (``query_logs``: it stays there), else by the row of the
    batch that ``good_rows`` keeps. Such a row is quarantined, so both versions are kept; a row with the
    same content is a plain duplicate, left for the merge to skip.

    Example (not run: needs Spark):
        parsed.transform(lambda df: mark_conflicts(df, lake.read("query_logs")))
    """
    usable = F.col("reason").isNull()
    order = Window.partitionBy("event_id").orderBy(F.col("reason").isNotNull(), "event_time", "source_file", "raw_row")
    kept = existing.select(F.col("event_id").alias("_id"), _content().alias("_kept"))
    marked = (
        parsed.withColumn("_content", F.when(usable, _content()))
        .withColumn("_first", F.first("_content", ignorenulls=True).over(order))
        .join(kept, F.col("event_id") == F.col("_id"), "left")
    )
    conflict = usable & (F.col("_content") != F.coalesce(F.col("_kept"), F.col("_first")))
    reason = F.when(conflict, F.lit(CONFLICT)).otherwise(F.col("reason"))
    return marked.withColumn("reason", reason).select(*parsed.columns)


def _content() -> Column:
    return F.xxhash64(*[F.struct(F.col(c).isNull(), F.col(c)) for c in CONTENT])


def parse_timestamp(col: Column, formats: Iterable[str] = ()) -> Column:
    """ISO-8601 (with ``T``/``Z``/offsets), the given patterns, or epoch milliseconds; null if none fit."""
    text = F.trim(col)
    candidates = [F.try_to_timestamp(text)]
    candidates += [F.try_to_timestamp(text, F.lit(fmt)) for fmt in formats]
    millis = F.when(text.rlike(r"^\d{12,14}$"), F.timestamp_millis(text.cast("bigint")))
    return F.coalesce(*candidates, millis)


def good_rows(parsed: DataFrame, ingested_at: Column) -> DataFrame:
    """Usable rows in the ``query_logs`` shape, one per event_id (the first seen wins)."""
    ok = parsed.filter(F.col("reason").isNull())
    first = Window.partitionBy("event_id").orderBy("event_time", "source_file", "raw_row")
    ok = ok.withColumn("_n", F.row_number().over(first)).filter(F.col("_n") == 1)
    return ok.select(
        *[c for c in QUERY_LOGS.column_names if c not in ("sql_hash", "event_date", "source_file", "ingested_at")],
        F.xxhash64("sql_text").alias("sql_hash"),
        F.to_date("event_time").alias("event_date"),
        "source_file",
        ingested_at.alias("ingested_at"),
    )


def rejected_rows(parsed: DataFrame, ingested_at: Column) -> DataFrame:
    """Unusable rows in the ``query_logs_rejected`` shape (reject_id: hash of source and raw row)."""
    bad = parsed.filter(F.col("reason").isNotNull())
    return bad.select(
        F.sha2(F.concat_ws("\u0001", "source_file", "raw_row"), 256).alias("reject_id"),
        "source_file",
        "raw_row",
        "reason",
        ingested_at.alias("ingested_at"),
    ).select(*QUERY_LOGS_REJECTED.column_names)


def _src(field: str, column_map: Mapping[str, str]) -> str:
    return column_map.get(field, field)
