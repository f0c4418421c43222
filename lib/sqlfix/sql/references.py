"""The tables a query references: names after ``FROM`` and ``JOIN``, and each name of a comma-separated
``FROM a x, b y`` list, lower case, without backquotes.

A text rule (CTE names are included; a catalog lookup drops what is not a table), the same in Python and
as a Spark expression: mining attaches each pair's DDL by it, the sandbox fills the tables it names, the
optimisation prompts show the DDL of the tables it finds.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Spark is imported by the column function only
    from pyspark.sql import Column

# \w is ASCII in Java's regex engine; re.ASCII makes Python's the same.
NAME = r"[`\w]+(?:\.[`\w]+)*"
# A FROM/JOIN list: names, each with an optional alias only when a comma follows (so ``FROM a JOIN b``
# leaves ``JOIN b`` to the next match), then the last name.
TABLE_LIST = rf"(?i)\b(?:from|join)\s+((?:{NAME}(?:\s+(?:as\s+)?\w+)?\s*,\s*)*{NAME})"
ITEM_SPLIT = r"\s*,\s*"
ITEM_NAME = rf"^({NAME})"
_TABLE_LIST, _ITEM_SPLIT, _ITEM_NAME = (re.compile(p, re.ASCII) for p in (TABLE_LIST, ITEM_SPLIT, ITEM_NAME))


def referenced_tables(sql: str | None) -> list[str]:
    """Distinct referenced names, in order of first appearance.

    Example:
        >>> referenced_tables("WITH x AS (SELECT * FROM shop.`Orders`) SELECT * FROM x JOIN Users u ON 1 = 1")
        ['shop.orders', 'x', 'users']
        >>> referenced_tables("SELECT a, b FROM s.orders o, s.users AS u, items WHERE o.id IN (1, 2)")
        ['s.orders', 's.users', 'items']
    """
    names = (
        _ITEM_NAME.match(item).group(1)
        for found in _TABLE_LIST.findall(sql or "")
        for item in _ITEM_SPLIT.split(found)
    )
    return list(dict.fromkeys(name.replace("`", "").lower() for name in names))


def referenced_tables_column(sql: Column) -> Column:
    """``referenced_tables`` as a Spark expression (an array of strings)."""
    from pyspark.sql import functions as F

    lists = F.regexp_extract_all(sql, F.lit(TABLE_LIST), 1)
    items = F.flatten(F.transform(lists, lambda s: F.split(s, ITEM_SPLIT)))
    names = F.transform(items, lambda s: F.regexp_extract(s, ITEM_NAME, 1))
    return F.array_distinct(F.transform(names, lambda s: F.lower(F.regexp_replace(s, "`", ""))))


# --- Reserved benchmarks: queries sqlfix must never train on ----------------------------------------------


def is_reserved(names: list[str], reserved: dict) -> bool:
    """Whether a query over ``names`` (``referenced_tables``) reads an evaluation benchmark (``dataset.reserved``):
    a table of ``reserved["tables"]`` (names only TPC-DS and TPC-H use), a table of a database in
    ``reserved["databases"]``, or two or more tables that are all benchmark names (``tables`` + ``shared``,
    the names common enough to be a warehouse's own: one ``orders`` table alone is not TPC-H, a join of
    ``customer`` and ``orders`` is).

    Example:
        >>> rules = {"tables": ["store_sales", "lineitem"], "shared": ["customer", "orders"], "databases": ["tpch"]}
        >>> [is_reserved(n, rules) for n in (["store_sales"], ["shop.orders"], ["customer", "orders"], ["tpch.x"],
        ...                                   ["shop.orders", "shop.users"])]
        [True, False, True, True, False]
    """
    tables, everything = _names(reserved, "tables"), _names(reserved, "tables") | _names(reserved, "shared")
    databases = _names(reserved, "databases")
    bare = [n.rsplit(".", 1)[-1] for n in names]
    dbs = [n.rsplit(".", 1)[0] if "." in n else "" for n in names]
    return (any(b in tables for b in bare) or any(d.rsplit(".", 1)[-1] in databases for d in dbs if d)
            or (len(set(bare)) >= 2 and all(b in everything for b in bare)))  # fmt: skip


def is_reserved_column(names: Column, reserved: dict) -> Column:
    """``is_reserved`` as a Spark expression over an array of referenced names (``referenced_tables_column``)."""
    from pyspark.sql import functions as F

    tables = F.array(*[F.lit(t) for t in sorted(_names(reserved, "tables"))] or [F.lit(None).cast("string")])
    every = F.array(*[F.lit(t) for t in sorted(_names(reserved, "tables") | _names(reserved, "shared"))]
                    or [F.lit(None).cast("string")])  # fmt: skip
    databases = F.array(*[F.lit(d) for d in sorted(_names(reserved, "databases"))] or [F.lit(None).cast("string")])
    bare = F.transform(names, lambda n: F.element_at(F.split(n, r"\."), -1))
    dbs = F.transform(F.filter(names, lambda n: n.contains(".")), lambda n: F.element_at(F.split(n, r"\."), -2))
    return F.coalesce(
        F.exists(bare, lambda b: F.array_contains(tables, b))
        | F.exists(dbs, lambda d: F.array_contains(databases, d))
        | ((F.size(F.array_distinct(bare)) >= 2) & F.forall(bare, lambda b: F.array_contains(every, b))),
        F.lit(False),
    )


def _names(reserved: dict, key: str) -> set[str]:
    return {str(n).lower() for n in (reserved.get(key) or [])}


# --- Literals a query filters its tables by --------------------------------------------------------------


def compared_literals(sql: str | None) -> dict[str, list[str]]:
    """Column -> the literals it is compared with where a row must match them to be read: ``=``, ``>=``,
    ``<=``, ``IN (...)``, ``BETWEEN`` (its low end), typed literals too (``DATE '2024-01-15'``,
    ``CAST('2024-01-15' AS DATE)``). Column names lower case, without their qualifier; empty for SQL sqlglot
    cannot read. The sandbox gives a runtime check rows that pass a query's own filters.

    Example:
        >>> compared_literals("SELECT a / b FROM t x WHERE x.dt = DATE '2024-01-15' AND kind IN ('a', 'b')")
        {'dt': ['2024-01-15'], 'kind': ['a', 'b']}
    """
    from sqlfix.sql.features import parse

    try:
        tree = parse(sql or "")
    except Exception:  # noqa: BLE001 - foreign SQL: no filters known
        return {}
    from sqlglot import exp

    out: dict[str, list[str]] = {}

    def add(column, node) -> None:
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
            node = node.this
        if isinstance(column, exp.Column) and isinstance(node, exp.Literal):
            out.setdefault(column.name.lower(), []).append(node.name)

    for cmp in tree.find_all(exp.EQ, exp.GTE, exp.LTE):
        add(cmp.this, cmp.expression)
        add(cmp.expression, cmp.this)
    for node in tree.find_all(exp.In):
        for item in node.expressions:
            add(node.this, item)
    for node in tree.find_all(exp.Between):
        add(node.this, node.args.get("low"))
    return out
