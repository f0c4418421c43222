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

from sqlfix.spark import sql_string as _lit
from sqlfix.sql.diff import close_names
from sqlfix.taxonomy.model import UNCLASSIFIED, Leaf, Taxonomy, load_taxonomy
from sqlfix.taxonomy.normalize import MAX_CHARS, RULES, normalize

CONDITION = r"\[([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\]"

# The name Spark 4 could not resolve and the names it suggests instead (up to five, most similar first):
# "... with name `o`.`amout` cannot be resolved. Did you mean one of the following? [`o`.`amount`, ...]".
# Only a name's last part counts: the qualifier is not what was misspelt. Python's ``re`` and Java's
# ``Pattern`` read these alike, so ``suggestions_far`` and its Spark expression (which spells out
# ``close_names``) agree.
_UNRESOLVED = r"with name (?:`[^`]*`\.)*`([^`]*)` cannot be resolved"
_SUGGESTED = r"Did you mean one of the following\? \[([^\]]*)\]"
_SUGGESTION = r"`([^`]*)`(?=, |$)"


def suggestions_far(text: str) -> bool:
    """Whether the (normalised) message suggests names and none is close to the one it could not resolve: the
    guard of a leaf marked ``suggestions_far`` (a column that nothing in scope resembles). A message without
    its list (cut short, or reworded) says nothing of closeness: the guard does not hold.

    Example:
        >>> suggestions_far("with name `o`.`signup_date` cannot be resolved. Did you mean one of the following? "
        ...                 "[`o`.`order_date`, `o`.`status`]")
        True
    """
    name = re.search(_UNRESOLVED, text)
    listed = re.search(_SUGGESTED, text)
    stem = name.group(1) if name else ""
    suggested = re.findall(_SUGGESTION, listed.group(1) if listed else "")
    return bool(suggested) and not any(close_names(stem, s) for s in suggested)


def _suggestions_far_sql(text: str) -> str:
    """``suggestions_far`` as a Spark SQL expression (``regexp_extract`` gives '' where ``re`` finds nothing)."""
    stem = f"regexp_extract({text}, {_lit(_UNRESOLVED)}, 1)"
    names = f"regexp_extract_all(regexp_extract({text}, {_lit(_SUGGESTED)}, 1), {_lit(_SUGGESTION)}, 1)"
    close = f"exists({names}, s -> levenshtein(lower(s), lower({stem})) <= greatest(2, length({stem}) DIV 4))"
    return f"(size({names}) > 0 AND NOT {close})"


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
    if leaf.suggestions_far and not suggestions_far(text):
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


# The Spark expressions are written as SQL text, one ``F.expr`` per column: built from Column objects they
# took thousands of Py4J round trips (about 7 s per call, more than labelling a million messages).


def _count(sql: str, char: str) -> str:
    """Occurrences of a one-byte ``char``: bytes removed by deleting it (``octet_length`` is free to read;
    ``length`` walks the string to count characters)."""
    assert len(char.encode()) == 1, char
    return f"(octet_length({sql}) - octet_length(replace({sql}, {_lit(char)}, '')))"


def _any(parts: list[str]) -> str:
    return "(" + " OR ".join(parts) + ")"


def _leaf_guards(leaf: Leaf, text: str, sql: str | None) -> str:
    """A guarded leaf's guards (message and SQL side) as one boolean SQL expression."""
    cond = ["true"]
    if leaf.when_message:
        cond.append(f"{text} RLIKE {_lit('(?i)' + leaf.when_message)}")
    if leaf.suggestions_far:
        cond.append(_suggestions_far_sql(text))
    if leaf.when_sql or leaf.parens_unbalanced or leaf.quotes_unbalanced:
        if sql is None:
            return "false"
        sql_ok = [f"{sql} IS NOT NULL"]
        if leaf.when_sql:
            screen = _sql_screen(sql, leaf.when_sql)  # a byte search or two before a regex over the whole SQL
            sql_ok += [screen] if screen else []
            sql_ok.append(f"{sql} RLIKE {_lit(leaf.when_sql)}")
        if leaf.parens_unbalanced:
            sql_ok.append(f"{_count(sql, '(')} != {_count(sql, ')')}")
        if leaf.quotes_unbalanced:
            sql_ok.append(f"{_count(sql, chr(39))} % 2 = 1")
        cond.append(f"coalesce({' AND '.join(sql_ok)}, false)")
    return "(" + " AND ".join(cond) + ")"


def _leaf_condition(leaf: Leaf, text: str, sql: str | None, lowered: str) -> str:
    """A leaf's pattern match and guards (the pattern scan, for messages without a known condition).

    Each regex is screened first by substrings of the lower-cased text (``lowered``) that any match must
    contain (``required_literals``): a byte search instead of a case-insensitive regex scan, and exactly
    the same result.
    """
    cond = f"({_screened(text, leaf.message_regex, lowered)} AND {_leaf_guards(leaf, text, sql)})"
    if leaf.exact_regex:
        cond = f"({cond} OR {_screened(text, leaf.exact_regex, lowered)})"
    return cond


def _screened(text: str, regex: str, lowered: str) -> str:
    match = f"{text} RLIKE {_lit(regex)}"
    literals = required_literals(regex)
    if literals is None:
        return match
    return f"({_any([f'contains({lowered}, {_lit(x)})' for x in literals])} AND {match})"


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
        best = max(_literal_runs(alternative), key=len, default="")
        if len(best) < shortest:
            return None
        found.append(best.lower())
    return tuple(dict.fromkeys(found))


