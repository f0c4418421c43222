"""Spark event logs (what the History Server reads) as query-log rows.

What is read, per application log (a file, or a rolling ``eventlog_v2_*`` folder of ``events_N_*`` files):

- ``SparkListenerLogStart`` (``Spark Version``) -> ``engine`` ``spark-<version>``;
- ``SparkListenerApplicationStart`` (``App ID``, ``App Name``, ``User``) -> event ids, task and user keys;
- ``...SparkListenerSQLExecutionStart`` (``executionId``, ``rootExecutionId``, ``description``, ``time``,
  ``jobGroupId``) and ``...SparkListenerSQLExecutionEnd`` (``executionId``, ``time``, ``errorMessage``): one
  row per root execution. The SQL text is the execution's description, which is the statement where the
  client sets it (the ``spark-sql`` shell, the Thrift server, an application that sets the job description
  to its SQL); a description that is a call site (``collect at app.py:12``) is no SQL, and the row is
  quarantined as ``missing_sql_text``. ``errorMessage`` exists from Spark 3.4 on (read up to 4.x): empty means
  success; where the end event lacks the field, the status is unknown (``invalid_status``);
- ``...SparkListenerThriftServerOperationStart`` / ``Error`` / ``Finish`` / ``Canceled`` / ``Timeout`` (Spark
  3.0 - 4.x): one row per Thrift server statement, including parse and analysis errors that never reached
  an execution. Its SQL executions (same job group) are that statement, not rows of their own.

Keys: ``event_id`` ``<App ID>:sql:<executionId>`` or ``<App ID>:op:<operation id>``; ``user_id`` the Thrift
operation's user, else the application's ``User``; ``task_id`` ``app:<App Name>`` (a scheduled application
keeps its name across runs) or ``thrift-session:<session id>`` for Thrift statements. Nested executions
(``rootExecutionId`` differs) are part of their root statement and are no rows. A log still being written
(``.inprogress``) is left for a later run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from sqlfix.errors import UsageError
from sqlfix.ingest.logs import LOG_FIELDS

SQL_EVENTS = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecution"
THRIFT_EVENTS = "org.apache.spark.sql.hive.thriftserver.ui.SparkListenerThriftServerOperation"
READ_EVENTS = ("SparkListenerLogStart", "SparkListenerApplicationStart", SQL_EVENTS, THRIFT_EVENTS)
CODECS = {".lz4": "lz4", ".snappy": "snappy", ".zstd": "zstd", ".zst": "zstd"}
CALL_SITE = r"^\S+ at \S+:\d+$"  # Spark's default description: `<action> at <file>:<line>`
_ROLLING_FILE = re.compile(r"^events_(\d+)_")


@dataclass
class EventLog:
    """One application's log: its files in order, and whether it is still being written."""

    key: str
    files: list[Path] = field(default_factory=list)
    in_progress: bool = False


def find_logs(path: Path) -> list[EventLog]:
    """The application logs at ``path``: a log file, a rolling folder, or a folder of either (recursive)."""
    path = path.expanduser()
    if not path.exists():
        raise UsageError("no such file or folder", input=str(path))
    if path.is_file():
        return [EventLog(str(path.resolve()), [path.resolve()], path.name.endswith(".inprogress"))]
    if path.name.startswith("eventlog_v2_"):
        return [_rolling(path)]
    logs = []
    for child in sorted(path.iterdir()):
        if child.name.startswith((".", "_")):
            continue
        if child.is_dir():
            logs += find_logs(child)
        elif child.is_file() and not child.name.endswith(".crc"):
            logs.append(EventLog(str(child.resolve()), [child.resolve()], child.name.endswith(".inprogress")))
    return logs


def _rolling(folder: Path) -> EventLog:
    files = [f for f in folder.iterdir() if f.is_file() and _ROLLING_FILE.match(f.name)]
    files.sort(key=lambda f: int(_ROLLING_FILE.match(f.name).group(1)))
    busy = any(f.name.startswith("appstatus_") and f.name.endswith(".inprogress") for f in folder.iterdir())
    return EventLog(str(folder.resolve()), [f.resolve() for f in files], busy)


def codec_of(name: str) -> str | None:
    """The compression codec Spark names in a log file's suffix (None: plain text).

    Example:
        >>> codec_of("events_1_app-1.zstd"), codec_of("app-1.lz4.inprogress"), codec_of("app-1")
        ('zstd', 'lz4', None)
    """
    name = name.removesuffix(".inprogress")
    return next((codec for suffix, codec in CODECS.items() if name.endswith(suffix)), None)


def decompress(data: bytes, codec: str | None) -> bytes:
    """A log file's text from its bytes, in the framing Spark's ``CompressionCodec`` writes.

    ``zstd``: standard zstd frames. ``lz4``: lz4-java's ``LZ4BlockOutputStream`` blocks. ``snappy``:
    snappy-java's ``SnappyOutputStream`` chunks. Raises ``ValueError`` on a damaged stream.

    Example:
        >>> decompress(b"plain", None)
        b'plain'
    """
    if codec is None:
        return data
    import cramjam

    if codec == "zstd":
        return bytes(cramjam.zstd.decompress(data))
    if codec == "lz4":
        return b"".join(_lz4_blocks(data, cramjam))
    if codec == "snappy":
        return b"".join(_snappy_chunks(data, cramjam))
    raise ValueError(f"unknown codec {codec}")


