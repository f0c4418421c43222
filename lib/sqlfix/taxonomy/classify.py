"""Two executions of one taxonomy: ``classify`` for single messages (CLI, serving) and ``categorize``,
which compiles the same leaves into native Spark expressions for tables (no Python UDF).

A message that names a ``[CONDITION.SUB]`` goes to a leaf claiming it: a claim of the sub-condition before
one of its parent; the guarded claimants first, in file order, whose guards hold; else the one unguarded
claimant. Other messages (legacy Spark, Hive, unknown conditions) go to the first leaf in file order whose
patterns and guards match. No match, or no message, is ``unclassified``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from re import _constants as sre_constants
from re import _parser as sre_parser

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
    compiled = {leaf.id: entry for leaf, *entry in _compiled(taxonomy)}
    found = re.search(CONDITION, text)
    condition = found.group(1) if found else None
    if condition:
        guarded, unguarded = _routes(taxonomy)
        for key in (condition, condition.split(".")[0]):
            for leaf in guarded.get(key, ()):
                _, exact, when_message, when_sql = compiled[leaf.id]
                if _guards_hold(leaf, text, sql, when_message, when_sql):
                    return Category(leaf.l1, leaf.l2, leaf.id, leaf.name, condition)
            if key in unguarded:
                leaf = unguarded[key]
                return Category(leaf.l1, leaf.l2, leaf.id, leaf.name, condition)
    for leaf, regex, exact, when_message, when_sql in _compiled(taxonomy):
        if not regex.search(text):
            continue
        if not (exact and exact.search(text)) and not _guards_hold(leaf, text, sql, when_message, when_sql):
            continue
        return Category(leaf.l1, leaf.l2, leaf.id, leaf.name, condition)
    return _NONE


@lru_cache(maxsize=8)
def _routes(taxonomy: Taxonomy) -> tuple[dict[str, list[Leaf]], dict[str, Leaf]]:
    """Condition -> its guarded claimants (file order), and condition -> its one unguarded claimant."""
    guarded: dict[str, list[Leaf]] = {}
    unguarded: dict[str, Leaf] = {}
    for leaf in taxonomy.leaves:
        for condition in leaf.exact_conditions:
            unguarded.setdefault(condition, leaf)
        for condition in leaf.conditions:
            if leaf.guarded:
                guarded.setdefault(condition, []).append(leaf)
            else:
                unguarded.setdefault(condition, leaf)
    return guarded, unguarded


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


def with_normalized(df, message: str, out: str):
    """``normalize`` in Spark: ``out`` holds the normalised ``message``.

    One projection per rule: each rule reads its input twice (the screen and the replacement), and nested
    into one expression the rules' inputs would be rebuilt at every reference. The length bounds are cut only
    where the byte length (free to read, unlike the character length) says they might bite."""
    df = df.withColumn(out, _bounded(F.coalesce(F.col(message), F.lit("")), MAX_CHARS * 5))
    for _, regex, replacement, needs in RULES:
        text = F.col(out)
        screen = functools.reduce(lambda a, b: a | b, [text.contains(n) for n in needs])
        df = df.withColumn(out, F.when(screen, F.regexp_replace(text, regex, replacement)).otherwise(text))
    return df.withColumn(out, _bounded(F.trim(F.col(out)), MAX_CHARS))


def _bounded(text: Column, chars: int) -> Column:
    return F.when(F.octet_length(text) > chars, F.substring(text, 1, chars)).otherwise(text)


def _count(sql: Column, char: str) -> Column:
    return F.length(sql) - F.length(F.replace(sql, F.lit(char), F.lit("")))


def _leaf_guards(leaf: Leaf, text: Column, sql: Column | None) -> Column:
    """A guarded leaf's guards (message and SQL side) as one boolean expression."""
    cond = F.lit(True)
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
    return cond


def _leaf_condition(leaf: Leaf, text: Column, sql: Column | None, lowered: Column) -> Column:
    """A leaf's pattern match and guards (the pattern scan, for messages without a known condition).

    Each regex is screened first by substrings of the lower-cased text (``lowered``) that any match must
    contain (``required_literals``): a byte search instead of a case-insensitive regex scan, and exactly
    the same result.
    """
    cond = _screened(text.rlike(leaf.message_regex), leaf.message_regex, lowered) & _leaf_guards(leaf, text, sql)
    if leaf.exact_regex:
        cond = cond | _screened(text.rlike(leaf.exact_regex), leaf.exact_regex, lowered)
    return cond


