"""Real-world input: a team's own workload (schema, data, queries), sped up and verified like generated data.

A workload is CREATE TABLE statements, one delimited file per table for each instance (two or more
instances of different data, e.g. TPC-DS's ``dsdgen`` output under two RNG seeds) and a file or folder of
queries. Its tables are loaded through the lake like the generated databases (``optdb_<instance>_<table>``),
its queries are the slow side, and the candidates (sqlglot's optimizer; a policy's samples) pass the same
tiered verification. Nothing here runs a query outside the hardened instance sessions.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlfix.optimize.databases import GenTable, contract
from sqlfix.sql.names import table_name

_TYPES = {"integer": "int", "int": "int", "bigint": "bigint", "smallint": "int", "date": "date",
          "timestamp": "timestamp", "double": "double", "float": "double", "real": "double"}  # fmt: skip


def spark_type(sql_type: str) -> str:
    """The Spark type a DDL column type is read as (fixed-width text and TIME become STRING).

    Example:
        >>> [spark_type(t) for t in ("integer", "char(16)", "decimal(7,2)", "time", "DATE")]
        ['int', 'string', 'decimal(7,2)', 'string', 'date']
    """
    t = sql_type.strip().lower()
    if t.startswith(("decimal", "numeric")):
        return re.sub(r"\s+", "", t).replace("numeric", "decimal")
    return _TYPES.get(t.split("(")[0], "string")


def parse_ddl(text: str) -> list[GenTable]:
    """The tables of a script of CREATE TABLE statements (``sql.ddl.read_ddl``; keys and constraints
    ignored, other statements such as ``DROP TABLE`` skipped), each column's type as ``spark_type`` reads it.
    A CREATE TABLE that cannot be read is a ``ValueError`` naming it: a workload without one of its tables
    would fail later, far from the cause. A table or column name that is not one plain identifier
    (``sql.names``) is a ``BadNameError`` naming it: it would become a lake table."""
    from sqlfix.sql.ddl import NOT_CREATE_TABLE, read_ddl

    defs, problems = read_ddl(text, type_of=lambda kind: spark_type(kind.sql()))
    unreadable = [p for p in problems if p.reason != NOT_CREATE_TABLE and "create" in p.statement.lower()]
    if unreadable:
        raise ValueError(f"the workload DDL has a CREATE TABLE that cannot be read: {unreadable[0]}")
    defs = list({t.name: t for t in defs}.values())  # a table defined twice: the last definition
    for t in defs:  # names become lake tables and views: plain identifiers only
        table_name(t.name, what="table name in the DDL")
        for column in t.columns:
            table_name(column, what=f"column name of {t.name} in the DDL")
    tables = [GenTable(t.name, 0, tuple((c, typ, "") for c, typ in t.columns.items())) for t in defs if t.columns]
    if not tables:
        raise ValueError("no CREATE TABLE statement with columns could be read from the DDL")
    return tables


@dataclass
class Workload:
    name: str  # the domain name the tables are recorded under
    tables: list[GenTable]
    queries: list[tuple[str, str]]  # (query name, SQL)

    def contracts(self, instance: str) -> dict:
        return {t.name: contract(t, instance, self.name) for t in self.tables}

    def schema(self) -> dict[str, dict[str, str]]:
        return {t.name: {n: typ for n, typ, _ in t.columns} for t in self.tables}


def load_instance(lake, workload: Workload, instance: str, data_dir: str | Path, sep: str = "|") -> dict[str, int]:
    """Write each table of ``workload`` from ``<data_dir>/<table>.dat`` (or ``.csv``) as one instance through
    the lake (overwritten: idempotent). A file's fields are read as text and cast by the table's contract;
    an empty field is NULL; a trailing separator (``dsdgen`` writes one) is allowed when the first line has
    one more, empty, field than the table. A missing file, a line with another number of fields or a value
    that does not cast is an error naming the file, and the table keeps its last good version."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    root = Path(data_dir)
    files = {}
    for table in workload.tables:
        found = [p for p in (root / f"{table.name}.dat", root / f"{table.name}.csv") if p.exists()]
        if not found:
            raise FileNotFoundError(f"no data file for table {table.name} in {root} (.dat or .csv)")
        files[table.name] = found[0]
    out = {}
    for table in workload.tables:
        path, n = files[table.name], len(table.columns)
        with path.open(encoding="iso-8859-1", newline="") as f:
            first = next(csv.reader(f, delimiter=sep), [])
        trailing = len(first) == n + 1 and first[-1] == ""  # dsdgen ends every line with the separator
        fields = [StructField(c, StringType()) for c, _, _ in table.columns]
        fields += [StructField("_trailing", StringType())] if trailing else []
        # FAILFAST: a line with fewer fields than the schema fails the read
        frame = lake.spark.read.csv(
            str(path), sep=sep, schema=StructType(fields), encoding="iso-8859-1", mode="FAILFAST"
        )
        if trailing:  # one field too many lands here: fail the write rather than drop it
            frame = frame.filter(
                F.when(
                    F.col("_trailing").isNotNull(), F.raise_error(F.lit(f"a line of {path.name} has an extra field"))
                ).isNull()
            )
        contract_ = workload.contracts(instance)[table.name]
        try:
            lake.write_dataset(contract_, frame)
        except Exception as exc:  # noqa: BLE001 - Spark's reason, under the file's name
            reason = str(exc).strip().splitlines()[0][:200]
            raise ValueError(f"cannot load {path} as {table.name}: every line needs {n} '{sep}'-separated fields "
                             f"of the DDL's types ({reason})") from exc  # fmt: skip
        out[table.name] = lake.read_dataset(contract_).count()
    return out


_QGEN_START = re.compile(r"--\s*start query \d+ in stream \d+ using template query(\w+)\.tpl")


def read_queries(path: str | Path) -> list[tuple[str, str]]:
    """(name, SQL) of every statement in a ``.sql`` file or a folder of them. A statement is named by a
    query generator's ``-- start query ... using template queryN.tpl`` comment (``qN``), else by its file's
    stem; a name that several statements share gets ``a``, ``b``... (``q14a``, ``q14b``: TPC-DS's convention).
    """
    from sqlfix.sql.statements import split_statements

    files = sorted(Path(path).glob("*.sql"), key=_natural) if Path(path).is_dir() else [Path(path)]
    named: list[tuple[str, str]] = []
    for file in files:
        name = file.stem
        for statement in split_statements(file.read_text()):
            start = _QGEN_START.search(statement)
            name = f"q{start.group(1)}" if start else name
            sql = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--")).strip()
            if sql:
                named.append((name, sql))
    shared = Counter(n for n, _ in named)
    seen: Counter = Counter()
    out = []
    for name, sql in named:
        seen[name] += 1
        out.append((name if shared[name] == 1 else f"{name}{chr(ord('a') + seen[name] - 1)}", sql))
    return out


def _natural(p: Path):
    return [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p.stem)]
