"""Real-world input: a team's own workload (schema, data, queries), sped up and verified like generated data.

A workload is CREATE TABLE statements, one delimited file per table for each instance (two or more
instances of different data, e.g. TPC-DS's ``dsdgen`` output under two RNG seeds) and a file or folder of
queries. Its tables are loaded through the lake like the generated databases (``optdb_<instance>_<table>``),
its queries are the slow side, and the candidates (sqlglot's optimizer; a policy's samples) pass the same
tiered verification. Nothing here runs a query outside the hardened instance sessions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlfix.optimize.databases import GenTable, Instance, contract

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
    """The tables of a script of CREATE TABLE statements (keys and constraints ignored)."""
    import sqlglot
    from sqlglot import exp

    tables = []
    for statement in sqlglot.parse(text, read="postgres"):
        if not isinstance(statement, exp.Create) or statement.kind != "TABLE":
            continue
        schema = statement.this
        columns = tuple((c.name.lower(), spark_type(c.args["kind"].sql()), "")
                        for c in schema.expressions if isinstance(c, exp.ColumnDef))  # fmt: skip
        if columns:
            tables.append(GenTable(schema.this.name.lower(), 0, columns))
    if not tables:
        raise ValueError("no CREATE TABLE statement with columns in the DDL")
    return tables


@dataclass
class Workload:
    name: str  # the domain name the tables are recorded under
    tables: list[GenTable]
    queries: list[tuple[str, str]]  # (query name, SQL)
    instances: list[Instance] = field(default_factory=list)

    def contracts(self, instance: str) -> dict:
        return {t.name: contract(t, instance, self.name) for t in self.tables}

    def schema(self) -> dict[str, dict[str, str]]:
        return {t.name: {n: typ for n, typ, _ in t.columns} for t in self.tables}


def load_instance(lake, workload: Workload, instance: str, data_dir: str | Path, sep: str = "|") -> dict[str, int]:
    """Write each table of ``workload`` from ``<data_dir>/<table>.dat`` (or ``.csv``) as one instance through
    the lake (overwritten: idempotent). A file's fields are read as text and cast by the table's contract;
    an empty field is NULL; a trailing separator (``dsdgen`` writes one) is ignored. A missing file is an
    error naming it: a workload is loaded whole or not at all."""
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
        fields = [StructField(n, StringType()) for n, _, _ in table.columns] + [StructField("_trailing", StringType())]
        frame = lake.spark.read.csv(str(files[table.name]), sep=sep, schema=StructType(fields), encoding="iso-8859-1")
        lake.write_dataset(workload.contracts(instance)[table.name], frame)
        out[table.name] = lake.read_dataset(workload.contracts(instance)[table.name]).count()
    return out


_QGEN_START = re.compile(r"--\s*start query \d+ in stream \d+ using template query(\w+)\.tpl")


def read_queries(path: str | Path) -> list[tuple[str, str]]:
    """(name, SQL) of every statement in a ``.sql`` file or a folder of them. A statement named by a
    query generator's ``-- start query ... using template queryN.tpl`` comment is ``qN`` (``qNa``, ``qNb``
    when a template holds several); otherwise the file's stem (with ``_2``, ``_3``... after the first)."""
    from sqlfix.sql.statements import split_statements

    files = sorted(Path(path).glob("*.sql"), key=_natural) if Path(path).is_dir() else [Path(path)]
    out: list[tuple[str, str]] = []
    for file in files:
        template, count = file.stem, 0
        for statement in split_statements(file.read_text()):
            start = _QGEN_START.search(statement)
            if start:
                template, count = f"q{start.group(1)}", 0
            sql = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--")).strip()
            if not sql:
                continue
            count += 1
            out.append((template, sql) if count == 1 else (f"{template}_{count}", sql))
    names = [n for n, _ in out]
    return [(_lettered(n, names), sql) for n, sql in out]


def _lettered(name: str, names: list[str]) -> str:
    """q14, q14_2 -> q14a, q14b (the TPC-DS convention), when a template holds several statements."""
    base, _, k = name.partition("_")
    if f"{base}_2" not in names:
        return name
    return base + "abcdefghij"[int(k or 1) - 1]


def _natural(p: Path):
    return [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p.stem)]
