"""``sql_corpus``: executable SQL that bugs can be injected into, with its DDL and its error features.

Sources: successful executions in ``query_logs``, ``.sql`` files, or any table with a SQL column. Each
query is parsed once, in Arrow batches on the executors (``mapInArrow``): its id (sha256 of the
normalised text, ``sql.normalize``), its features (``sql.features``) or why it cannot be used. Queries
that do not parse, are not a query, or read no table the catalog knows are quarantined with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sqlfix.config import defaults
from sqlfix.sql.catalog import attach_schemas
from sqlfix.sql.features import features
from sqlfix.sql.normalize import normalized
from sqlfix.sql.references import is_reserved_column, referenced_tables_column
from sqlfix.sql.statements import split_statements

SOURCE_COLUMNS = ("sql_text", "source", "task_id")
FEATURE_FIELDS = T.StructType([
    T.StructField("corpus_id", T.StringType()),
    T.StructField("features", T.ArrayType(T.StringType())),
    T.StructField("parse_error", T.StringType()),
])  # fmt: skip


def corpus_id(sql: str) -> str:
    """The id of a query: sha256 of its normalised text (comments, case and spacing do not count).

    Example:
        >>> corpus_id("SELECT a  FROM t -- x") == corpus_id("select a from t")
        True
    """
    return hashlib.sha256(normalized(sql).encode()).hexdigest()


def describe(sql: str | None) -> tuple[str, list[str] | None, str | None]:
    """(corpus_id, features, parse_error) of one query: what both extraction paths compute per query."""
    sql = sql or ""
    try:
        return corpus_id(sql), features(sql), None
    except ValueError as exc:
        return corpus_id(sql), None, str(exc)[:300]
    except Exception as exc:  # noqa: BLE001 - sqlglot can fail deep inside on odd input: a row's reason
        return corpus_id(sql), None, f"unparseable: {type(exc).__name__}: {str(exc)[:200]}"


def _describe_batches(batches: Iterator) -> Iterator:
    """mapInArrow body: each Arrow batch gets corpus_id, features and parse_error; a text seen twice in a
    batch (a scheduled query logged every day) is parsed once."""
    import logging

    import pyarrow as pa

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its fallback warnings are not the job's log lines
    for batch in batches:
        texts = batch.column("sql_text").to_pylist()
        seen: dict[str, tuple] = {}
        out = []
        for text in texts:
            key = text or ""
            if key not in seen:
                seen[key] = describe(key)
            out.append(seen[key])
        ids, feats, errors = zip(*out, strict=True) if out else ((), (), ())
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, pa.array(ids, pa.string()), pa.array(feats, pa.list_(pa.string())),
             pa.array(errors, pa.string())],
            names=[*batch.schema.names, "corpus_id", "features", "parse_error"],
        )  # fmt: skip


def with_features(queries: DataFrame) -> DataFrame:
    """Add corpus_id, features and parse_error, parsing in Arrow batches on the executors."""
    schema = T.StructType([*queries.schema.fields, *FEATURE_FIELDS.fields])
    return queries.mapInArrow(_describe_batches, schema)


def with_features_per_row(queries: DataFrame) -> DataFrame:
    """The same columns through a per-row Python UDF: the baseline ``benchmarks/recall.py`` measures."""
    udf = F.udf(lambda s: describe(s), FEATURE_FIELDS)
    out = queries.withColumn("_d", udf("sql_text"))
    return out.select(*queries.columns, "_d.corpus_id", "_d.features", "_d.parse_error")


def from_logs(logs: DataFrame) -> DataFrame:
    """Successful executions of the query log as corpus sources (sql_text, source, task_id)."""
    ok = logs.filter((F.col("action") == "execute") & (F.col("status") == "success") & F.col("sql_text").isNotNull())
    return ok.select("sql_text", F.lit("query_logs").alias("source"), "task_id")


def read_sql_files(folder: Path) -> list[dict]:
    """Every statement of every ``.sql`` file under ``folder`` as a source row (task: the file)."""
    rows = []
    for path in sorted(Path(folder).rglob("*.sql")):
        for i, statement in enumerate(split_statements(path.read_text(errors="replace"))):
            if statement.strip():
                rows.append({"sql_text": statement.strip(), "source": f"file:{path}", "task_id": f"file:{path}#{i}"})
    return rows


def build_corpus(sources: DataFrame, schemas: DataFrame, now, reserved: dict | None = None) -> tuple[DataFrame, DataFrame]:
    """(corpus, rejected): one row per distinct normalised query, features extracted, DDL attached.

    Reasons in ``rejected``: ``unparseable``, ``not_a_query`` (a statement other than a SELECT query),
    ``reserved_benchmark`` (it reads an evaluation benchmark's tables: ``reserved``, the ``dataset.reserved``
    rules of ``sql.references.is_reserved``; the profile's when not given), ``missing_ddl`` (it reads no
    table the catalog knows).
    """
    described = with_features(sources.select(*SOURCE_COLUMNS))
    first = described.dropDuplicates(["corpus_id"])
    staged = first.select(
        F.col("corpus_id").alias("pair_id"), F.col("sql_text").alias("bug_sql"), F.lit(now).cast("timestamp").alias(
            "bug_time"), "source", "task_id", "features", "parse_error",
    )  # fmt: skip
    attached = attach_schemas(staged, schemas).select(
        F.col("pair_id").alias("corpus_id"), F.col("bug_sql").alias("sql_text"), "source", "task_id", "tables",
        "schema_ddl", "features", "parse_error", F.lit("spark").alias("source_dialect"),
        F.lit(None).cast("string").alias("origin"), F.lit(None).cast("string").alias("license"),
        F.lit(None).cast("array<string>").alias("parameters"), F.lit("catalog").alias("ddl_origin"),
        F.lit(None).cast("string").alias("reason"), F.lit(None).cast("string").alias("detail"),
    )  # fmt: skip
    return judged_corpus(attached, now, reserved)


def judged_corpus(attached: DataFrame, now, reserved: dict | None = None) -> tuple[DataFrame, DataFrame]:
    """(corpus, rejected) of described candidates with DDL attached: a candidate keeps a reason it already
    has (a repository import's), else gets the first that applies of ``unparseable``, ``not_a_query``,
    ``reserved_benchmark`` and ``missing_ddl``."""
    reserved = defaults("dataset", "reserved") if reserved is None else reserved
    reason = (
        F.when(F.col("reason").isNotNull(), F.col("reason"))
        .when(F.col("parse_error").isNotNull(), F.lit("unparseable"))
        .when(~F.array_contains("features", "select") | F.col("sql_text").rlike(r"(?is)^\s*(insert|create|drop|alter"
                                                                                r"|delete|update|merge|set|use)\b"),
              F.lit("not_a_query"))
        .when(is_reserved_column(referenced_tables_column(F.col("sql_text")), reserved), F.lit("reserved_benchmark"))
        .when(F.col("schema_ddl").isNull(), F.lit("missing_ddl"))
    )  # fmt: skip
    judged = (attached.withColumn("reason", reason).withColumn("detail", F.coalesce("detail", "parse_error"))
              .withColumn("added_at", F.lit(now).cast("timestamp")))  # fmt: skip
    corpus = judged.filter(F.col("reason").isNull()).drop("reason", "parse_error", "detail")
    rejected = judged.filter(F.col("reason").isNotNull()).select(
        "corpus_id", "sql_text", "source", "task_id", "reason", "detail", "added_at", "source_dialect", "origin"
    )
    return corpus, rejected
