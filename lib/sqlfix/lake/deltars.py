"""delta-rs backend: Spark computes and writes Parquet, delta-rs commits, Spark reads current files.

Append and overwrite: Spark writes the frame's Parquet files (partitioned as the table is) into a staging
folder inside the table, they are moved into place, and one delta-rs transaction adds them: the data is
written once, as native Delta does. A merge whose target is empty, or in which no existing row changes, is
such an append of the new rows (found by a Spark anti-join); any other merge stages the rows to write and
streams them into one delta-rs merge. An exception before the commit leaves the table at its last version
(files moved into place but never committed are deleted).

Concurrent writers (two scheduled runs at once, in two processes) are safe through Delta's optimistic
concurrency: a merge reads the target at one version and commits *only* on top of that version
(``max_commit_retries=0``); if another writer committed first, the commit fails with ``CommitFailedError``
(``is_conflict``), nothing of it stays, and ``Lake.merge`` runs it again against the new version, so the
keys it finds there are not inserted twice. Plain appends commit on top of whatever is there (two appends
never conflict); an overwrite is last-writer-wins.

A run killed before its commit (``kill -9``) leaves its files behind. Every file and staging folder a
write makes carries its writer's token (process id and host); ``sweep``, at the start of the next write,
finds the staging folders of writers that are dead (same host, process gone) or older than
``stale_after_s``, and then deletes them and the table's Parquet files that no commit references and
that such a writer made. A write still under way in another process is never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import CommitFailedError
from deltalake.transaction import AddAction
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sqlfix.lake.base import LakeError, MergeResult
from sqlfix.sql.names import table_name
from sqlfix.tables import Table

# A commit that must land on the version its merge read: no retries inside delta-rs (Lake.merge retries
# the whole merge against the new version).
_ON_READ_VERSION = CommitProperties(max_commit_retries=0)


class DeltaRs:
    name = "deltars"

    def __init__(self, spark: SparkSession, root: str, stale_after_s: float = 3600.0):
        self.spark = spark
        self.root = Path(root).expanduser().resolve()
        self.stale_after_s = stale_after_s

    @staticmethod
    def is_conflict(exc: BaseException) -> bool:
        """Whether ``exc`` is another writer's commit landing first (the merge is to be run again)."""
        return isinstance(exc, CommitFailedError)

    def location(self, table: Table) -> str:
        """``<root>/<name>``: the name must be one plain identifier (``sql.names``), and the folder must lie
        directly in the root (not through a link out of it); else ``LakeError`` naming the table."""
        path = self.root / table_name(table.name, what="lake table name")
        if path.is_symlink() or path.resolve().parent != self.root:
            raise LakeError("a lake table's folder must lie inside the lake root", input=str(path))
        return str(path)

    def exists(self, table: Table) -> bool:
        return DeltaTable.is_deltatable(self.location(table))

    def create(self, table: Table) -> None:
        if self.exists(table):
            self._evolve(table)
            return
        Path(self.location(table)).mkdir(parents=True, exist_ok=True)
        try:
            DeltaTable.create(
                self.location(table),
                schema=table.arrow_schema,
                mode="ignore",
                partition_by=list(table.partition_by) or None,
                name=table.name,
                description=table.purpose,
            )
        except CommitFailedError:
            if not self.exists(table):  # another process created it first: that is what was wanted
                raise

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
        return self._files(table, files)

    def write(self, table: Table, df: DataFrame, mode: str, base: DeltaTable | None = None) -> int:
        """Append or overwrite with the files Spark writes; returns the rows written. With ``base`` (a
        snapshot the caller read), the commit lands on that version or fails with ``CommitFailedError``."""
        location = Path(self.location(table))
        self.sweep(table)
        staging = location / "_sqlfix_staging" / f"{_token()}-{uuid.uuid4().hex}"
        moved: list[Path] = []
        try:
            df.write.mode("error").partitionBy(*table.partition_by).parquet(str(staging))
            actions, rows = [], 0
            for file in sorted(staging.rglob("*.parquet")):
                n = pq.read_metadata(file).num_rows
                if n == 0:  # Spark writes a schema-only file for an empty frame: nothing to add
                    continue
                relative = file.relative_to(staging)
                target = location / relative.parent / f"part-{_token()}-{uuid.uuid4().hex}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(file, target)
                moved.append(target)
                rows += n
                actions.append(AddAction(
                    str(target.relative_to(location)), target.stat().st_size,  # delta-rs escapes it
                    _partition_values(relative.parent), int(time.time() * 1000), True, json.dumps({"numRecords": n}),
                ))  # fmt: skip
            if actions or mode == "overwrite":
                (base or DeltaTable(str(location))).create_write_transaction(
                    actions,
                    mode,
                    table.arrow_schema,
                    partition_by=list(table.partition_by) or None,
                    commit_properties=_ON_READ_VERSION if base is not None else None,
                )
            moved.clear()  # committed: the files belong to the table now
            return rows
        finally:
            for file in moved:
                file.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            try:
                staging.parent.rmdir()  # only when no other write is staging
            except OSError:
                pass

    def merge(self, table: Table, df: DataFrame, keys: tuple[str, ...], update: bool, compared: tuple[str, ...] = ()):
        """One attempt: read the target at its current version, commit on that version only."""
        base = DeltaTable(self.location(table))
        files = base.file_uris()
        if files:
            target = self._files(table, files).select(*keys, _fingerprint(compared).alias("_t"))
            df = df.select("*", _fingerprint(compared).alias("_s")).localCheckpoint()
            new = df.join(target, list(keys), "left_anti").drop("_s")
            changed = df.join(target, list(keys)).filter(F.col("_s") != F.col("_t")) if update else None
            if changed is not None and changed.limit(1).count():
                return self._merge(table, new.unionByName(changed.drop("_s", "_t")), keys, update, compared, base)
            df = new
        return MergeResult(self.write(table, df, "append", base=base), 0)

    def _files(self, table: Table, files: list[str]) -> DataFrame:
        return self.spark.read.schema(table.spark_schema).option("basePath", self.location(table)).parquet(*files)

    def _merge(self, table: Table, df: DataFrame, keys, update: bool, compared: tuple[str, ...], base: DeltaTable):
        # delta-rs parses predicates with DataFusion: identifiers are double-quoted.
        predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
        changed = " OR ".join(f'(t."{c}" IS DISTINCT FROM s."{c}")' for c in compared) or None
        self.sweep(table)
        with _Staged(self, df, table) as source:
            merger = base.merge(
                source, predicate, source_alias="s", target_alias="t", commit_properties=_ON_READ_VERSION
            )
            if update:
                merger = merger.when_matched_update_all(predicate=changed)
            metrics = merger.when_not_matched_insert_all().execute()
        return MergeResult(
            int(metrics.get("num_target_rows_inserted", 0)), int(metrics.get("num_target_rows_updated", 0))
        )

    def sweep(self, table: Table) -> list[Path]:
        """Delete what killed writers left in ``table``: their staging folders, and the Parquet files of
        the table's folder that no commit references and that a dead writer made (or, with no writer
        token, that are older than ``stale_after_s``). Returns what it deleted; cheap when nothing is left."""
        location = Path(self.location(table))
        staging = [*_children(location / "_sqlfix_staging"), *(self.root / "_staging").glob(f"{table.name}-*")]
        dead = [p for p in staging if self._dead(p)]
        if not dead or not self.exists(table):
            return []
        referenced = _referenced(location)
        removed = []
        for path in dead:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        for path in location.rglob("*.parquet"):
            if "_sqlfix_staging" in path.parts or str(path.relative_to(location)) in referenced:
                continue
            if self._dead(path):
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    def _dead(self, path: Path) -> bool:
        """Whether the writer that made ``path`` is gone: its token names this host and a process that no
        longer runs, or (another host's, or no token) the path is older than ``stale_after_s``."""
        match = _TOKEN_IN_NAME.search(path.name)
        if match and match.group(2) == _HOST:
            return not _alive(int(match.group(1)))
        try:
            return path.stat().st_mtime < time.time() - self.stale_after_s
        except FileNotFoundError:
            return False

    def history(self, table: Table) -> list[dict]:
        rows = DeltaTable(self.location(table)).history()
        return [
            {"version": r.get("version"), "timestamp": r.get("timestamp"), "operation": r.get("operation")}
            for r in sorted(rows, key=lambda r: -r.get("version", 0))
        ]


