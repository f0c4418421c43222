"""Seed queries from real SQL: ``sql_corpus`` rows as the good queries the de-optimisers slow down.

A corpus query comes with the DDL it was analysed against (a repository's schema files, or columns inferred
from its queries), never with data. Here each query is placed in a *domain* (its source and its tables'
database, e.g. ``mattermost.salesforce``) and every domain gets generated data of its own, so that real
queries return rows:

- **names**: a query's tables become single-part views (``salesforce.product2`` -> ``product2``; two tables of
  one domain with the same last part keep ``database_table``); only plain identifiers are accepted, since they
  become view names (a table or column that is not one is ``unsupported_name``);
- **keys**: a column named like a key (``id``, ``*_id``, ``*_sk``, ``*_key``) or compared with another column
  in a join is a key; ``id`` / ``<table>_id`` is its table's own key (1..rows, unique), every other key column
  draws from the key domain of the columns it joins (same name, or an equality in the domain's queries) with
  power-law skew, so joins match and a few keys hold most rows;
- **values**: the literals the domain's own queries compare a column with (``status = 'paid'``, ``IN (...)``,
  ``DATE '2024-01-15'``) are among its values, so filters select rows; dates span the literals' range;
  nested types (struct, array, map) are generated field by field; 5 % NULLs outside keys;
- **sizes**: a table whose key other tables reference is a dimension (``dimension_rows``), the rest are facts
  (``fact_rows``), both at each instance's scale; a date column the queries filter with a literal is the
  table's partition column (so a function on it blocks pruning, as in the generated domains).

Data is built with Spark's column functions (``F.lit`` for every corpus value: no corpus text is ever parsed
as an expression) and written through the lake under names made from a digest, never from corpus names. A
query is then kept as a seed only when at least one de-optimiser applies, it passes the read-only screen,
it is deterministic, and it returns rows on every instance but the large one, each run bounded in time and
rows in a hardened session; every other query is recorded with its reason. A query the hand-written
generated domains can run as it is (its tables and columns exist there) is placed in that domain instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlfix.sql.names import backquoted, is_identifier

# Why a corpus query is not a seed (``opt_seeds_rejected.reason``).
REASONS = {
    "reserved_benchmark": "it reads a reserved benchmark's tables (dataset.reserved)",
    "too_long": "longer than optimize.seeds.max_chars: a rewrite would not fit the policy's answer",
    "unparseable": "sqlglot cannot read it or its DDL",
    "unsupported_name": "a table or column name is not a plain identifier (names become views)",
    "unsupported_type": "a column type data cannot be generated for",
    "data_failed": "writing its domain's generated tables failed (the lake's message is the detail)",
    "no_pattern": "no de-optimiser applies to it",
    "refused": "the read-only screen refused it",
    "analysis_failed": "Spark's analyzer rejects it over the generated views",
    "nondeterministic": "its result is not a function of the data (rand, uuid, ...): equality proves nothing",
    "timeout": "a run on a small instance passed optimize.verify_timeout_s",
    "too_many_rows": "its result on a small instance is over optimize.verify_max_rows",
    "runtime_error": "it fails while running over the generated data (an ANSI cast of a generated value, ...)",
    "no_rows": "it returns no rows on a small instance even over data generated for it",
}

_KEY_NAME = re.compile(r"(id|.+_id|.+_sk|.+_key|.+_uuid)\Z")
# Spark type words the lake's contracts do not spell, as the lake spells them; a type word is followed by
# a comma, a bracket, a parenthesis or the end (a struct field name is followed by a colon: left alone).
_TYPE_WORDS = ((r"float|real", "double"), (r"tinyint|smallint|byte|short|integer", "int"), (r"long", "bigint"),
               (r"(?:var)?char\s*\(\s*\d+\s*\)|text", "string"), (r"timestamp_ntz|timestamp_ltz", "timestamp"),
               (r"numeric", "decimal"))  # fmt: skip


def lake_type(text: str) -> str:
    """A DDL column type as the lake's contracts spell it (``tables.parse_type``), or ValueError.

    Example:
        >>> lake_type("FLOAT"), lake_type("STRUCT<Long: SMALLINT, b: ARRAY<VARCHAR(3)>>"), lake_type("DECIMAL")
        ('double', 'STRUCT<Long: int, b: ARRAY<string>>', 'decimal(10,0)')
    """
    from sqlfix.tables import parse_type

    out = text.strip()
    for words, spelled in _TYPE_WORDS:
        out = re.sub(rf"\b(?:{words})(?=\s*(?:[,>)]|\Z))", spelled, out, flags=re.I)
    out = re.sub(r"\bdecimal(?=\s*(?:[,>]|\Z))", "decimal(10,0)", out, flags=re.I)
    parse_type(out)  # raises ValueError for what the lake cannot hold (intervals, variants, ...)
    return out


@dataclass
class ColumnSpec:
    name: str
    type: str  # as the lake spells it
    role: str = "value"  # key (the table's own, unique) | ref (draws from a key domain) | value
    domain: str = ""  # the key domain (a class of joined key columns) of a key or ref column
    values: list = field(default_factory=list)  # literals the domain's queries compare it with (JSON-able)


@dataclass
class TableSpec:
    view: str  # the single-part name the seeds read it by
    source: str  # the name in the corpus (db.table)
    columns: list[ColumnSpec]
    dimension: bool = False
    partition_by: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"view": self.view, "source": self.source, "dimension": self.dimension,
                           "partition_by": list(self.partition_by),
                           "columns": [c.__dict__ for c in self.columns]}, sort_keys=True)  # fmt: skip

    @staticmethod
    def from_json(text: str) -> TableSpec:
        d = json.loads(text)
        return TableSpec(d["view"], d["source"], [ColumnSpec(**c) for c in d["columns"]], d["dimension"],
                         tuple(d["partition_by"]))  # fmt: skip

    def rows(self, cfg: dict, scale: float) -> int:
        base = int(cfg["dimension_rows"] if self.dimension else cfg["fact_rows"])
        return max(1, int(base * scale))

    def ddl(self) -> str:
        """The CREATE TABLE statement prompts show (the view's name, the lake's types)."""
        part = f" PARTITIONED BY ({', '.join(self.partition_by)})" if self.partition_by else ""
        return f"CREATE TABLE {self.view} ({', '.join(f'{c.name} {c.type.upper()}' for c in self.columns)}){part}"


def domain_of(source: str, tables: list[str]) -> str:
    """A corpus query's domain: its source's label and its tables' (most common) database.

    Example:
        >>> domain_of("repo:mattermost", ["salesforce.account", "salesforce.contact", "orgm.x"])
        'mattermost.salesforce'
        >>> domain_of("query_logs", ["orders"]), domain_of("file:q/a.sql", [])
        ('query_logs', 'file')
    """
    label = source.split(":", 1)[1] if source.startswith("repo:") else source.split(":", 1)[0]
    dbs = Counter(t.split(".")[0] for t in tables if "." in t)
    return f"{label}.{sorted(dbs.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]}" if dbs else label


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


# --- reading the corpus: names, literals, joins ---------------------------------------------------------


def _views(names: list[str]) -> dict[str, str]:
    """Corpus table name -> view name: the last part, or ``db_table`` where two share a last part."""
    last = Counter(n.split(".")[-1] for n in names)
    return {n: (n.split(".")[-1] if last[n.split(".")[-1]] == 1 else n.replace(".", "_")) for n in names}


def rename_tables(sql: str, views: dict[str, str]) -> str:
    """``sql`` with each corpus table read by its view name (column qualifiers that spell the database too
    lose it); Spark dialect, pretty-printed.

    Example:
        >>> print(rename_tables("SELECT s.p.id FROM s.p JOIN q ON q.id = s.p.id", {"s.p": "p", "q": "q"}))
        SELECT
          p.id
        FROM p
        JOIN q
          ON q.id = p.id
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="spark")
    ctes = {c.alias.lower() for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = ".".join(p.name for p in table.parts).lower()
        if name in views and not (len(table.parts) == 1 and name in ctes):
            table.set("this", exp.to_identifier(views[name]))
            table.set("db", None)
            table.set("catalog", None)
    for column in tree.find_all(exp.Column):
        if column.args.get("db") is not None:
            name = f"{column.args['db'].name}.{column.table}".lower()
            if name in views:
                column.set("table", exp.to_identifier(views[name]))
                column.set("db", None)
    return tree.sql(dialect="spark", pretty=True)


def _literal(node):
    """The Python value of a literal node (string, number, DATE / TIMESTAMP '...', TRUE/FALSE), else None."""
    from sqlglot import exp

    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.name
        try:
            return int(node.name) if re.fullmatch(r"-?\d+", node.name) else float(node.name)
        except ValueError:
            return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string:
        kind = node.to.this.name.lower() if hasattr(node.to.this, "name") else str(node.to.this).lower()
        if kind in ("date", "timestamp", "datetime"):
            return {"date" if kind == "date" else "timestamp": node.this.name}
    return None


def harvest(sql: str) -> tuple[dict[str, list], list[tuple[str, str]], Counter]:
    """(column -> literals it is compared with, joined column pairs as (table.column, table.column) with the
    tables resolved through their aliases, date columns filtered by a literal) of one query. A column cast to
    a date and compared with a date keeps the date as a value, but is not a partition column.

    Example:
        >>> harvest("SELECT 1 FROM o WHERE DATE(o.created_at) = DATE '2024-01-15' AND o.day >= DATE '2024-01-01'")
        ({'created_at': [{'date': '2024-01-15'}], 'day': [{'date': '2024-01-01'}]}, [], Counter({'day': 1}))
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="spark")
    literals: dict[str, list] = defaultdict(list)
    filtered: Counter = Counter()
    for cmp in tree.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In):
        if isinstance(cmp, exp.In):
            col, values = cmp.this, [_literal(v) for v in cmp.expressions]
        else:
            left = isinstance(cmp.left, exp.Column) or isinstance(cmp.left.this, exp.Column)
            col, other = (cmp.left, cmp.right) if left else (cmp.right, cmp.left)
            values = [_literal(other)]
        wrapped = isinstance(col, exp.Cast | exp.TsOrDsToDate | exp.Date) and isinstance(col.this, exp.Column)
        if wrapped:  # DATE(t.created_at) = DATE '...': the day is among the timestamp's values (no partition)
            col, values = col.this, [v for v in values if isinstance(v, dict) and "date" in v]
        if not isinstance(col, exp.Column):
            continue
        for v in values:
            if v is not None and v not in literals[col.name.lower()]:
                literals[col.name.lower()].append(v)
                if isinstance(v, dict) and "date" in v and not wrapped:
                    filtered[col.name.lower()] += 1
    joins = []
    for select in tree.find_all(exp.Select):
        aliases = {t.alias_or_name.lower(): t.name.lower() for t in select.find_all(exp.Table)}
        for eq in select.find_all(exp.EQ):
            a, b = eq.left, eq.right
            if isinstance(a, exp.Column) and isinstance(b, exp.Column) and a.table and b.table:
                ta, tb = aliases.get(a.table.lower()), aliases.get(b.table.lower())
                if ta and tb and (ta, a.name.lower()) != (tb, b.name.lower()):
                    joins.append((f"{ta}.{a.name.lower()}", f"{tb}.{b.name.lower()}"))
    return dict(literals), joins, filtered


def _own_key(table: str, column: str) -> bool:
    stem = table.rstrip("s")
    return column in ("id", f"{table}_id", f"{stem}_id", f"{table}_sk", f"{stem}_sk", f"{table}_key", f"{stem}_key")


def plan_domain(tables: dict[str, list[tuple[str, str]]], views: dict[str, str], queries: list[str],
                max_literals: int) -> tuple[list[TableSpec], dict[str, str]]:  # fmt: skip
    """(table specs, corpus table -> why it cannot be generated) for one domain: ``tables`` maps each corpus
    table to its (column, DDL type) list, ``queries`` are the domain's queries with views renamed."""
    literals: dict[str, list] = defaultdict(list)
    joins: list[tuple[str, str]] = []
    filtered: Counter = Counter()
    for sql in queries:
        try:
            lits, js, fs = harvest(sql)
        except Exception:  # noqa: BLE001 - an unreadable query harvests nothing; it is rejected on its own
            continue
        for col, vs in lits.items():
            literals[col].extend(v for v in vs if v not in literals[col])
        joins += js
        filtered += fs
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_view = {views[t]: t for t in tables}
    keyish = set()
    for a, b in joins:  # joined columns share a key domain
        if a.split(".")[0] in by_view and b.split(".")[0] in by_view:
            keyish |= {a, b}
            parent[find(a)] = find(b)
    same_name: dict[str, str] = {}
    for table, cols in tables.items():  # key-named columns of one name share a key domain
        for col, _ in cols:
            ref = f"{views[table]}.{col.lower()}"
            if _KEY_NAME.match(col.lower()) or ref in keyish:
                keyish.add(ref)
                first = same_name.setdefault(col.lower(), ref)
                parent[find(ref)] = find(first)
    specs, bad = [], {}
    for table, cols in tables.items():
        view, out = views[table], []
        try:
            for col, typ in cols:
                name = col.lower()
                ref = f"{view}.{name}"
                spec = ColumnSpec(name, lake_type(typ), values=literals.get(name, [])[:max_literals])
                if ref in keyish and spec.type.lower() in ("bigint", "int", "string", "decimal(38,0)"):
                    spec.domain = find(ref)
                    spec.role = "key" if _own_key(view, name) else "ref"
                out.append(spec)
        except ValueError as exc:
            bad[table] = f"{table}: {exc}"
            continue
        dates = [c.name for c in out if c.type.lower() == "date" and c.role == "value" and filtered[c.name]]
        part = (max(dates, key=lambda c: filtered[c]),) if dates and len(out) > 1 else ()  # Delta: not every column
        specs.append(TableSpec(view, table, out, partition_by=part))
    referenced = {c.domain for s in specs for c in s.columns if c.role == "ref"}
    for s in specs:
        s.dimension = any(c.role == "key" and c.domain in referenced for c in s.columns)
    return specs, bad


# --- generating data ------------------------------------------------------------------------------------


def _column_seed(seed: int, *path: str) -> int:
    return int(digest(str(seed), *path)[:8], 16)


# Generated columns are written as Spark SQL text, one ``selectExpr`` per table: built from Column objects,
# every node of every expression is a Py4J round trip (thousands per table). Values from the corpus reach
# the text only as literals (``_sql_literal``); names only backquoted (``backquoted``) or as string literals.


def _type_sql(dtype) -> str:
    """A Spark type as SQL text, struct field names backquoted.

    Example:
        >>> from pyspark.sql import types as T
        >>> _type_sql(T.ArrayType(T.StructType([T.StructField("a b", T.DecimalType(10, 2))])))
        'ARRAY<STRUCT<`a b`: decimal(10,2)>>'
    """
    from pyspark.sql import types as T

    if isinstance(dtype, T.ArrayType):
        return f"ARRAY<{_type_sql(dtype.elementType)}>"
    if isinstance(dtype, T.MapType):
        return f"MAP<{_type_sql(dtype.keyType)}, {_type_sql(dtype.valueType)}>"
    if isinstance(dtype, T.StructType):
        return "STRUCT<" + ", ".join(f"{backquoted(f.name)}: {_type_sql(f.dataType)}" for f in dtype.fields) + ">"
    return dtype.simpleString()


def _sql_literal(value) -> str:
    """A corpus value as the SQL literal of the type ``F.lit`` gives it (INT or BIGINT, DOUBLE, STRING, DATE).

    Example:
        >>> [_sql_literal(v) for v in (3, 2**40, 0.5, "it's", dt.date(2024, 5, 2), float("nan"))]
        ['3', '1099511627776', '0.5D', "'it\\\\'s'", "DATE '2024-05-02'", "CAST('nan' AS DOUBLE)"]
    """
    from sqlfix.spark import sql_string

    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value!r}D" if value == value and abs(value) != float("inf") else f"CAST('{value}' AS DOUBLE)"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return sql_string(str(value))