def _literal_runs(sequence: list) -> list[str]:
    """Runs of literal ASCII characters between the other items of a parsed sequence (all are required)."""
    runs, run = [], ""
    for op, arg in sequence:
        if op is sre_constants.LITERAL and arg < 128:
            run += chr(arg)
        else:
            runs.append(run)
            run = ""
    return [r for r in [*runs, run] if r]


@lru_cache(maxsize=256)
def required_runs(regex: str) -> tuple[str, ...]:
    """Every run of literal characters in the top-level sequence of a regex without top-level alternation:
    a match contains all of them (case-folded where the regex ignores case). Empty when there are none.

    Example:
        >>> required_runs(r"(?i)\\bselect\\s+(distinct\\s+)?top\\s+\\(?\\d+")
        ('select', 'top')
        >>> required_runs(r"::\\s*[A-Za-z]")
        ('::',)
    """
    items = list(sre_parser.parse(regex, re.ASCII))
    if any(op is sre_constants.BRANCH for op, _ in items):
        return ()
    return tuple(_literal_runs(items))


def _sql_screen(sql: str, regex: str) -> str | None:
    """Substring tests every match of ``regex`` on ``sql`` passes (letters compared lower-cased)."""
    tests = [
        f"contains(lower({sql}), {_lit(r.lower())})" if any(c.isalpha() for c in r) else f"contains({sql}, {_lit(r)})"
        for r in required_runs(regex)
    ]
    return " AND ".join(tests) or None


def categorize(
    df, message: str = "error_message", sql: str | None = None, taxonomy: Taxonomy | None = None,
    normalized: bool = False,
):  # fmt: skip
    """Add ``category_l1``, ``category_l2``, ``category_l3`` and ``error_condition`` with Spark expressions.

    ``normalized``: ``message`` already holds ``with_normalized`` output (normalising is idempotent, so
    this only saves the work).

    Example (not run: needs Spark):
        pairs.transform(lambda df: categorize(df, "error_message", "bug_sql"))
    """
    taxonomy = taxonomy or load_taxonomy()
    df = df.withColumn("__norm", F.col(message)) if normalized else with_normalized(df, message, "__norm")
    text, low, cond = "`__norm`", "`__low`", "`error_condition`"
    sql_col = f"`{sql}`" if sql else None
    df = df.withColumn("error_condition", F.expr(f"nullif(regexp_extract({text}, {_lit(CONDITION)}, 1), '')"))
    guarded, unguarded = _routes(taxonomy)
    routes = "map(" + ", ".join(f"{_lit(c)}, {_lit(leaf.id)}" for c, leaf in sorted(unguarded.items())) + ")"
    # Flat CASE WHEN chains (nested ones overflow the code generator's compiler and run interpreted), and
    # each guarded condition's guards computed once, in a column of their own, for both routing keys.
    prefix = f"substring_index({cond}, '.', 1)"
    hits = {}
    for i, (name, leaves) in enumerate(sorted(guarded.items())):
        chain = " ".join(f"WHEN {_leaf_guards(leaf, text, sql_col)} THEN {_lit(leaf.id)}" for leaf in leaves)
        df = df.withColumn(f"__g{i}", F.expr(f"CASE WHEN {cond} = {_lit(name)} OR {prefix} = {_lit(name)} THEN CASE {chain} END END"))  # fmt: skip
        hits[name] = f"`__g{i}`"
    picks = []
    for key in (cond, prefix):  # the exact condition first
        picks += [f"CASE WHEN {key} = {_lit(name)} THEN {hit} END" for name, hit in hits.items()]
        picks.append(f"element_at({routes}, {key})")
    df = df.withColumn("__tag", F.expr(f"coalesce({', '.join(picks)})"))
    df = df.withColumn("__low", F.expr(f"CASE WHEN `__tag` IS NULL THEN lower({text}) END"))  # the scan's screen
    scan = " ".join(
        f"WHEN {_leaf_condition(leaf, text, sql_col, low)} THEN {_lit(leaf.id)}" for leaf in taxonomy.leaves
    )
    u = _lit(UNCLASSIFIED)
    leaf_id = f"CASE WHEN {text} = '' THEN {u} WHEN `__tag` IS NOT NULL THEN `__tag` ELSE CASE {scan} ELSE {u} END END"
    return (
        df.withColumn("category_l3", F.expr(leaf_id))
        .withColumn("category_l1", F.expr(f"CASE WHEN category_l3 = {u} THEN {u} ELSE substring_index(category_l3, '.', 1) END"))
        .withColumn("category_l2", F.expr(f"CASE WHEN category_l3 = {u} THEN {u} ELSE substring_index(category_l3, '.', 2) END"))
        .drop("__norm", "__tag", "__low", *[f"__g{i}" for i in range(len(hits))])
    )  # fmt: skip


def category_counts(df) -> list[tuple[str, int]]:
    """(leaf id, rows) for a labelled frame, most frequent first."""
    rows = (
        df.groupBy(F.coalesce("category_l3", F.lit(UNCLASSIFIED)).alias("c"))
        .count()
        .orderBy(F.desc("count"), "c")
        .collect()
    )
    return [(r["c"], r["count"]) for r in rows]
