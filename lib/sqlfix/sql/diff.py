"""The one line diff of sqlfix: which lines a fix changed, used by mining (in Spark), training labels,
spot-check rendering and the notebooks alike.

What a line is: the text is split at ``\\r\\n``, ``\\n`` or ``\\r``; spaces and tabs at the end of each line
are dropped; empty lines at the end of the text are dropped (a trailing newline is no line). So CRLF and LF
files, trailing blanks and a final newline never count as changes, and empty SQL has no line.

Which lines changed: lines are matched as multisets, in order of appearance. The k-th copy of a line in
the fix is *unchanged* if the bug has at least k copies of that line, else *changed* (added or modified);
likewise the k-th copy in the bug is *removed* if the fix has fewer than k copies. A line that only moved
is unchanged: its text is still there. ``changed_lines`` is the larger of the fix's changed lines and the
bug's removed lines (a modified line counts once, an added or deleted line once each), so the count and
the per-line roles come from the same matching. A pair with no changed line (same text, or only
whitespace, line endings or line order differ) carries no diff: mining drops it as ``no_change``.

``with_diff_stats`` computes the same numbers in Spark with built-in expressions; one fixture file
(``tests/fixtures/line_diff.yaml``) is walked by the Python functions, the Spark expression, the training
labels and the rendering.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Spark is imported by the column functions only: training and generation run without it
    from pyspark.sql import Column, DataFrame

_BREAK = re.compile(r"\r\n|\n|\r")


def split_lines(sql: str | None) -> list[str]:
    """The lines of ``sql`` as the diff sees them.

    Example:
        >>> split_lines("SELECT a,  \\r\\n  b\\rFROM t\\n\\n")
        ['SELECT a,', '  b', 'FROM t']
        >>> split_lines(""), split_lines("\\n  \\n")
        ([], [])
    """
    lines = [line.rstrip(" \t") for line in _BREAK.split(sql or "")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def line_roles(bug_sql: str | None, fixed_sql: str | None) -> list[bool]:
    """For each line of the fix (``split_lines``): True when it is changed (added or modified).

    Example:
        >>> line_roles("SELECT a\\nFROM t\\nWHER x > 1", "SELECT a\\nFROM t\\nWHERE x > 1\\nLIMIT 5")
        [False, False, True, True]
        >>> line_roles("FROM t\\nSELECT a", "SELECT a\\nFROM t")  # moved, not changed
        [False, False]
    """
    return _matched(split_lines(fixed_sql), Counter(split_lines(bug_sql)))


def removed_lines(bug_sql: str | None, fixed_sql: str | None) -> list[bool]:
    """For each line of the bug: True when the fix no longer has it.

    Example:
        >>> removed_lines("SELECT a\\nFROM t\\nWHER x > 1", "SELECT a\\nFROM t\\nWHERE x > 1")
        [False, False, True]
    """
    return _matched(split_lines(bug_sql), Counter(split_lines(fixed_sql)))


def changed_lines(bug_sql: str | None, fixed_sql: str | None) -> int:
    """How many lines the fix changed.

    Example:
        >>> changed_lines("SELECT a\\nFROM t\\nWHERE x = 1", "SELECT a, b\\nFROM t\\nWHERE x = 1")
        1
        >>> changed_lines("SELECT a\\nFROM t", "SELECT a\\nFROM t\\nLIMIT 10\\n-- done")
        2
        >>> changed_lines("SELECT 1\\n", "SELECT 1")
        0
    """
    return max(sum(line_roles(bug_sql, fixed_sql)), sum(removed_lines(bug_sql, fixed_sql)))


def _matched(lines: list[str], other: Counter) -> list[bool]:
    seen: Counter = Counter()
    roles = []
    for line in lines:
        seen[line] += 1
        roles.append(seen[line] > other[line])
    return roles


def render_diff(bug_sql: str | None, fixed_sql: str | None, width: int = 60) -> str:
    """Bug and fix side by side, one row per line. Rows are laid out by an ordered diff, so related lines
    face each other; the marks come from the one line diff: ``<`` the bug's line was removed, ``>`` the
    fix's line is changed, ``|`` both, blank neither (a moved line is not marked).

    Example:
        >>> print(render_diff("SELECT a\\nFROM t\\nWHER x", "SELECT a\\nFROM t\\nWHERE x", width=12))
          SELECT a     | SELECT a
          FROM t       | FROM t
        | WHER x       | WHERE x
    """
    a, b = split_lines(bug_sql), split_lines(fixed_sql)
    gone, new = removed_lines(bug_sql, fixed_sql), line_roles(bug_sql, fixed_sql)
    clip = lambda s: (s if len(s) <= width else s[: width - 1] + "~").ljust(width)  # noqa: E731
    out = []
    for _, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = (i1 + k if i1 + k < i2 else None), (j1 + k if j1 + k < j2 else None)
            left, right = i is not None and gone[i], j is not None and new[j]
            mark = "|" if left and right else "<" if left else ">" if right else " "
            out.append(f"{mark} {clip(a[i] if i is not None else '')} | {b[j] if j is not None else ''}".rstrip())
    return "\n".join(out)


def with_diff_stats(pairs: DataFrame, bug: str = "bug_sql", fix: str = "fixed_sql") -> DataFrame:
    """Add ``changed_lines``, ``bug_lines``, ``fixed_lines`` and ``changed_line_ratio`` (changed lines over
    the longer side's lines; null when both sides are empty) to a frame of pairs: ``changed_lines`` per row
    with built-in array functions (no Python UDF, no shuffle). Each side's lines are sorted and tagged with
    their occurrence number, so the set intersection counts duplicate lines as a multiset."""
    from pyspark.sql import functions as F

    out = pairs.withColumn("_b", F.sort_array(lines_column(F.col(bug)))).withColumn(
        "_f", F.sort_array(lines_column(F.col(fix)))
    )
    # Each step in a projection of its own: the intersection is computed once, not at every reference.
    out = out.withColumn("bug_lines", F.size("_b").cast("int")).withColumn("fixed_lines", F.size("_f").cast("int"))
    out = out.withColumn("_common", F.size(F.array_intersect(_tagged("_b"), _tagged("_f")))).drop("_b", "_f")
    n_bug, n_fix, common = F.col("bug_lines"), F.col("fixed_lines"), F.col("_common")
    out = out.withColumn("changed_lines", F.greatest(n_fix - common, n_bug - common).cast("int"))
    ratio = F.round(F.col("changed_lines") / F.nullif(F.greatest(n_bug, n_fix), F.lit(0)), 4)
    return out.withColumn("changed_line_ratio", ratio).drop("_common")


def lines_column(sql: Column) -> Column:
    """``split_lines`` as a Spark expression (an array of strings)."""
    from pyspark.sql import functions as F

    # Trailing blanks and trailing line breaks removed by regexes over the whole text, and only where they
    # can be (cheaper than a lambda per line): most SQL just splits at '\n'.
    messy = (
        sql.contains(" \n") | sql.contains("\t\n") | sql.contains("\r") | sql.endswith(" ") | sql.endswith("\t")
        | sql.endswith("\n")
    )  # fmt: skip
    clean = F.regexp_replace(F.regexp_replace(sql, r"[ \t]+(\r\n|\n|\r|$)", "$1"), r"[\r\n]+$", "")
    text = F.when(messy, clean).otherwise(F.coalesce(sql, F.lit("")))
    return F.when(text == "", F.array().cast("array<string>")).otherwise(F.split(text, "\r\n|\n|\r"))


def _tagged(sorted_col: str) -> Column:
    """Make repeated lines distinct: in a sorted array the k-th copy of a line (k > 1) gets tag k."""
    from pyspark.sql import functions as F

    s = F.col(sorted_col)
    repeat = lambda x, i: (i > 0) & (F.element_at(s, i) == x)  # noqa: E731 - element_at is 1-based: the previous one
    tag = lambda x, i: F.concat(x, F.lit("\u0000"), (i - F.array_position(s, x) + 1).cast("string"))  # noqa: E731
    return F.transform(s, lambda x, i: F.when(repeat(x, i), tag(x, i)).otherwise(x))


# --- The token diff: how many tokens a fix edits (edit size in evaluation, plausibility in repair) ---------

# a comment is one token: an apostrophe in it (``-- there's``) opens no literal
_TOKEN = re.compile(r"--[^\n]*|/\*.*?(?:\*/|$)|\w+|'(?:[^'\\]|\\.)*'?|\S", re.S)
_WORD = re.compile(r"--[^\n]*|/\*.*?(?:\*/|$)|\w+|\S", re.S)


def sql_tokens(sql: str | None, literals: bool = True) -> list[str]:
    """Words, string literals, comments and punctuation characters; whitespace and line breaks are no
    tokens. With ``literals=False`` a quote is a punctuation character like any other (a moved quote
    re-pairs every literal after it, so only then is a quote edit one token).

    Example:
        >>> sql_tokens("SELECT a.x,'b c' FROM t")
        ['SELECT', 'a', '.', 'x', ',', "'b c'", 'FROM', 't']
        >>> sql_tokens("SELECT 'b c", literals=False)
        ['SELECT', "'", 'b', 'c']
        >>> sql_tokens("-- there's one\\nSELECT 'x' /* it's */ FROM t")
        ["-- there's one", 'SELECT', "'x'", "/* it's */", 'FROM', 't']
    """
    return (_TOKEN if literals else _WORD).findall(sql or "")


def token_opcodes(before: str | None, after: str | None,
                  literals: bool = True) -> list[tuple[str, list[str], list[str]]]:  # fmt: skip
    """The token edits from ``before`` to ``after``: (``replace`` / ``delete`` / ``insert``, old tokens,
    new tokens), in order (``literals``: as in ``sql_tokens``).

    Example:
        >>> token_opcodes("SELECT sum(a)) FROM t", "SELECT sum(a) FROM t")
        [('delete', [')'], [])]
        >>> token_opcodes("WHERE x IN ('a, 'b')", "WHERE x IN ('a', 'b')", literals=False)
        [('insert', [], ["'"])]
    """
    left, right = sql_tokens(before, literals), sql_tokens(after, literals)
    ops = difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes()
    return [(tag, left[i1:i2], right[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def token_edits(bug_sql: str | None, fixed_sql: str | None) -> int:
    """How many tokens (words, string literals, punctuation characters) the fix inserts, deletes or
    replaces: 1 for a misspelt name or keyword, a stray or missing parenthesis or comma.

    Example:
        >>> token_edits("SELECT a, b FORM t", "SELECT a, b FROM t"), token_edits("SELECT sum(a FROM t", "SELECT sum(a) FROM t")
        (1, 1)
        >>> token_edits("SELECT a FROM t WHERE sum(a) > 1 GROUP BY a", "SELECT a FROM t GROUP BY a HAVING sum(a) > 1")
        7
    """
    return sum(max(len(old), len(new)) for _, old, new in token_opcodes(bug_sql, fixed_sql))


def char_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions of one character), case-insensitive.

    Example:
        >>> char_distance("ship_statex", "ship_state"), char_distance("ship_statex", "ship_date"), char_distance("", "ab")
        (1, 3, 2)
    """
    a, b = a.lower(), b.lower()
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def close_names(name: str, other: str) -> bool:
    """Whether ``other`` is a misspelling away from ``name``: at most max(2, len(name) // 4) character edits,
    case-insensitive. A dropped, doubled or swapped letter is close; another table's column usually is not.
    The taxonomy's ``suggestions_far`` guard says this in Spark SQL too (``levenshtein``).

    Example:
        >>> close_names("amout", "amount"), close_names("signup_date", "order_date")
        (True, False)
    """
    return char_distance(name, other) <= max(2, len(name) // 4)
