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
