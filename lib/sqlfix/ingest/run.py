"""The ingest pipeline: platform query logs (and catalog schemas) into the bronze tables.

Good rows are merged into ``query_logs`` on ``event_id`` (re-ingesting adds nothing); unusable rows go
to ``query_logs_rejected`` with the reason and the raw row; files already ingested (same path and
content hash) are skipped, so a folder re-run loads only new files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sqlfix.errors import UsageError
from sqlfix.ingest import event_log as E
from sqlfix.ingest import logs as L
from sqlfix.ingest import query_history as Q
from sqlfix.ingest.event_log import find_logs
from sqlfix.ingest.schemas import read_schema_file

LOG_SUFFIXES = (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".parquet")
SCHEMA_SUFFIXES = (".sql", ".ddl", ".jsonl", ".json")


@dataclass
class IngestReport:
    """What one ingest did."""

    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    files_read: int = 0
    files_skipped: int = 0
    schemas_loaded: int = 0
    schemas_rejected: int = 0
    not_mined: int = 0
    in_progress: int = 0
    feedback: int = 0

    def describe(self) -> str:
        """The one line ``sqlfix ingest`` prints."""
        return (
            f"ingest: {self.loaded} loaded, {self.duplicates} duplicate, {self.rejected} rejected "
            f"of {self.rows_read} rows from {self.files_read} files ({self.files_skipped} already ingested); "
            f"schemas: {self.schemas_loaded} loaded, {self.schemas_rejected} rejected"
            + (f"; {self.not_mined} of the rejected are statements never mined" if self.not_mined else "")
            + (f"; {self.in_progress} logs still being written, left for a later run" if self.in_progress else "")
            + (f"; {self.feedback} suggestion verdicts added as events" if self.feedback else "")
        )


def list_files(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """A file, or the matching files under a folder (recursive, sorted, hidden names skipped)."""
    if path.is_file():
        return [path.resolve()]
    if not path.is_dir():
        raise UsageError("no such file or folder", input=str(path))
    return sorted(
        p.resolve()
        for p in path.rglob("*")
        if p.is_file()
        and p.name.lower().endswith(suffixes)
        and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


FORMATS = ("sqlfix", "databricks_query_history", "spark_event_log")


def ingest_logs(ctx, source: str, force: bool = False, fmt: str | None = None) -> IngestReport:
    """Ingest a file, a folder, or a table (``table:NAME`` or a lake/catalog table name) of log format
    ``fmt`` (``FORMATS``; default ``ingest.format``)."""
    cfg = ctx.cfg["ingest"]
    fmt = fmt or cfg["format"]
    if fmt not in FORMATS:
        raise UsageError(f"unknown log format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    lake, spark = ctx.lake, ctx.spark
    report = IngestReport()
    path = Path(source).expanduser()
    files: list[Path] = []
    hashes: dict[str, str] = {}
    watermark_after = None
    if path.exists():
        done = {
            (r.path, r.sha256)
            for r in lake.read("ingested_files")
            .filter(F.col("target") == "query_logs")
            .select("path", "sha256")
            .collect()
        }
        if fmt == "spark_event_log":
            logs = find_logs(path)
            busy = [log for log in logs if log.in_progress]
            report.in_progress = len(busy)
            files = [f for log in logs if not log.in_progress for f in log.files]
            hashes = {str(f): sha256_of(f) for f in files}
            todo_logs = [log for log in logs if not log.in_progress
                         and (force or any((str(f), hashes[str(f)]) not in done for f in log.files))]  # fmt: skip
            todo = [f for log in todo_logs for f in log.files]
        else:
            files = list_files(path, LOG_SUFFIXES)
            hashes = {str(f): sha256_of(f) for f in files}
            todo = [f for f in files if force or (str(f), hashes[str(f)]) not in done]
        report.files_skipped = len(files) - len(todo)
        report.files_read = len(todo)
        if not todo:
            return report
        if fmt == "spark_event_log":
            raw = E.event_rows(E.read_events(spark, todo_logs))
        elif fmt == "databricks_query_history":
            raw = Q.history_rows(_read_files(spark, todo), cfg["query_history"]["mined_types"])
        else:
            raw = _read_files(spark, todo, cfg["column_map"])
    elif fmt == "databricks_query_history":
        name = source.removeprefix("table:")
        qcfg = cfg["query_history"]
        mark = _watermark(ctx, name, fmt)
        rows = L.frame_rows(Q.since(_read_table(ctx, source), mark, float(qcfg["overlap_hours"])), f"table:{name}")
        rows = rows.persist(StorageLevel.DISK_ONLY)
        watermark_after = (name, rows)
        raw = Q.history_rows(rows, qcfg["mined_types"])
    elif fmt == "spark_event_log":
        raise UsageError("--source is no file or folder of Spark event logs", input=source)
    else:
        raw = L.read_frame(_read_table(ctx, source), f"table:{source.removeprefix('table:')}", cfg["column_map"])
    now = F.lit(dt.datetime.now(dt.timezone.utc)).cast("timestamp")
    time_range = tuple(str(t) for t in cfg["event_time_range"])
    parsed = L.parse_events(raw, int(cfg["max_sql_bytes"]), cfg["timestamp_formats"], time_range)
    parsed = L.mark_conflicts(parsed, lake.read("query_logs"))
    parsed = parsed.persist(StorageLevel.DISK_ONLY)  # read twice; a large batch must not hold executor memory
    try:
        counts = {r["reason"]: r["n"] for r in parsed.groupBy("reason").agg(F.count("*").alias("n")).collect()}
        report.rows_read = sum(counts.values())
        report.rejected = report.rows_read - counts.get(None, 0)
        report.not_mined = counts.get("statement_type_not_mined", 0)
        lake.merge("query_logs_rejected", L.rejected_rows(parsed, now))
        loaded = lake.merge("query_logs", L.good_rows(parsed, now))
        report.loaded = loaded.inserted
        report.duplicates = counts.get(None, 0) - loaded.inserted
        if files:
            _record_files(ctx, parsed, todo, hashes, now)
        if watermark_after:  # only after both merges: a crash before re-reads the overlap, adding nothing
            _save_watermark(ctx, watermark_after[0], fmt, watermark_after[1], report.rows_read)
    finally:
        parsed.unpersist()
        if watermark_after:
            watermark_after[1].unpersist()
    return report


def _watermark(ctx, source: str, fmt: str):
    row = (
        ctx.lake.read("ingest_watermarks")
        .filter((F.col("source") == source) & (F.col("format") == fmt))
        .select("watermark")
        .first()
    )
    return row["watermark"] if row else None


def _save_watermark(ctx, source: str, fmt: str, rows: DataFrame, rows_read: int) -> None:
    from sqlfix.tables import INGEST_WATERMARKS

    newest = rows.agg(Q.end_time_max(rows).alias("m")).first()["m"]
    old = _watermark(ctx, source, fmt)
    mark = max(m for m in (newest, old) if m is not None) if (newest or old) else None
    record = {"source": source, "format": fmt, "watermark": mark, "rows_read": rows_read,
              "updated_at": dt.datetime.now(dt.timezone.utc)}  # fmt: skip
    df = ctx.spark.createDataFrame([record], INGEST_WATERMARKS.spark_schema)
    ctx.lake.merge("ingest_watermarks", df, update=True)


def _read_files(spark, files: list[Path], column_map=None) -> DataFrame:
    """Raw rows of JSON Lines and Parquet files: with ``column_map``, sqlfix's own layout mapped to the log
    fields; without, each row as its JSON text only (a layout another reader maps, e.g. query history)."""
    jsonl = [str(f) for f in files if not f.name.lower().endswith(".parquet")]
    parquet = [str(f) for f in files if f.name.lower().endswith(".parquet")]
    frames = []
    if jsonl:
        frames.append(L.read_jsonl(spark, jsonl, column_map) if column_map is not None else L.read_lines(spark, jsonl))
    for file in parquet:  # a file that is not Parquet is named here, not in a JVM trace
        _check_parquet(file)
    if parquet:
        typed = spark.read.option("mergeSchema", "true").parquet(*parquet)
        frames.append(L.read_frame(typed, "files", column_map) if column_map is not None else L.frame_rows(typed, "files"))
    raw = frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])
    return raw.withColumn("source_file", F.regexp_replace("source_file", r"^file:(//)?", ""))


def _read_table(ctx, name: str) -> DataFrame:
    name = name.removeprefix("table:")
    from sqlfix.tables import TABLES

    if name in TABLES:
        return ctx.lake.read(name)
    try:
        if ctx.spark.catalog.tableExists(name):
            return ctx.spark.table(name)
    except Exception:  # noqa: BLE001 - not even a valid table name
        pass
    raise UsageError(
        "--source is neither a file, a folder nor a known table", input=name,
        hint="give a JSON Lines or Parquet file or folder, or a table name",
    )  # fmt: skip


def _record_files(ctx, parsed: DataFrame, files: list[Path], hashes: dict, now) -> None:
    per_file = parsed.groupBy("source_file").agg(
        F.count(F.when(F.col("reason").isNull(), 1)).alias("rows_loaded"),
        F.count(F.when(F.col("reason").isNotNull(), 1)).alias("rows_rejected"),
    )
    rows = [(str(f), hashes[str(f)], f.stat().st_size) for f in files]
    listing = ctx.spark.createDataFrame(rows, "path string, sha256 string, size_bytes bigint")
    out = listing.join(per_file, listing.path == per_file.source_file, "left").select(
        "path", "sha256", "size_bytes", F.lit("query_logs").alias("target"),
        F.coalesce("rows_loaded", F.lit(0)).cast("bigint").alias("rows_loaded"),
        F.coalesce("rows_rejected", F.lit(0)).cast("bigint").alias("rows_rejected"),
        now.alias("ingested_at"),
    )  # fmt: skip
    ctx.lake.merge("ingested_files", out, update=True)


def ingest_schemas(ctx, source: str, captured_at: dt.datetime | None = None) -> tuple[int, int]:
    """Load CREATE TABLE files or JSON Lines into ``table_schemas``; returns (loaded, rejected)."""
    good, bad = [], []
    for f in list_files(Path(source).expanduser(), SCHEMA_SUFFIXES):
        g, b = read_schema_file(f, captured_at)
        good += g
        bad += b
    from sqlfix.tables import TABLE_SCHEMAS, TABLE_SCHEMAS_REJECTED

    spark, now = ctx.spark, dt.datetime.now(dt.timezone.utc)
    loaded = ctx.lake.merge("table_schemas", spark.createDataFrame(good, TABLE_SCHEMAS.spark_schema)) if good else None
    if bad:
        rows = [
            {
                **b,
                "reject_id": hashlib.sha256(f"{b['source_file']}\u0001{b['raw_row']}".encode()).hexdigest(),
                "ingested_at": now,
            }
            for b in bad
        ]
        ctx.lake.merge("table_schemas_rejected", spark.createDataFrame(rows, TABLE_SCHEMAS_REJECTED.spark_schema))
    return (loaded.inserted if loaded else 0), len(bad)


def _check_parquet(path: str) -> None:
    """Refuse a ``.parquet`` file whose footer Parquet cannot read, naming it."""
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow's reason, under the file's name
        raise UsageError(f"not a readable Parquet file ({str(exc).splitlines()[0][:120]})", input=path,
                         hint="remove or replace it, then ingest again") from None
