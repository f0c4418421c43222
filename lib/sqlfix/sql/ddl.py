"""The one DDL reader: ``CREATE TABLE`` statements into table definitions (name, columns in order, types).

Every stage that reads DDL reads it here: ingest (``table_schemas`` rows), the sandbox (which still creates
its tables through Spark, from the column list read here, so Spark's parser judges every type), the query
source (``sql.source.parse_schema``) and the optimisation workload. sqlglot's Spark dialect parses; a
statement it cannot read, that is not a CREATE TABLE, or that has no column list (``CREATE TABLE ... AS
SELECT``) is a ``DdlProblem`` with its reason, never silently skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlfix.sql.statements import split_statements

UNREADABLE, NOT_CREATE_TABLE, NO_COLUMN_LIST = "unreadable_ddl", "not_create_table", "no_column_list"


@dataclass(frozen=True)
class TableDef:
    """One CREATE TABLE: ``name`` lower case (``db.table``, or more parts when the DDL says so: callers check
    names with ``sql.names``), ``columns`` (column -> lower-case Spark type, in order), the statement, and
    ``spec``: (column, Spark type) as written (case kept: struct field names are part of the type)."""

    name: str
    columns: dict[str, str]
    statement: str
    spec: tuple[tuple[str, str], ...] = ()

    @property
    def columns_ddl(self) -> str:
        """The column list as Spark DDL, names quoted, case as written.

        Example:
            >>> read_ddl("CREATE TABLE s.T (`a B` BIGINT, c STRUCT<Xy: INT>) USING delta")[0][0].columns_ddl
            '`a B` BIGINT, `c` STRUCT<Xy: INT>'
        """
        return ", ".join(f"`{c.replace('`', '``')}` {t}" for c, t in self.spec)


@dataclass(frozen=True)
class DdlProblem:
    """A statement that defines no usable table: ``reason`` is one of ``UNREADABLE``, ``NOT_CREATE_TABLE``,
    ``NO_COLUMN_LIST``; ``detail`` is the parser's first line where it has one."""

    statement: str
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        text = {UNREADABLE: "unreadable DDL", NOT_CREATE_TABLE: "not a CREATE TABLE",
                NO_COLUMN_LIST: "CREATE TABLE without a column list"}[self.reason]  # fmt: skip
        return f"{text}: {self.detail or repr(self.statement[:80])}"


def read_ddl(text: str | None, type_of=None) -> tuple[list[TableDef], list[DdlProblem]]:
    """The tables a script of statements defines and the statements that define none.

    ``type_of(sqlglot type node)`` replaces the default type text (the lower-case Spark rendering).

    Example:
        >>> tables, problems = read_ddl("CREATE TABLE IF NOT EXISTS shop.`Orders` (id BIGINT); DROP TABLE x")
        >>> [(t.name, t.columns) for t in tables], [p.reason for p in problems]
        ([('shop.orders', {'id': 'bigint'})], ['not_create_table'])
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    tables, problems = [], []
    for statement in split_statements(text or ""):
        try:
            tree = sqlglot.parse_one(statement, read="spark")
        except SqlglotError as exc:
            problems.append(DdlProblem(statement, UNREADABLE, str(exc).splitlines()[0][:200]))
            continue
        if not isinstance(tree, exp.Create) or str(tree.args.get("kind") or "").upper() != "TABLE":
            problems.append(DdlProblem(statement, NOT_CREATE_TABLE))
            continue
        if not isinstance(tree.this, exp.Schema):
            problems.append(DdlProblem(statement, NO_COLUMN_LIST))
            continue
        name = ".".join(part.name for part in tree.this.this.parts).lower()
        defs = [c for c in tree.this.expressions if isinstance(c, exp.ColumnDef) and c.args.get("kind") is not None]
        spec = tuple((c.name, c.args["kind"].sql(dialect="spark")) for c in defs)
        columns = {
            c.name.lower(): type_of(c.args["kind"]) if type_of else typ.lower() for c, (_, typ) in zip(defs, spec, strict=True)
        }
        tables.append(TableDef(name, columns, statement, spec))
    return tables, problems
