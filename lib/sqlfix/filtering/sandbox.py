"""The sandbox: a schema-only catalog built from pairs' DDL, and the sessions scripts are checked in.

Tables are created from the column list the one DDL reader (``sql.ddl.read_ddl``) reads out of each
``CREATE TABLE`` (re-rendered as ``USING parquet``, never the DDL text itself; Spark's parser judges each
type as it creates the table), empty, in the session catalog. That catalog must
be in-memory (process-private: the local profile's default); on a shared metastore the sandbox refuses
to start rather than create databases in it. Each multi-statement script runs in its own
``SparkSession.newSession()``: its temporary views, ``SET``s and ``USE`` stay in that session.

Every session the sandbox hands out is hardened (``harden``): the functions of ``policy.DENIED_FUNCTIONS``
(reflection, file and class-loading functions) are removed from its function registry and direct file
queries (``parquet.`/path` ``) are switched off, so that SQL the screens did not catch fails to resolve
rather than run.

For runtime-only errors the sandbox can fill a table with a few type-aware edge rows (see ``edge_rows``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import re
import threading

from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from sqlfix.errors import SqlfixError
from sqlfix.filtering.dryrun import call
from sqlfix.filtering.policy import DENIED_FUNCTIONS
from sqlfix.sql.ddl import read_ddl
from sqlfix.sql.names import name_problem, table_name
from sqlfix.sql.references import compared_literals, referenced_tables


class SandboxError(SqlfixError, RuntimeError):
    """The sandbox cannot be set up safely (for example on a shared metastore)."""


class Sandbox:
    """Empty tables from DDL, in a process-private catalog, plus sessions to check scripts in.

    Example (not run: needs Spark):
        box = Sandbox(spark)
        problems = box.load(pair["schema_ddl"])
        session = box.session(fresh=True)
    """

    def __init__(self, spark: SparkSession):
        implementation = spark.conf.get("spark.sql.catalogImplementation", "in-memory")
        if implementation != "in-memory":
            raise SandboxError(
                "the execution filter builds its schema-only catalog in the session catalog, which here is "
                f"'{implementation}' (a shared metastore). Run it where spark.sql.catalogImplementation=in-memory "
                "(the local profile, or a job cluster configured so)."
            )
        self.spark = spark
        self.shared = hardened(spark)  # single statements: analysed here, concurrently
        self.state = self.shared._jsparkSession.sessionState()  # noqa: SLF001
        self.parser = self.state.sqlParser()  # Spark's SQL parser (stateless; reads the active conf)
        self.command = spark._jvm.java.lang.Class.forName("org.apache.spark.sql.catalyst.plans.logical.Command")  # type: ignore[union-attr]
        self.tables: dict[str, str] = {}  # name -> schema DDL: the tables this sandbox loaded
        self._catalog = _catalog_of(spark)

    def session(self, fresh: bool = False) -> SparkSession:
        """The shared analysis session, or a fresh one whose state dies with the script (both hardened)."""
        return hardened(self.spark) if fresh else self.shared

    def relations(self) -> frozenset[str]:
        """Names a plan's relations may have: the sandbox's tables as ``db.table`` (``default.t`` for ``t``)."""
        return frozenset(name if "." in name else f"default.{name}" for name in self.tables)

    def load(self, ddl: str | None) -> list[str]:
        """Create (or re-create, where the schema changed) the tables ``ddl`` defines, as ``sql.ddl.read_ddl``
        reads them. Returns problems: statements that define no table, names that are not plain, and column
        lists Spark refuses (Spark's parser judges every type when it creates the table); the tables that
        could be read are created."""
        tables, unread = read_ddl(ddl)
        problems = [str(p) for p in unread]
        for table in tables:
            problem = name_problem(table.name, parts=2)
            if problem:
                problems.append(problem)
                continue
            try:
                self.create(table.name, table.columns_ddl)
            except CapturedException as exc:
                problems.append(f"unreadable DDL: {str(exc).splitlines()[0][:200]}")
        return problems

    def reset(self) -> None:
        """Drop every table the sandbox made, so that the next ``load`` sees only its own schema (a
        caller's tables are never visible to the next caller)."""
        with self._catalog.lock:
            for name in list(self.tables):
                self.spark.sql(f"DROP TABLE IF EXISTS {_quoted(name)}")
                self._catalog.tables.pop(name, None)
                self._catalog.filled.pop(name, None)
                del self.tables[name]

    def create(self, name: str, schema_ddl: str) -> None:
        """An empty parquet table ``name`` (``db.table`` or ``table``) with columns ``schema_ddl``; a name that
        is not plain (``sql.names.table_name``: the only text of a caller's that reaches the sandbox's own SQL)
        is refused with ``BadNameError``. Whether the table is already there with those columns is asked of
        the catalog's record, which every sandbox of the process shares (they share the session catalog)."""
        name = table_name(name, parts=2)
        with self._catalog.lock:
            if self._catalog.tables.get(name) != schema_ddl:
                self._catalog.tables.pop(name, None)  # recorded again only once the new table is there
                self.tables.pop(name, None)
                quoted = _quoted(name)
                if "." in name:
                    self.spark.sql(f"CREATE DATABASE IF NOT EXISTS `{name.split('.')[0]}`")
                self.spark.sql(f"DROP TABLE IF EXISTS {quoted}")
                self.spark.sql(f"CREATE TABLE {quoted} ({schema_ddl}) USING parquet")
                self._catalog.tables[name] = schema_ddl
                self._catalog.filled.pop(name, None)
            self.tables[name] = schema_ddl

    def fill(self, name: str, rows: int = 6, literals: dict[str, list[str]] | None = None) -> None:
        """Put ``edge_rows`` into the sandbox table ``name`` (once) for a runtime check, and ``rows`` more whose
        columns named in ``literals`` (lower case, as ``compared_literals`` gives a query's filters) take those
        values, read as the column's type, so that edge values reach a query that keeps only its date's rows.
        Rows for values already added are not added again; rows are only ever added (a check running on the
        table meanwhile reads whole files).

        A table that cannot take the edge rows raises ``SandboxError`` with the reason, at once on every later
        call (it is not retried); values it cannot take are left out and the check runs on the edge rows."""
        name = name.lower()
        with self._catalog.lock:
            if name not in self.tables:
                return
            if name in self._catalog.unfillable:
                raise SandboxError(self._catalog.unfillable[name])
            schema = self.spark.table(name).schema
            values = _typed_values(schema, literals or {})
            done = self._catalog.filled.get(name)
            key = repr(sorted(values.items())) if values else None
            if done is not None and (key is None or key in done):
                return
            if done is None:
                try:
                    self.spark.createDataFrame(edge_rows(schema, rows), schema).write.insertInto(name, overwrite=True)
                except Exception as exc:  # noqa: BLE001 - any failure to write the rows is this table's reason
                    first = (str(exc).strip().splitlines() or [""])[0][:300]
                    reason = f"edge rows could not be written to {name}: {first}"
                    self._catalog.unfillable[name] = reason
                    raise SandboxError(reason) from None
                done = self._catalog.filled[name] = set()
            if key is not None:
                try:
                    self.spark.createDataFrame(with_values(schema, edge_rows(schema, rows), values), schema) \
                        .write.insertInto(name)  # fmt: skip
                except Exception:  # noqa: BLE001 - literals the table cannot hold: the edge rows still stand
                    pass
                done.add(key)
            self.shared.catalog.refreshTable(name)  # the shared session cached the table's file listing

    def fill_referenced(self, sql: str) -> None:
        """``fill`` every sandbox table ``sql`` references (``referenced_tables``), by full name or by its
        name without the database, with rows that pass the query's own filters (``compared_literals``: each
        column of the table compared with a literal takes those literals, read as the column's type)."""
        names = set(referenced_tables(sql))
        literals = compared_literals(sql)
        for name in list(self.tables):
            if name in names or name.split(".")[-1] in names:
                self.fill(name, literals=literals)

    def fingerprint(self) -> str:
        return hashlib.sha256(repr(sorted(self.tables.items())).encode()).hexdigest()[:16]


class _CatalogRecord:
    """What the sandboxes of one Spark application made in its (shared, in-memory) session catalog."""

    def __init__(self):
        self.tables: dict[str, str] = {}
        self.filled: dict[str, set[str]] = {}  # table -> the value sets added beside its edge rows
        self.unfillable: dict[str, str] = {}  # table -> why edge rows could not be written
        self.lock = threading.RLock()


_CATALOGS: dict[str, _CatalogRecord] = {}
_CATALOGS_LOCK = threading.Lock()


def _catalog_of(spark: SparkSession) -> _CatalogRecord:
    with _CATALOGS_LOCK:
        return _CATALOGS.setdefault(spark.sparkContext.applicationId, _CatalogRecord())


def _quoted(name: str) -> str:
    return ".".join(f"`{p}`" for p in name.split("."))


def hardened(spark: SparkSession) -> SparkSession:
    """The one factory of sessions that evaluate text from a user, a log, a model or a file: a new session
    of ``spark`` (temporary views, settings and registry of its own), hardened (``harden``)."""
    return harden(spark.newSession())


def harden(session: SparkSession) -> SparkSession:
    """Remove ``DENIED_FUNCTIONS`` from ``session``'s own function registry (a new session clones the
    built-in one, so the caller's session keeps them), switch off direct file queries, and switch off
    variable substitution (``${env:SECRET}``, ``${system:user.home}`` would be read out of the process)."""
    jvm = session._jvm  # noqa: SLF001
    registry = call(call(session._jsparkSession.sessionState).functionRegistry)  # noqa: SLF001
    builtin, system = jvm.scala.Some("builtin"), jvm.scala.Some("system")
    identifier = jvm.org.apache.spark.sql.catalyst.FunctionIdentifier
    for name in DENIED_FUNCTIONS:
        try:  # Spark 4.2+ keys built-ins as system.builtin.NAME
            call(registry.dropFunction, identifier.apply(name, builtin, system))
        except Py4JJavaError:  # older Spark: one-part names
            call(registry.dropFunction, identifier.apply(name))
    session.conf.set("spark.sql.runSQLOnFiles", "false")
    session.conf.set("spark.sql.variable.substitute", "false")
    return session


def _seq(scala_seq) -> list:
    return [scala_seq.apply(i) for i in range(scala_seq.size())]


def edge_rows(schema: T.StructType, n: int = 6) -> list[tuple]:
    """``n`` rows of type-aware edge values: zero, one, extremes, empty and malformed strings, nulls.

    Example:
        >>> from pyspark.sql import types as T
        >>> rows = edge_rows(T.StructType([T.StructField("a", T.IntegerType()), T.StructField("s", T.StringType())]), 4)
        >>> rows[0], rows[2]
        ((0, 'abc'), (2147483647, '12'))
    """
    return [tuple(_fit(_edge(f.dataType, i), f) for f in schema.fields) for i in range(n)]


def with_values(schema: T.StructType, rows: list[tuple], values: dict[str, list]) -> list[tuple]:
    """``rows`` with each column named in ``values`` taking those values in turn (row i: value i mod n).

    Example:
        >>> from pyspark.sql import types as T
        >>> schema = T.StructType([T.StructField("a", T.IntegerType()), T.StructField("d", T.StringType())])
        >>> with_values(schema, [(0, "x"), (1, "y"), (2, "z")], {"d": ["2024-01-15"]})
        [(0, '2024-01-15'), (1, '2024-01-15'), (2, '2024-01-15')]
    """
    index = {f.name: i for i, f in enumerate(schema.fields)}
    out = []
    for i, row in enumerate(rows):
        cells = list(row)
        for column, options in values.items():
            cells[index[column]] = _fit(options[i % len(options)], schema.fields[index[column]])
        out.append(tuple(cells))
    return out


def _typed_values(schema: T.StructType, literals: dict[str, list[str]]) -> dict[str, list]:
    """Column -> its distinct ``literals`` read as the column's type (those it cannot hold left out)."""
    out = {}
    for field in schema.fields:
        typed = (_typed(text, field.dataType) for text in literals.get(field.name.lower(), []))
        values = list(dict.fromkeys(v for v in typed if v is not None))
        if values:
            out[field.name] = values
    return out


_BOUNDS = {T.ByteType: 2**7, T.ShortType: 2**15, T.IntegerType: 2**31, T.LongType: 2**63}


def _typed(text: str, kind: T.DataType):
    """A literal's text as a value of ``kind``, or None where it is not one (a value the column cannot
    hold is never written: the table's edge rows would go with it).

    Example:
        >>> from pyspark.sql import types as T
        >>> _typed("2024-01-15", T.DateType()), _typed("7", T.ShortType()), _typed("x", T.IntegerType())
        (datetime.date(2024, 1, 15), 7, None)
        >>> _typed("12.5", T.DecimalType(4, 1)), _typed("1234.5", T.DecimalType(4, 1)), _typed("NaN", T.DecimalType())
        (Decimal('12.5'), None, None)
    """
    try:
        if isinstance(kind, T.StringType):
            return text
        if type(kind) in _BOUNDS:
            value = int(text)
            return value if -_BOUNDS[type(kind)] <= value < _BOUNDS[type(kind)] else None
        if isinstance(kind, (T.FloatType, T.DoubleType)):
            return float(text)
        if isinstance(kind, T.DecimalType):
            value = decimal.Decimal(text)
            if not value.is_finite():
                return None
            sign, digits, exponent = value.as_tuple()
            whole = len(digits) + exponent  # digits before the point
            return value if -exponent <= kind.scale and whole <= kind.precision - kind.scale else None
        if isinstance(kind, T.DateType):
            return dt.date.fromisoformat(text[:10])
        if isinstance(kind, (T.TimestampType, T.TimestampNTZType)):
            stamp = dt.datetime.fromisoformat(text.strip().replace(" ", "T")[:19])
            return stamp.replace(tzinfo=dt.timezone.utc) if isinstance(kind, T.TimestampType) else stamp
        if isinstance(kind, T.BooleanType):
            return {"true": True, "false": False}.get(text.lower())
    except (ValueError, ArithmeticError):
        return None
    return None


def _fit(value, field: T.StructField):
    """A top-level string cut to its column's CHAR(n) / VARCHAR(n) length (Spark reads such a column as a
    STRING that keeps its declared type in the field's metadata, and refuses longer values on insert)."""
    declared = re.fullmatch(r"(?:var)?char\((\d+)\)", (field.metadata or {}).get("__CHAR_VARCHAR_TYPE_STRING", ""))
    return value[: int(declared.group(1))] if declared and isinstance(value, str) else value


def _edge(kind: T.DataType, i: int):
    pick = lambda values: values[i % len(values)]  # noqa: E731
    if isinstance(kind, T.ByteType):
        return pick([0, 1, 127, -128, None])
    if isinstance(kind, T.ShortType):
        return pick([0, 1, 32767, -32768, None])
    if isinstance(kind, T.IntegerType):
        return pick([0, 1, 2147483647, -2147483648, None])
    if isinstance(kind, T.LongType):
        return pick([0, 1, 9223372036854775807, -9223372036854775808, None])
    if isinstance(kind, (T.FloatType, T.DoubleType)):
        return pick([0.0, 1.5, 1e300 if isinstance(kind, T.DoubleType) else 3e38, -1.0, None])
    if isinstance(kind, T.DecimalType):
        top = decimal.Decimal("9" * (kind.precision - kind.scale) + ("." + "9" * kind.scale if kind.scale else ""))
        return pick([decimal.Decimal(0), decimal.Decimal(1), top, top.copy_negate(), None])  # exact: -top rounds
    if isinstance(kind, T.StringType):
        return pick(["abc", "", "12", "2024-02-30", "1e999", None, " 7 "])
    if isinstance(kind, T.BooleanType):
        return pick([True, False, None])
    if isinstance(kind, T.DateType):
        return pick([dt.date(2024, 1, 31), dt.date(1970, 1, 1), dt.date(9999, 12, 31), None])
    if isinstance(kind, (T.TimestampType, T.TimestampNTZType)):
        tz = dt.timezone.utc if isinstance(kind, T.TimestampType) else None
        return pick([dt.datetime(2024, 1, 31, 23, 59, 59, tzinfo=tz), dt.datetime(1970, 1, 1, tzinfo=tz), None])
    if isinstance(kind, T.BinaryType):
        return pick([b"", b"\x00\xff", None])
    if isinstance(kind, T.ArrayType):
        return pick([[], [_edge(kind.elementType, i)], None])
    if isinstance(kind, T.MapType):
        key = _edge(kind.keyType, i)
        return pick([{}, {key: _edge(kind.valueType, i)} if key is not None else {}, None])
    if isinstance(kind, T.StructType):
        return tuple(_edge(f.dataType, i) for f in kind.fields)
    return None