_LZ4_MAGIC = b"LZ4Block"
_SNAPPY_MAGIC = b"\x82SNAPPY\x00"


def _lz4_blocks(data: bytes, cramjam) -> Iterator[bytes]:
    """lz4-java block stream: ``LZ4Block`` + token (method in the high nibble: 0x10 raw, 0x20 LZ4) +
    compressed length + original length + checksum (little-endian int32 each) + the block; an empty block
    ends a stream, and streams may follow one another."""
    at = 0
    while at < len(data):
        if data[at : at + 8] != _LZ4_MAGIC or at + 21 > len(data):
            raise ValueError(f"not an lz4 block stream at byte {at}")
        method = data[at + 8] & 0xF0
        size = int.from_bytes(data[at + 9 : at + 13], "little")
        original = int.from_bytes(data[at + 13 : at + 17], "little")
        block = data[at + 21 : at + 21 + size]
        if len(block) != size:
            raise ValueError(f"truncated lz4 block at byte {at}")
        at += 21 + size
        if original == 0:
            continue
        yield block if method == 0x10 else bytes(cramjam.lz4.decompress_block(block, output_len=original))


def _snappy_chunks(data: bytes, cramjam) -> Iterator[bytes]:
    """snappy-java stream: the 8-byte magic, version and compatible version (big-endian int32 each), then
    chunks of a big-endian int32 length and a raw snappy block; streams may follow one another."""
    at = 0
    while at < len(data):
        if data[at : at + 8] == _SNAPPY_MAGIC:
            at += 16
            continue
        size = int.from_bytes(data[at : at + 4], "big")
        chunk = data[at + 4 : at + 4 + size]
        if len(chunk) != size:
            raise ValueError(f"truncated snappy chunk at byte {at}")
        at += 4 + size
        yield bytes(cramjam.snappy.decompress_raw(chunk))


def read_events(spark: SparkSession, logs: list[EventLog]) -> DataFrame:
    """The event lines sqlfix reads (``READ_EVENTS``) of ``logs``: ``log_key``, ``source_file``, ``line_no``,
    ``line``. Files are read and decompressed on the executors (one task per file); a file that does not
    decompress is one row with ``line`` null, quarantined by ``event_rows``."""
    files = [(log.key, str(f), codec_of(f.name)) for log in logs for f in log.files]
    if not files:
        return spark.createDataFrame([], "log_key string, source_file string, line_no bigint, line string")
    listing = spark.createDataFrame(files, "log_key string, source_file string, codec string")
    blobs = spark.read.format("binaryFile").load([f for _, f, _ in files]).select(
        F.regexp_replace("path", r"^file:(//)?", "").alias("source_file"), "content"
    )
    joined = listing.join(blobs, "source_file").repartition(max(1, min(len(files), 200)), "source_file")
    return joined.mapInPandas(_lines, "log_key string, source_file string, line_no bigint, line string")


def _lines(frames):
    import pandas as pd

    for frame in frames:
        rows = []
        for key, source, codec, content in zip(frame["log_key"], frame["source_file"], frame["codec"],
                                               frame["content"], strict=True):  # fmt: skip
            try:
                text = decompress(bytes(content), codec)
            except Exception:  # noqa: BLE001 - the file is quarantined under its name
                rows.append((key, source, -1, None))
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if b'"Event"' in line and any(e.encode() in line for e in READ_EVENTS):
                    rows.append((key, source, number, line.decode("utf-8", "replace")))
        yield pd.DataFrame(rows, columns=["log_key", "source_file", "line_no", "line"])


