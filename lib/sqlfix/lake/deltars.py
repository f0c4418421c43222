"""delta-rs backend: Spark computes and stages Parquet, delta-rs commits, Spark reads current files.

A write stages the frame as plain Parquet under ``<root>/_staging/<uuid>`` (distributed, by Spark),
then streams it into one delta-rs commit (append, overwrite or merge) and removes the staging folder
whatever happens. An exception before the commit leaves the table at its last version.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
from deltalake import DeltaTable, write_deltalake
from pyspark.sql import DataFrame, SparkSession

from sqlfix.tables import Table


class DeltaRs:
    name = "deltars"

    def __init__(self, spark: SparkSession, root: str):
        self.spark = spark
        self.root = Path(root).expanduser().resolve()

    def location(self, table: Table) -> str:
        return str(self.root / table.name)

    def exists(self, table: Table) -> bool:
        return DeltaTable.is_deltatable(self.location(table))

    def create(self, table: Table) -> None:
        if self.exists(table):
            self._evolve(table)
            return
        Path(self.location(table)).mkdir(parents=True, exist_ok=True)
        DeltaTable.create(
            self.location(table),
            schema=table.arrow_schema,
            mode="ignore",
            partition_by=list(table.partition_by) or None,
            name=table.name,
            description=table.purpose,
        )

    def _evolve(self, table: Table) -> None:
        """Add contract columns a table lacks (a newer release added them); refuse type changes."""
        current = DeltaTable(self.location(table)).schema().to_arrow()
        wanted = table.arrow_schema
        have = {f.name: f for f in current}
        for field in wanted:
            if field.name in have and not have[field.name].type.equals(field.type):
                raise RuntimeError(
                    f"{table.name}.{field.name} is {have[field.name].type} in the lake but {field.type} in the contract"
                )
        new = [f for f in wanted if f.name not in have]
        if new:
            from deltalake.schema import Field, Schema

            delta_fields = Schema.from_arrow(pa.schema(new)).fields
            DeltaTable(self.location(table)).alter.add_columns(
                [Field(f.name, f.type, nullable=True) for f in delta_fields]
            )

    def read(self, table: Table, version: int | None) -> DataFrame:
        dt = DeltaTable(self.location(table), version=version)
        files = dt.file_uris()
        if not files:
            return self.spark.createDataFrame([], table.spark_schema)
        return self.spark.read.schema(table.spark_schema).option("basePath", self.location(table)).parquet(*files)

    def write(self, table: Table, df: DataFrame, mode: str) -> None:
        with _Staged(self, df, table) as source:
            write_deltalake(
                self.location(table),
                source,
                mode=mode,
                partition_by=list(table.partition_by) or None,
            )

    def merge(self, table: Table, df: DataFrame, keys: tuple[str, ...], update: bool, compared: tuple[str, ...] = ()):
        from sqlfix.lake import MergeResult

        # delta-rs parses predicates with DataFusion: identifiers are double-quoted.
        predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
        changed = " OR ".join(f'(t."{c}" IS DISTINCT FROM s."{c}")' for c in compared) or None
        with _Staged(self, df, table) as source:
            merger = DeltaTable(self.location(table)).merge(source, predicate, source_alias="s", target_alias="t")
            if update:
                merger = merger.when_matched_update_all(predicate=changed)
            metrics = merger.when_not_matched_insert_all().execute()
        return MergeResult(
            int(metrics.get("num_target_rows_inserted", 0)), int(metrics.get("num_target_rows_updated", 0))
        )

    def history(self, table: Table) -> list[dict]:
        rows = DeltaTable(self.location(table)).history()
        return [
            {"version": r.get("version"), "timestamp": r.get("timestamp"), "operation": r.get("operation")}
            for r in sorted(rows, key=lambda r: -r.get("version", 0))
        ]


class _Staged:
    """Context manager: the frame as a stream of Arrow batches in the contract's schema."""

    def __init__(self, backend: DeltaRs, df: DataFrame, table: Table):
        self.dir = backend.root / "_staging" / f"{table.name}-{uuid.uuid4().hex}"
        self.df = df
        self.schema = table.arrow_schema

    def __enter__(self) -> pa.RecordBatchReader:
        try:
            self.df.write.mode("error").parquet(str(self.dir))
        except BaseException:
            self.__exit__()
            raise
        files = sorted(str(p) for p in self.dir.glob("*.parquet"))
        dataset = pads.dataset(files, format="parquet") if files else None
        schema = self.schema

        def batches():
            if dataset is None:
                return
            for batch in dataset.to_batches(batch_size=65536):
                yield _cast(batch, schema)

        return pa.RecordBatchReader.from_batches(schema, batches())

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        try:
            self.dir.parent.rmdir()  # only when no other write is staging
        except OSError:
            pass


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    columns = []
    for field in schema:
        idx = batch.schema.get_field_index(field.name)
        col = batch.column(idx) if idx >= 0 else pa.nulls(batch.num_rows, field.type)
        columns.append(col if col.type.equals(field.type) else col.cast(field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)
