"""Two executions of one taxonomy: ``classify`` for single messages (CLI, serving) and ``categorize``,
which compiles the same leaves into native Spark expressions for tables (no Python UDF).

First matching leaf wins, in file order; no match (or no message) is ``unclassified``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from pyspark.sql import Column
from pyspark.sql import functions as F

from sqlfix.taxonomy.model import UNCLASSIFIED, Leaf, Taxonomy, load_taxonomy
from sqlfix.taxonomy.normalize import MAX_CHARS, RULES, normalize

CONDITION = r"\[([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\]"


@dataclass(frozen=True)
class Category:
    """Where a message lands: level-1 group, level-2 family, leaf id and name, the condition it names."""

    category_l1: str
    category_l2: str
    category_l3: str
    name: str
    condition: str | None

    def as_dict(self) -> dict:
        return asdict(self)


_NONE = Category(UNCLASSIFIED, UNCLASSIFIED, UNCLASSIFIED, UNCLASSIFIED, None)


@lru_cache(maxsize=8)
def _compiled(
    taxonomy: Taxonomy,
) -> list[tuple[Leaf, re.Pattern, re.Pattern | None, re.Pattern | None, re.Pattern | None]]:
    flags = re.ASCII
    return [
        (
            leaf,
            re.compile(leaf.message_regex, flags),
            re.compile(leaf.exact_regex, flags) if leaf.exact_regex else None,
            re.compile("(?i)" + leaf.when_message, flags) if leaf.when_message else None,
            re.compile(leaf.when_sql, flags) if leaf.when_sql else None,
        )
        for leaf in taxonomy.leaves
    ]


def classify(message: object, sql: str | None = None, taxonomy: Taxonomy | None = None) -> Category:
    """Classify one error message (and optionally the SQL that raised it).

    Example:
        >>> classify("[UNRESOLVED_ROUTINE] Cannot resolve routine `summ` on search path [].").category_l3
        'resolution.function.unknown_function'
        >>> classify("FAILED: SemanticException [Error 10001]: Line 5:5 Table not found 'ordrs'").category_l3
        'resolution.relation.table_not_found'
        >>> classify(None).category_l3
        'unclassified'
    """
    text = normalize(message)
    if not text:
        return _NONE
    taxonomy = taxonomy or load_taxonomy()
    for leaf, regex, exact, when_message, when_sql in _compiled(taxonomy):
        if not regex.search(text):
            continue
        if not (exact and exact.search(text)) and not _guards_hold(leaf, text, sql, when_message, when_sql):
            continue
        found = re.search(CONDITION, text)
        return Category(leaf.l1, leaf.l2, leaf.id, leaf.name, found.group(1) if found else None)
    return _NONE


def _guards_hold(leaf: Leaf, text: str, sql: str | None, when_message, when_sql) -> bool:
    if when_message and not when_message.search(text):
        return False
    if leaf.when_sql or leaf.parens_unbalanced or leaf.quotes_unbalanced:
        if sql is None or (when_sql and not when_sql.search(sql)):
            return False
        if leaf.parens_unbalanced and sql.count("(") == sql.count(")"):
            return False
        if leaf.quotes_unbalanced and sql.count("'") % 2 == 0:
            return False
    return True


def normalized_column(message: Column) -> Column:
    """``normalize`` as a Spark expression."""
    text = F.substring(F.coalesce(message, F.lit("")), 1, MAX_CHARS * 5)
    for _, regex, replacement in RULES:
        text = F.regexp_replace(text, regex, replacement)
    return F.substring(F.trim(text), 1, MAX_CHARS)


def _count(sql: Column, char: str) -> Column:
    return F.length(sql) - F.length(F.replace(sql, F.lit(char), F.lit("")))


def _leaf_condition(leaf: Leaf, text: Column, sql: Column | None) -> Column:
    cond = text.rlike(leaf.message_regex)
    if leaf.when_message:
        cond = cond & text.rlike("(?i)" + leaf.when_message)
    if leaf.when_sql or leaf.parens_unbalanced or leaf.quotes_unbalanced:
        if sql is None:
            return F.lit(False)
        sql_ok = sql.isNotNull()
        if leaf.when_sql:
            sql_ok = sql_ok & sql.rlike(leaf.when_sql)
        if leaf.parens_unbalanced:
            sql_ok = sql_ok & (_count(sql, "(") != _count(sql, ")"))
        if leaf.quotes_unbalanced:
            sql_ok = sql_ok & (_count(sql, "'") % 2 == 1)
        cond = cond & F.coalesce(sql_ok, F.lit(False))
    if leaf.exact_regex:
        cond = cond | text.rlike(leaf.exact_regex)
    return cond


def categorize(df, message: str = "error_message", sql: str | None = None, taxonomy: Taxonomy | None = None):
    """Add ``category_l1``, ``category_l2``, ``category_l3`` and ``error_condition`` with Spark expressions.

    Example (not run: needs Spark):
        pairs.transform(lambda df: categorize(df, "error_message", "bug_sql"))
    """
    taxonomy = taxonomy or load_taxonomy()
    df = df.withColumn("__norm", normalized_column(F.col(message)))
    text = F.col("__norm")
    sql_col = F.col(sql) if sql else None
    leaf_id: Column = F.lit(UNCLASSIFIED)
    for leaf in reversed(taxonomy.leaves):
        leaf_id = F.when(_leaf_condition(leaf, text, sql_col), F.lit(leaf.id)).otherwise(leaf_id)
    leaf_id = F.when(text == "", F.lit(UNCLASSIFIED)).otherwise(leaf_id)
    found = F.regexp_extract(text, CONDITION, 1)
    return (
        df.withColumn("category_l3", leaf_id)
        .withColumn(
            "category_l1",
            F.when(F.col("category_l3") == UNCLASSIFIED, UNCLASSIFIED).otherwise(
                F.substring_index("category_l3", ".", 1)
            ),
        )
        .withColumn(
            "category_l2",
            F.when(F.col("category_l3") == UNCLASSIFIED, UNCLASSIFIED).otherwise(
                F.substring_index("category_l3", ".", 2)
            ),
        )
        .withColumn("error_condition", F.when(found == "", F.lit(None).cast("string")).otherwise(found))
        .drop("__norm")
    )