class _Staged:
    """Context manager: the frame as a stream of Arrow batches in the contract's schema."""

    def __init__(self, backend: DeltaRs, df: DataFrame, table: Table):
        self.dir = backend.root / "_staging" / f"{table.name}-{_token()}-{uuid.uuid4().hex}"
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


_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _token() -> str:
    """The writer, in every name a write makes: process id and host."""
    return f"{os.getpid()}.{_HOST}"


_TOKEN_IN_NAME = re.compile(r"(?:^|-)(\d+)\.([0-9a-f]{8})-")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _children(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.is_dir() else []


def _referenced(location: Path) -> set[str]:
    """Every data file path any commit in the log adds or removes (relative, unescaped): a file that a
    version still reads, or one only time travel and VACUUM know about, is never swept."""
    paths: set[str] = set()
    for entry in sorted((location / "_delta_log").glob("*.json")):
        for line in entry.read_text().splitlines():
            action = json.loads(line) if line.strip() else {}
            for kind in ("add", "remove"):
                if kind in action:
                    paths.add(unquote(action[kind]["path"]))
    for checkpoint in (location / "_delta_log").glob("*.checkpoint*.parquet"):
        for kind in ("add", "remove"):
            column = pq.read_table(checkpoint, columns=[kind]).column(kind)
            paths.update(unquote(v["path"]) for v in column.to_pylist() if v)
    return paths


def _fingerprint(columns: tuple[str, ...]):
    """One hash of the compared columns (nulls included), to find rows a merge would update."""
    if not columns:
        return F.lit(0).cast("long")
    return F.xxhash64(*[F.struct(F.col(f"`{c}`").isNull(), F.col(f"`{c}`")) for c in columns])


def _partition_values(folder: Path) -> dict[str, str | None]:
    """``a=1/b=x`` (Spark's partition folders, escaped as Spark escapes them) -> {"a": "1", "b": "x"}."""
    values: dict[str, str | None] = {}
    for part in folder.parts:
        key, _, value = part.partition("=")
        value = unquote(value)
        values[unquote(key)] = None if value == "__HIVE_DEFAULT_PARTITION__" else value
    return values


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    columns = []
    for field in schema:
        idx = batch.schema.get_field_index(field.name)
        col = batch.column(idx) if idx >= 0 else pa.nulls(batch.num_rows, field.type)
        columns.append(col if col.type.equals(field.type) else col.cast(field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)