def _when(condition: str, then: str, otherwise: str) -> str:
    return f"CASE WHEN {condition} THEN {then} ELSE {otherwise} END"


def _element(values: list, index_seed: int) -> str:
    """One of ``values`` (literals), drawn per row."""
    items = ", ".join(_sql_literal(v) for v in values)
    return f"element_at(array({items}), CAST(floor(rand({index_seed}) * {len(values)}) + 1 AS INT))"


def _value(dtype, spec: ColumnSpec, seed: int, path: tuple[str, ...], rows: int) -> str:
    """SQL text of ``dtype``'s values for one column (or a nested field: ``path``)."""
    from pyspark.sql import types as T

    def rand(tag: str = "") -> str:
        return f"rand({_column_seed(seed, *path, tag)})"

    def pick(values: list, otherwise: str) -> str:  # a corpus literal 60 % of the time: filters on it select rows
        if not values:
            return otherwise
        chosen = f"CAST({_element(values, _column_seed(seed, *path, 'which'))} AS {_type_sql(dtype)})"
        return _when(f"{rand('pick')} < 0.6D", chosen, otherwise)

    top = len(path) == 1
    values = spec.values if top else []
    if isinstance(dtype, T.StringType):  # text a query may cast: digits, true/false for a flag, ISO dates
        name = path[-1].lower()
        if re.match(r"(is|has)_|.*(_flag|deleted|active)\Z", name):
            text = _when(f"{rand()} < 0.5D", "'true'", "'false'")
        elif re.search(r"date|_at\Z|time|_on\Z", name):
            text = f"CAST({_value(T.TimestampType(), spec, seed, path, rows)} AS STRING)"
        else:
            text = f"CAST(floor(power({rand()}, 2) * 50) + 1 AS STRING)"
        return pick([v for v in values if isinstance(v, str)], text)
    if isinstance(dtype, T.IntegerType | T.LongType | T.ShortType | T.ByteType):
        bits = {T.ByteType: 7, T.ShortType: 15, T.IntegerType: 31, T.LongType: 63}[type(dtype)]
        nums = [v for v in values if isinstance(v, int) and not isinstance(v, bool) and -(2**bits) <= v < 2**bits]
        return pick(nums, f"CAST(floor(power({rand()}, 2) * 1000) AS {_type_sql(dtype)})")
    if isinstance(dtype, T.DoubleType | T.FloatType | T.DecimalType):
        nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        return pick(nums, f"CAST(round(power({rand()}, 2) * 1000, 2) AS {_type_sql(dtype)})")
    if isinstance(dtype, T.BooleanType):
        return f"({rand()} < 0.5D)"
    if isinstance(dtype, T.DateType | T.TimestampType):
        days = []
        for v in values:
            if isinstance(v, dict):
                try:
                    days.append(dt.date.fromisoformat(str(next(iter(v.values())))[:10]))
                except ValueError:
                    continue
        low = min(days) - dt.timedelta(days=30) if days else dt.date(2024, 1, 1)
        span = (max(days) - low).days + 31 if days else 730
        day = f"date_add({_sql_literal(low)}, CAST(floor({rand()} * {span}) AS INT))"
        if days:
            day = _when(f"{rand('pick')} < 0.3D", _element(days, _column_seed(seed, *path, "which")), day)
        if isinstance(dtype, T.DateType):
            return day
        return f"CAST(unix_timestamp(CAST({day} AS TIMESTAMP)) + floor({rand('second')} * 86400) AS TIMESTAMP)"
    if isinstance(dtype, T.BinaryType):
        return f"CAST(concat('b', CAST(floor({rand()} * 100) AS STRING)) AS BINARY)"
    if isinstance(dtype, T.ArrayType):
        items = ", ".join(_value(dtype.elementType, spec, seed, (*path, f"[{i}]"), rows) for i in range(3))
        return f"slice(array({items}), 1, CAST(floor({rand('length')} * 4) AS INT))"
    if isinstance(dtype, T.StructType):
        fields = ", ".join(f"{_sql_literal(f.name)}, {_value(f.dataType, spec, seed, (*path, f.name), rows)}"
                           for f in dtype.fields)  # fmt: skip
        return f"named_struct({fields})"
    if isinstance(dtype, T.MapType):
        key = f"coalesce({_value(dtype.keyType, spec, seed, (*path, 'key'), rows)}, CAST('k' AS {_type_sql(dtype.keyType)}))"
        return f"map({key}, {_value(dtype.valueType, spec, seed, (*path, 'value'), rows)})"
    raise ValueError(f"no data can be generated for type {dtype.simpleString()}")


