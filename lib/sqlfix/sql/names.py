"""Names are data: the one validator for table and database names that come from untrusted input.

A table name read from a log, a DDL file, a ``table_schemas`` row, a corpus or a workload is text someone
else wrote. It may become a lake folder (``<root>/<name>``), a catalog name or part of the sandbox's own
``CREATE DATABASE``/``CREATE TABLE`` text; so before it does, it must be an identifier of the plain
grammar (letters, digits, ``_``; not starting with a digit) with the number of parts the use expects. A name
that is not is refused with ``BadNameError`` naming it (one line), never repaired or quoted: there is no
quoting that is safe for every consumer (a path, a Spark identifier, a DataFusion predicate).

Example:
    >>> table_name("Shop.Orders", parts=2)
    'shop.orders'
    >>> table_name("../../other_lake/mining_runs")
    Traceback (most recent call last):
    ...
    sqlfix.sql.names.BadNameError: not a plain table name (letters, digits and _ only): '../../other_lake/mining_runs'
"""

from __future__ import annotations

import re

from sqlfix.errors import UsageError

_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}\Z")
# Databases a table of untrusted input may never be put in: Spark's own (global temporary views) and the
# session catalog's name itself.
RESERVED_DATABASES = frozenset({"global_temp", "spark_catalog", "information_schema", "system"})


class BadNameError(UsageError, ValueError):
    """A table or database name that is not a plain identifier of the expected number of parts."""


def is_identifier(part: str) -> bool:
    """Whether ``part`` is one plain identifier (no quoting needed anywhere).

    Example:
        >>> is_identifier("store_sales"), is_identifier("a`b"), is_identifier("1st"), is_identifier("")
        (True, False, False, False)
    """
    return isinstance(part, str) and bool(_PART.match(part))


def backquoted(part: str) -> str:
    """One identifier part as a Spark SQL backquoted identifier, its backquotes doubled: how a column or
    field name of a DDL or corpus is written into SQL text (a table name is validated instead: ``table_name``).

    Example:
        >>> backquoted("order"), backquoted("it's `odd`")
        ('`order`', "`it's ``odd```")
    """
    return "`" + part.replace("`", "``") + "`"


def table_name(name: str, parts: int = 1, what: str = "table name") -> str:
    """``name`` lower-cased, when it is 1 to ``parts`` plain identifiers joined by ``.`` (a database part, where
    two are allowed, is not one of ``RESERVED_DATABASES``); else ``BadNameError`` naming the input.

    Example:
        >>> table_name("orders"), table_name("shop.orders", parts=2)
        ('orders', 'shop.orders')
        >>> table_name("a.b.t", parts=2)
        Traceback (most recent call last):
        ...
        sqlfix.sql.names.BadNameError: table name of 3 parts (at most 2: database.table): 'a.b.t'
        >>> table_name("global_temp.t", parts=2)
        Traceback (most recent call last):
        ...
        sqlfix.sql.names.BadNameError: table name in a reserved database (global_temp): 'global_temp.t'
        >>> table_name("shop.orders")
        Traceback (most recent call last):
        ...
        sqlfix.sql.names.BadNameError: table name of 2 parts (a single name is expected): 'shop.orders'
    """
    if not isinstance(name, str) or not name:
        raise BadNameError(f"empty {what}", input=repr(name))
    split = name.split(".")
    if not all(is_identifier(p) for p in split):
        raise BadNameError(f"not a plain {what} (letters, digits and _ only)", input=repr(name))
    if len(split) > parts:
        expected = "a single name is expected" if parts == 1 else f"at most {parts}: database.table"
        raise BadNameError(f"{what} of {len(split)} parts ({expected})", input=repr(name))
    if len(split) == 2 and split[0].lower() in RESERVED_DATABASES:
        raise BadNameError(f"{what} in a reserved database ({split[0].lower()})", input=repr(name))
    return name.lower()


def name_problem(name: str, parts: int = 1, what: str = "table name") -> str | None:
    """Why ``name`` is refused by ``table_name`` (its one-line message), or ``None`` when it is fine: the
    reason for a quarantine row.

    Example:
        >>> name_problem("t"), name_problem("t`; DROP")
        (None, "not a plain table name (letters, digits and _ only): 't`; DROP'")
    """
    try:
        table_name(name, parts, what)
    except BadNameError as exc:
        return str(exc)
    return None