def event_rows(events: DataFrame) -> DataFrame:
    """Event lines -> the raw log frame ``logs.parse_events`` takes: one row per root SQL execution and per
    Thrift statement; ``raw_row`` is the JSON of the fields read (plans left out); a file that would not
    decompress is one row that fails as ``malformed_json``."""
    j = lambda path: F.get_json_object(F.col("line"), path)  # noqa: E731
    kind = F.regexp_extract(j("$.Event"), r"([A-Za-z]+)$", 1)
    ev = events.withColumn("_kind", kind)
    damaged = events.filter(F.col("line").isNull()).select(
        F.to_json(F.struct(F.lit("file does not decompress").alias("error"), "source_file")).alias("raw_row"),
        "source_file", F.lit(True).alias("_valid_utf8"), F.lit(False).alias("_valid_json"),
        *[F.lit(None).cast("string").alias(f) for f in LOG_FIELDS], F.lit(None).cast("string").alias("_skip"),
    )  # fmt: skip
    app = ev.groupBy("log_key").agg(
        F.max(F.when(F.col("_kind") == "SparkListenerApplicationStart", j("$['App ID']"))).alias("app_id"),
        F.max(F.when(F.col("_kind") == "SparkListenerApplicationStart", j("$['App Name']"))).alias("app_name"),
        F.max(F.when(F.col("_kind") == "SparkListenerApplicationStart", j("$.User"))).alias("app_user"),
        F.max(F.when(F.col("_kind") == "SparkListenerLogStart", j("$['Spark Version']"))).alias("version"),
    )

    def events_of(name: str, **fields: str) -> DataFrame:
        return ev.filter(F.col("_kind") == name).select(
            "log_key", "source_file", "line_no", *[j(p).alias(k) for k, p in fields.items()]
        )

    start = events_of("SparkListenerSQLExecutionStart", execution_id="$.executionId", root_id="$.rootExecutionId",
                      description="$.description", start_time="$.time", job_group="$.jobGroupId")  # fmt: skip
    end = events_of("SparkListenerSQLExecutionEnd", execution_id="$.executionId", end_time="$.time",
                    error="$.errorMessage").drop("source_file", "line_no")  # fmt: skip
    op_start = events_of("SparkListenerThriftServerOperationStart", op_id="$.id", session="$.sessionId",
                         statement="$.statement", group="$.groupId", start_time="$.startTime", user="$.userName")  # fmt: skip
    # One pass over the end events: the outcome from the event's kind, the message from an Error's errorMsg.
    outcomes = {"SparkListenerThriftServerOperationError": "error", "SparkListenerThriftServerOperationFinish": "success",
                "SparkListenerThriftServerOperationCanceled": "canceled",
                "SparkListenerThriftServerOperationTimeout": "canceled"}  # fmt: skip
    outcome = F.element_at(F.create_map(*[F.lit(x) for kv in outcomes.items() for x in kv]), F.col("_kind"))
    op_end = ev.filter(F.col("_kind").isin(*outcomes)).select(
        "log_key", j("$.id").alias("op_id"), j("$.finishTime").alias("end_time"), j("$.errorMsg").alias("error"),
        outcome.alias("outcome"),
    )
    # An operation that errs also finishes in some versions: the error wins, then cancel, then success.
    rank = F.when(F.col("outcome") == "error", 0).when(F.col("outcome") == "canceled", 1).otherwise(2)
    op_end = op_end.groupBy("log_key", "op_id").agg(F.min_by(F.struct("outcome", "end_time", "error"), rank).alias("e"))
    op_end = op_end.select("log_key", "op_id", "e.*")

    groups = op_start.select("log_key", F.col("group").alias("job_group")).distinct()
    sql = start.join(end, ["log_key", "execution_id"], "full")
    sql = sql.filter(F.col("root_id").isNull() | (F.col("root_id") == F.col("execution_id")))
    sql = sql.join(groups, ["log_key", "job_group"], "left_anti").join(app, "log_key", "left")
    is_sql = ~F.coalesce(F.col("description"), F.lit("")).rlike(CALL_SITE)
    sql_rows = sql.select(
        _raw("execution_id", "root_id", "description", "start_time", "end_time", "error", "app_id", "app_name"),
        F.coalesce("source_file", "log_key").alias("source_file"),
        F.lit(True).alias("_valid_utf8"),
        F.lit(True).alias("_valid_json"),
        F.concat("app_id", F.lit(":sql:"), "execution_id").alias("event_id"),
        F.col("start_time").alias("event_time"),
        F.col("app_user").alias("user_id"),
        F.concat(F.lit("app:"), "app_name").alias("task_id"),
        F.lit("execute").alias("action"),
        F.when(is_sql, F.col("description")).alias("sql_text"),
        F.when(F.col("error") == "", "success").when(F.col("error").isNotNull(), "error").alias("status"),
        F.nullif(F.col("error"), F.lit("")).alias("error_message"),
        _engine(),
        (F.col("end_time").cast("bigint") - F.col("start_time").cast("bigint")).cast("string").alias("duration_ms"),
        F.lit(None).cast("string").alias("_skip"),
    )
    ops = op_start.join(op_end, ["log_key", "op_id"], "left").join(app, "log_key", "left")
    op_rows = ops.select(
        _raw("op_id", "session", "statement", "start_time", "end_time", "outcome", "error", "user", "app_id"),
        "source_file",
        F.lit(True).alias("_valid_utf8"),
        F.lit(True).alias("_valid_json"),
        F.concat("app_id", F.lit(":op:"), "op_id").alias("event_id"),
        F.col("start_time").alias("event_time"),
        F.coalesce(F.nullif("user", F.lit("UNKNOWN")), "app_user").alias("user_id"),
        F.concat(F.lit("thrift-session:"), "session").alias("task_id"),
        F.lit("execute").alias("action"),
        F.col("statement").alias("sql_text"),
        F.col("outcome").alias("status"),
        F.col("error").alias("error_message"),
        _engine(),
        (F.col("end_time").cast("bigint") - F.col("start_time").cast("bigint")).cast("string").alias("duration_ms"),
        F.lit(None).cast("string").alias("_skip"),
    )
    return sql_rows.unionByName(op_rows).unionByName(damaged)


def _raw(*columns: str) -> Column:
    return F.to_json(F.struct(*columns)).alias("raw_row")


def _engine() -> Column:
    return F.concat(F.lit("spark-"), F.col("version")).alias("engine")