def generate(spark, table: TableSpec, sizes: dict[str, int], scale_rows: int, seed: int, null_share: float):
    """One table of one instance: ``spark.range`` and one SQL expression per column, in one ``selectExpr``.
    ``sizes``: key domain -> the number of keys it has (its owning table's rows); ``scale_rows``: this
    table's rows."""
    from sqlfix.tables import parse_type

    cols = []
    for c in table.columns:
        dtype = parse_type(c.type)
        if c.role == "key":
            expr = f"CAST(id + 1 AS {_type_sql(dtype)})"
        elif c.role == "ref":
            n = sizes.get(c.domain, scale_rows)
            expr = f"CAST(floor(power(rand({_column_seed(seed, table.view, c.name)}), 2) * {n}) + 1 AS {_type_sql(dtype)})"
            expr = _when(f"rand({_column_seed(seed, table.view, c.name, 'null')}) < {null_share / 2!r}D", "NULL", expr)
        else:
            expr = _value(dtype, c, seed, (c.name,), scale_rows)
            expr = _when(f"rand({_column_seed(seed, table.view, c.name, 'null')}) < {null_share!r}D", "NULL", expr)
        cols.append(f"CAST({expr} AS {_type_sql(dtype)}) AS {backquoted(c.name)}")
    return spark.range(scale_rows).selectExpr(*cols)