def _screened(match: Column, regex: str, lowered: Column) -> Column:
    literals = required_literals(regex)
    if literals is None:
        return match
    return functools.reduce(lambda a, b: a | b, [lowered.contains(x) for x in literals]) & match


@lru_cache(maxsize=1024)
def required_literals(regex: str, shortest: int = 3) -> tuple[str, ...] | None:
    """Lower-cased substrings of which every match of a case-insensitive ``regex`` contains one (one per
    top-level alternative: its longest run of literal characters), or None where an alternative has no run of
    ``shortest`` characters. A text whose lower-cased form holds none of them cannot match.

    Example:
        >>> required_literals("(?i)(?:\\[UNRESOLVED_ROUTINE\\])|(?:Undefined function)|(?:(long|integer) overflow)")
        ('[unresolved_routine]', 'undefined function', ' overflow')
        >>> required_literals("(?i)(?:missing .?\\))|(?:\\$\\{[\\w.]+\\})") is None
        True
    """
    parsed = sre_parser.parse(regex, re.ASCII)
    items = list(parsed)
    alternatives = [items]
    if len(items) == 1 and items[0][0] is sre_constants.BRANCH:
        alternatives = [list(branch) for branch in items[0][1][1]]
    found = []
    for alternative in alternatives:
        if len(alternative) == 1 and alternative[0][0] is sre_constants.SUBPATTERN:
            alternative = list(alternative[0][1][-1])  # (?:...) around the whole alternative
        runs, run = [], ""
        for op, arg in alternative:
            if op is sre_constants.LITERAL and arg < 128:
                run += chr(arg)
            else:
                runs.append(run)
                run = ""
        best = max([*runs, run], key=len)
        if len(best) < shortest:
            return None
        found.append(best.lower())
    return tuple(dict.fromkeys(found))


def categorize(df, message: str = "error_message", sql: str | None = None, taxonomy: Taxonomy | None = None):
    """Add ``category_l1``, ``category_l2``, ``category_l3`` and ``error_condition`` with Spark expressions.

    Example (not run: needs Spark):
        pairs.transform(lambda df: categorize(df, "error_message", "bug_sql"))
    """
    taxonomy = taxonomy or load_taxonomy()
    df = with_normalized(df, message, "__norm")
    text = F.col("__norm")
    sql_col = F.col(sql) if sql else None
    found = F.regexp_extract(text, CONDITION, 1)
    df = df.withColumn("error_condition", F.nullif(found, F.lit("")))
    condition = F.col("error_condition")
    guarded, unguarded = _routes(taxonomy)
    routes = F.create_map(*[F.lit(x) for c, leaf in sorted(unguarded.items()) for x in (c, leaf.id)])
    # Flat CASE WHEN chains (nested ones overflow the code generator's compiler and run interpreted), and
    # each guarded condition's guards computed once, in a column of their own, for both routing keys.
    prefix = F.substring_index(condition, ".", 1)
    hits = {}
    for i, (name, leaves) in enumerate(sorted(guarded.items())):
        chain = None
        for leaf in leaves:
            branch = _leaf_guards(leaf, text, sql_col)
            chain = F.when(branch, F.lit(leaf.id)) if chain is None else chain.when(branch, F.lit(leaf.id))
        df = df.withColumn(f"__g{i}", F.when((condition == name) | (prefix == name), chain))
        hits[name] = F.col(f"__g{i}")
    picks = []
    for key in (condition, prefix):  # the exact condition first
        for name, hit in hits.items():
            picks.append(F.when(key == name, hit))
        picks.append(F.element_at(routes, key))
    by_tag = F.coalesce(*picks)
    df = df.withColumn("__tag", by_tag)
    df = df.withColumn("__low", F.when(F.col("__tag").isNull(), F.lower(text)))  # the pattern scan's screen
    by_pattern = None
    for leaf in taxonomy.leaves:
        branch = _leaf_condition(leaf, text, sql_col, F.col("__low"))
        by_pattern = F.when(branch, F.lit(leaf.id)) if by_pattern is None else by_pattern.when(branch, F.lit(leaf.id))
    by_pattern = by_pattern.otherwise(F.lit(UNCLASSIFIED))
    leaf_id = (
        F.when(text == "", F.lit(UNCLASSIFIED)).when(F.col("__tag").isNotNull(), F.col("__tag")).otherwise(by_pattern)
    )
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
        .drop("__norm", "__tag", "__low", *[f"__g{i}" for i in range(len(hits))])
    )
