"""The lake: every table read and write of sqlfix goes through here.

Two backends behind one interface:

* ``delta`` — native Delta Lake (delta-spark), where Delta's jars are on the classpath (Databricks,
  a cluster with the Delta package). Tables are ``catalog.schema.name`` or paths under a root.
* ``deltars`` — the offline embedded default: Spark computes, delta-rs (``deltalake``) commits, and
  Spark reads the table's current files. Tables are folders under the lake root, readable by any
  Delta reader (delta-rs, DuckDB, pandas via ``deltalake``).

``backend: auto`` picks ``delta`` when the JVM has Delta's classes, else ``deltars``. Every write is one
Delta commit: a write that fails half way leaves the table at its last version.

Two runs at once (a scheduled job started while the last one still runs) never write a row twice: a merge
commits only on top of the version it read, and when another writer's commit landed first (Delta's
``ConcurrentAppendException`` and kin on native Delta, delta-rs's ``CommitFailedError``) the whole merge
is run again against the new version, up to ``MERGE_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sqlfix.lake.base import LakeError, MergeResult, UnknownTableError
from sqlfix.tables import TABLES, Table

__all__ = ["Lake", "LakeError", "MergeResult", "UnknownTableError", "open_lake", "has_native_delta"]
log = logging.getLogger(__name__)
MERGE_ATTEMPTS = 12


class Lake:
    """Contract-checked table I/O over one backend.

    Example (not run: needs a SparkSession):
        lake = open_lake(cfg, spark)
        lake.merge("query_logs", df)          # keys come from the contract
        lake.read("query_logs", version=0)    # time travel
    """

    def __init__(self, backend: Any, spark: SparkSession):
        self.backend = backend
        self.spark = spark

    @property
    def name(self) -> str:
        return self.backend.name

    def table(self, name: str) -> Table:
        try:
            return TABLES[name]
        except KeyError:
            raise UnknownTableError(
                "unknown table", input=name, hint=f"the lake's tables are {', '.join(sorted(TABLES))}"
            ) from None

    def location(self, name: str) -> str:
        """Path or catalog name of a table."""
        return self.backend.location(self.table(name))

    def exists(self, name: str) -> bool:
        return self.backend.exists(self.table(name))

    def register_views(self) -> list[str]:
        """Every declared table as a temporary view of its name (an absent one empty, with its columns), so
        that ``spark.sql("SELECT ... FROM bug_pairs")`` reads the lake as it would read catalog tables on
        Databricks. The views are read-only (a write through one fails) and read each table as it was when
        they were registered: register again after a write. Returns the view names."""
        for name in TABLES:
            self.read(name).createOrReplaceTempView(name)
        return list(TABLES)

    def create(self, name: str) -> None:
        """Create the table with its declared schema if it does not exist (idempotent)."""
        self.backend.create(self.table(name))

    def read(self, name: str, version: int | None = None) -> DataFrame:
        """Read the current (or an older) version; columns in contract order."""
        table = self.table(name)
        if not self.backend.exists(table):
            if version is not None:
                raise LakeError(f"table {name} does not exist")
            return self.spark.createDataFrame([], table.spark_schema)
        return self.backend.read(table, version).select(*table.column_names)

    def append(self, name: str, df: DataFrame) -> None:
        table = self.table(name)
        self.backend.create(table)
        self.backend.write(table, self.conform(table, df), mode="append")

    def overwrite(self, name: str, df: DataFrame) -> None:
        table = self.table(name)
        self.backend.create(table)
        self.backend.write(table, self.conform(table, df), mode="overwrite")

    def merge(self, name: str, df: DataFrame, keys: tuple[str, ...] | None = None, update: bool = False) -> MergeResult:
        """Upsert on key columns: insert rows whose keys are new; with ``update``, replace matched rows
        that differ in a column other than the contract's ``volatile`` bookkeeping columns.

        Re-running a merge with the same rows adds and updates nothing.
        """
        table = self.table(name)
        keys = tuple(keys or table.keys)
        if not keys:
            raise LakeError(f"table {name} declares no keys: pass keys= to merge")
        self.backend.create(table)
        source = self.conform(table, df).dropDuplicates(list(keys))
        compared = tuple(c for c in table.column_names if c not in keys and c not in table.volatile) if update else ()
        for attempt in range(1, MERGE_ATTEMPTS + 1):
            try:
                return self.backend.merge(table, source, keys, update, compared)
            except Exception as exc:
                if not self.backend.is_conflict(exc):
                    raise
                if attempt == MERGE_ATTEMPTS:
                    raise LakeError(
                        f"{name}: other writers committed first {attempt} times in a row; run the job again"
                    ) from exc
                log.info("%s: another writer committed first; merging again (attempt %d)", name, attempt + 1)
                time.sleep(random.uniform(0.1, 0.5) * attempt)
        raise AssertionError("unreachable")

    def write_dataset(self, table: Table, df: DataFrame) -> None:
        """Overwrite a data table the suite generates (an optimisation database): a contract that is not
        one of ``TABLES``, written like them (one Delta commit)."""
        self.backend.create(table)
        self.backend.write(table, self.conform(table, df), mode="overwrite")

    def read_dataset(self, table: Table) -> DataFrame:
        if not self.backend.exists(table):
            raise LakeError(f"table {table.name} does not exist", hint="sqlfix optimize databases")
        return self.backend.read(table, None).select(*table.column_names)

    def history(self, name: str) -> list[dict]:
        """Commits of a table, newest first: version, timestamp, operation."""
        table = self.table(name)
        return self.backend.history(table) if self.backend.exists(table) else []

    def version(self, name: str) -> int | None:
        history = self.history(name)
        return history[0]["version"] if history else None

    def conform(self, table: Table, df: DataFrame) -> DataFrame:
        """Select and cast a frame to a contract; refuse missing columns and null keys."""
        missing = [c for c in table.column_names if c not in df.columns]
        if missing:
            raise LakeError(f"{table.name}: frame lacks columns {missing}")
        schema = table.spark_schema
        out = df.select(*[F.col(f"`{f.name}`").cast(f.dataType).alias(f.name) for f in schema.fields])
        if table.keys:
            # Fails the Spark job (so the write never commits) at the first row with a null key.
            null_key = " OR ".join(f"`{k}` IS NULL" for k in table.keys)
            message = F.lit(f"{table.name}: null in key columns {list(table.keys)}")
            out = out.filter(F.when(F.expr(null_key), F.raise_error(message)).isNull())
        return out


def open_lake(cfg: dict, spark: SparkSession) -> Lake:
    """Open the lake a config names (``lake.backend``: auto | delta | deltars)."""
    lake_cfg = cfg["lake"]  # every key is in conf/*.yaml: no default is restated here
    backend = lake_cfg["backend"]
    if backend == "auto":
        backend = "delta" if has_native_delta(spark) else "deltars"
    if backend == "delta":
        from sqlfix.lake.native import NativeDelta

        return Lake(NativeDelta(spark, lake_cfg["root"], lake_cfg["catalog"], lake_cfg["schema"]), spark)
    if backend == "deltars":
        from sqlfix.lake.deltars import DeltaRs

        if not lake_cfg["root"]:
            raise LakeError("lake.backend=deltars needs lake.root (or --lake-root / SQLFIX_LAKE_ROOT)")
        return Lake(DeltaRs(spark, lake_cfg["root"]), spark)
    raise LakeError(f"lake.backend must be auto, delta or deltars, not {backend!r}")


def has_native_delta(spark: SparkSession) -> bool:
    """Whether Delta Lake's Spark classes are on the session's classpath."""
    try:
        spark._jvm.java.lang.Class.forName("io.delta.tables.DeltaTable")  # type: ignore[union-attr]
        return True
    except Exception:  # noqa: BLE001 - py4j raises a generic error for a missing class
        return False