def key_sizes(cfg: dict, specs: list[TableSpec], scale: float) -> dict[str, int]:
    """Key domain -> how many keys it has at ``scale``: the fewest rows among the tables owning it (a ref
    with no owner draws from ``dimension_rows``)."""
    sizes: dict[str, int] = {}
    for s in specs:
        for c in s.columns:
            if c.role == "key":
                n = s.rows(cfg, scale)
                sizes[c.domain] = min(sizes.get(c.domain, n), n)
    for s in specs:
        for c in s.columns:
            if c.role == "ref" and c.domain not in sizes:
                sizes[c.domain] = max(1, int(int(cfg["dimension_rows"]) * scale))
    return sizes


def contract(domain: str, table: TableSpec, instance):
    """The lake contract of one generated table of one ``databases.Instance``: its name a digest of the
    domain, the table's spec and the instance's draw (new data never overwrites what kept seeds were checked
    on), never a corpus name."""
    from sqlfix.tables import Column, Table

    tag = digest(domain, table.to_json(), f"{instance.scale}:{instance.seed}")[:16]
    return Table(name=f"optdb_{instance.name}_c{tag}",
                 purpose=f"optimisation database {instance.name}: {domain}.{table.view}",
                 columns=tuple(Column(c.name, c.type) for c in table.columns), partition_by=table.partition_by,
                 layer="data")  # fmt: skip


