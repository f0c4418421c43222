"""Native Delta backend (delta-spark): used where Delta's jars are on the classpath (Databricks).

Tables are ``catalog.schema.name`` when a catalog/schema is configured, else paths under the root.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from sqlfix.lake.base import MergeResult
from sqlfix.sql.names import table_name
from sqlfix.tables import Table


class NativeDelta:
    name = "delta"

    def __init__(self, spark: SparkSession, root: str | None, catalog: str | None, schema: str | None):
        if not root and not schema:
            raise ValueError("native Delta needs lake.root or lake.catalog/lake.schema")
        self.spark = spark
        self.root = root
        self.prefix = ".".join(f"`{p}`" for p in (catalog, schema) if p) if schema else None

    def location(self, table: Table) -> str:
        name = table_name(table.name, what="lake table name")  # never a path or a quoted part from data
        if self.prefix:
            return f"{self.prefix}.`{name}`"
        return f"{str(self.root).rstrip('/')}/{name}"

    def _delta_table(self, table: Table):
        from delta.tables import DeltaTable

        if self.prefix:
            return DeltaTable.forName(self.spark, self.location(table))
        return DeltaTable.forPath(self.spark, self.location(table))

    def exists(self, table: Table) -> bool:
        if self.prefix:
            return self.spark.catalog.tableExists(self.location(table).replace("`", ""))
        from delta.tables import DeltaTable

        return DeltaTable.isDeltaTable(self.spark, self.location(table))

    def create(self, table: Table) -> None:
        from delta.tables import DeltaTable

        builder = DeltaTable.createIfNotExists(self.spark)
        builder = builder.tableName(self.location(table)) if self.prefix else builder.location(self.location(table))
        builder = builder.addColumns(table.spark_schema).comment(table.purpose)
        if table.partition_by:
            builder = builder.partitionedBy(*table.partition_by)
        builder.execute()
        if self.exists(table):
            self._evolve(table)

    def _evolve(self, table: Table) -> None:
        current = {f.name for f in self.read(table, None).schema.fields}
        new = [f for f in table.spark_schema.fields if f.name not in current]
        if new:
            cols = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in new)
            target = self.location(table) if self.prefix else f"delta.`{self.location(table)}`"
            self.spark.sql(f"ALTER TABLE {target} ADD COLUMNS ({cols})")

    def read(self, table: Table, version: int | None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.table(self.location(table)) if self.prefix else reader.load(self.location(table))

    def write(self, table: Table, df: DataFrame, mode: str) -> None:
        writer = df.write.format("delta").mode(mode)
        if table.partition_by:
            writer = writer.partitionBy(*table.partition_by)
        writer.saveAsTable(self.location(table)) if self.prefix else writer.save(self.location(table))

    @staticmethod
    def is_conflict(exc: BaseException) -> bool:
        """Whether ``exc`` is Delta's optimistic-concurrency check failing (another writer committed first:
        ``ConcurrentAppendException``, ``ConcurrentDeleteReadException``, ``ConcurrentTransactionException``,
        ``MetadataChangedException``...): the merge is to be run again against the new version."""
        text = f"{type(exc).__name__} {str(exc)[:400]}"
        return any(word in text for word in ("Concurrent", "MetadataChanged", "ProtocolChanged", "DELTA_CONCURRENT"))

    def merge(self, table: Table, df: DataFrame, keys: tuple[str, ...], update: bool, compared: tuple[str, ...] = ()):
        """One Delta ``MERGE``: Delta checks at commit that no concurrent commit added rows it read."""
        condition = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
        changed = " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in compared) or None
        merger = self._delta_table(table).alias("t").merge(df.alias("s"), condition)
        if update:
            merger = merger.whenMatchedUpdateAll(condition=changed)
        metrics = merger.whenNotMatchedInsertAll().execute()  # Delta 3.1+: one row of this merge's counts
        row = metrics.collect()[0].asDict() if metrics is not None else {}
        return MergeResult(int(row.get("num_inserted_rows") or 0), int(row.get("num_updated_rows") or 0))

    def history(self, table: Table) -> list[dict]:
        rows = self._delta_table(table).history().select("version", "timestamp", "operation").collect()
        return [r.asDict() for r in rows]
