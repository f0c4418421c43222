"""The tables a query references: names after ``FROM`` and ``JOIN``, lower case, without backquotes.

A text rule (CTE names are included; a catalog lookup drops what is not a table), the same in Python and
as a Spark expression: mining attaches each pair's DDL by it, the sandbox fills the tables it names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Spark is imported by the column function only
    from pyspark.sql import Column

# \w is ASCII in Java's regex engine; re.ASCII makes Python's the same.
TABLE_REF = r"(?i)\b(?:from|join)\s+([`\w]+(?:\.[`\w]+)*)"
_TABLE_REF = re.compile(TABLE_REF, re.ASCII)


def referenced_tables(sql: str | None) -> list[str]:
    """Distinct referenced names, in order of first appearance.

    Example:
        >>> referenced_tables("WITH x AS (SELECT * FROM shop.`Orders`) SELECT * FROM x JOIN Users u ON 1 = 1")
        ['shop.orders', 'x', 'users']
    """
    return list(dict.fromkeys(name.replace("`", "").lower() for name in _TABLE_REF.findall(sql or "")))


def referenced_tables_column(sql: Column) -> Column:
    """``referenced_tables`` as a Spark expression (an array of strings)."""
    from pyspark.sql import functions as F

    names = F.regexp_extract_all(sql, F.lit(TABLE_REF), 1)
    return F.array_distinct(F.transform(names, lambda s: F.lower(F.regexp_replace(s, "`", ""))))