def fingerprint(specs: list[TableSpec]) -> str:
    return digest(*sorted(s.to_json() for s in specs))[:16]


# --- placing corpus queries: domains, names, patterns ---------------------------------------------------


@dataclass
class Placed:
    """A corpus query that may become a seed: its domain, its SQL over the views, the patterns that apply."""

    row: dict  # the sql_corpus row (corpus_id, sql_text, source, origin, tables, schema_ddl)
    domain: str
    sql: str
    tables: list[str]  # its corpus tables
    patterns: list[str] = field(default_factory=list)

    @property
    def seed_id(self) -> str:
        return f"{self.domain}.{self.row['corpus_id'][:16]}"


def rejection(row: dict, domain: str, reason: str, detail: str = "") -> dict:
    return {"corpus_id": row["corpus_id"], "domain": domain, "reason": reason, "detail": detail[:500],
            "sql_text": row["sql_text"]}  # fmt: skip


def place(rows: list[dict], reserved: dict, scfg: dict) -> tuple[dict[str, list[TableSpec]], list[Placed], list[dict]]:
    """(domain -> its table specs, candidate seeds, rejections) of ``sql_corpus`` rows: every row is in
    exactly one of the last two. A generated domain (``databases.DOMAINS``) has no specs: its data exists."""
    from sqlfix.optimize import databases
    from sqlfix.optimize.deoptimize import deoptimize
    from sqlfix.sql.ddl import read_ddl
    from sqlfix.sql.references import is_reserved

    generated = databases.schema()
    placed: list[Placed] = []
    rejected: list[dict] = []
    columns: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)  # domain -> table -> column -> DDL type
    for row in rows:
        tables = sorted(set(row.get("tables") or []))
        domain = domain_of(row.get("source") or "", tables)
        if is_reserved(tables, reserved):
            rejected.append(rejection(row, domain, "reserved_benchmark"))
            continue
        if len(row["sql_text"]) > int(scfg["max_chars"]):
            rejected.append(rejection(row, domain, "too_long", f"{len(row['sql_text'])} characters"))
            continue
        defs, problems = read_ddl(row.get("schema_ddl"), type_of=lambda kind: kind.sql(dialect="spark"))
        if problems or not defs:
            rejected.append(rejection(row, domain, "unparseable", str(problems[0]) if problems else "no DDL"))
            continue
        names = [d.name for d in defs]
        bad = [n for n in names if len(n.split(".")) > 2 or not all(is_identifier(p) for p in n.split("."))]
        bad += [f"{d.name}.{c}" for d in defs for c in d.columns if not is_identifier(c)]
        if bad:
            rejected.append(rejection(row, domain, "unsupported_name", repr(bad[0])))
            continue
        bare = {n: n.split(".")[-1] for n in names}
        if all(bare[d.name] in generated and set(d.columns) <= set(generated[bare[d.name]]) for d in defs):
            domain = databases.domain_of(bare[names[0]])  # it runs on a generated domain as it is
        else:
            for d in defs:
                known = columns[domain].setdefault(d.name, {})
                for col, typ in d.spec:
                    known.setdefault(col.lower(), typ)
        placed.append(Placed(row, domain, row["sql_text"], names))
    specs: dict[str, list[TableSpec]] = {}
    bad_tables: dict[str, dict[str, str]] = {}
    views: dict[str, dict[str, str]] = {}
    for domain, tables in columns.items():
        views[domain] = _views(list(tables))
    for p in placed:
        try:
            p.sql = rename_tables(p.row["sql_text"], views.get(p.domain) or {n: n.split(".")[-1] for n in p.tables})
        except Exception as exc:  # noqa: BLE001 - sqlglot's message is the detail
            p.sql = ""
            rejected.append(rejection(p.row, p.domain, "unparseable", str(exc).splitlines()[0] if str(exc) else ""))
    placed = [p for p in placed if p.sql]
    for domain, tables in columns.items():
        queries = [p.sql for p in placed if p.domain == domain]
        specs[domain], bad_tables[domain] = plan_domain(
            {t: list(cols.items()) for t, cols in tables.items()}, views[domain], queries, int(scfg["max_literals"])
        )
    out = []
    for p in placed:
        bad = [bad_tables.get(p.domain, {})[t] for t in p.tables if t in bad_tables.get(p.domain, {})]
        if bad:
            rejected.append(rejection(p.row, p.domain, "unsupported_type", bad[0]))
            continue
        if p.domain in specs:
            schema = {s.view: {c.name: c.type for c in s.columns} for s in specs[p.domain]}
            parts = {c for s in specs[p.domain] for c in s.partition_by}
            slow = deoptimize(p.sql, schema=schema, partition_columns=parts)
        else:
            slow = deoptimize(p.sql)
        p.patterns = list(dict.fromkeys(name for name, _ in slow))  # each pattern once, first found first
        if not p.patterns:
            rejected.append(rejection(p.row, p.domain, "no_pattern"))
            continue
        out.append(p)
    read = {(p.domain, views[p.domain][t]) for p in out if p.domain in views for t in p.tables}
    kept = {d: [s for s in tables if (d, s.view) in read] for d, tables in specs.items()}  # only what seeds read
    return {d: tables for d, tables in kept.items() if tables}, out, rejected


def check(verifier, sql: str, views: set[str], large: str) -> tuple[str | None, str, int]:
    """(rejection reason or None, detail, rows on the first instance) of one candidate seed over a
    verifier's hardened instance sessions: the read-only screen, determinism, then bounded runs on every
    instance but ``large``, each of which must return rows."""
    from sqlfix.filtering.readonly import read_only_refusal
    from sqlfix.optimize.verify import TooManyRows
    from sqlfix.spark import DeadlineExceeded

    first = verifier.small
    refusal = read_only_refusal(verifier.sessions[first], sql, views)
    if refusal is not None:
        return "refused", f"{refusal[0]}: {refusal[1]}", 0
    try:
        plan = verifier.sessions[first].sql(sql)._jdf.queryExecution().analyzed()
    except Exception as exc:  # noqa: BLE001 - Spark's analysis error is the verdict
        return "analysis_failed", str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "", 0
    if not plan.deterministic():
        return "nondeterministic", "", 0
    counts = []
    for name in [n for n in verifier.sessions if n != large] or [first]:
        try:
            rows = verifier.rows(name, sql)
        except DeadlineExceeded as exc:
            return "timeout", str(exc)[:300], 0
        except TooManyRows as exc:
            return "too_many_rows", str(exc)[:300], 0
        except Exception as exc:  # noqa: BLE001 - a runtime error over generated data (ANSI casts, ...)
            return "runtime_error", str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "", 0
        if not rows:
            return "no_rows", f"no rows on {name}", 0
        counts.append(len(rows))
    return None, "", counts[0]


@dataclass
class Pool:
    """The seed queries of a round and the databases they read: the hand-written seeds over the generated
    domains and/or the corpus seeds (``opt_seeds``) over their domains' generated tables (``opt_schemas``)."""

    seeds: list[tuple[str, str, str]] = field(default_factory=list)  # (domain, name, SQL)
    specs: dict[str, list[TableSpec]] = field(default_factory=dict)  # corpus domain -> its tables

    def generated(self, domain: str) -> bool:
        return domain not in self.specs

    def schema(self, domain: str) -> dict[str, dict[str, str]]:
        from sqlfix.optimize.databases import schema

        if self.generated(domain):
            return schema()
        return {s.view: {c.name: c.type for c in s.columns} for s in self.specs[domain]}

    def ddls(self, domain: str) -> dict[str, str]:
        from sqlfix.optimize.databases import ddl_by_table

        return ddl_by_table() if self.generated(domain) else {s.view: s.ddl() for s in self.specs[domain]}

    def partition_columns(self, domain: str) -> set[str] | None:
        return None if self.generated(domain) else {c for s in self.specs[domain] for c in s.partition_by}
