"""Per-sample metrics of a predicted fix against the reference fix, and their aggregation by group.

- ``exact``: equal after collapsing every run of whitespace (case, comments and literals count).
- ``ast``: equal canonical forms (``sql.normalize.canonical``: sqlglot's Spark-dialect AST printed again).
  What that normalises: whitespace, line breaks, comments, keyword case, the case and backquotes of
  identifiers (Spark resolves names case-insensitively), optional ``AS``, redundant parentheses sqlglot
  drops, the quote character of string literals (``"a"`` and ``'a'``) and spellings sqlglot maps to one
  node (``!=``/``<>``). What it keeps: literal values (``'A'`` vs ``'a'``, ``1`` vs ``1.0``) and the order
  of everything. A prediction sqlglot cannot parse never matches, and (in ``score``) neither does one
  Spark's analyzer rejects: sqlglot accepts some invalid SQL (a doubled comma is dropped on printing), and
  Spark is the judge of validity.
- ``preservation``: of the lines the reference keeps unchanged from the bug (the one line diff,
  ``sql.diff``), the share the prediction keeps verbatim (a constant that gains a zero loses its line).
- ``over_edits``: how many more lines the prediction changed than the reference (0 when it changed no more).
- ``diff_bucket``: the reference's changed lines as 1, 2, 3-5 or 6+; ``edit_size``: ``single-token`` when the
  reference is one token edit (``token_edits``), else ``multi-token``.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlfix.sql.diff import changed_lines, line_roles, split_lines, token_edits
from sqlfix.sql.normalize import canonical

METRICS = ("exact", "ast", "analysis_pass", "error_gone", "preservation", "over_edits")


def exact_match(prediction: str | None, reference: str | None) -> bool:
    """Equal after collapsing whitespace.

    Example:
        >>> exact_match("SELECT a\\n  FROM t", "SELECT a FROM t"), exact_match("select a from t", "SELECT a FROM t")
        (True, False)
    """
    return " ".join((prediction or "").split()) == " ".join((reference or "").split())


def ast_match(prediction: str | None, reference: str | None) -> bool:
    """Equal canonical ASTs (see the module's docstring for what is normalised).

    Example:
        >>> ast_match("select A.x from T a -- c", "SELECT a.x\\nFROM t AS a")
        True
        >>> ast_match("SELECT 'A' FROM t", "SELECT 'a' FROM t"), ast_match("SELECT (a", "SELECT (a")
        (False, False)
    """
    left = canonical(prediction)
    return left is not None and left == canonical(reference)


def preservation(bug_sql: str, reference: str, prediction: str | None) -> float | None:
    """Share of the reference's unchanged lines that the prediction keeps verbatim; None when the
    reference changes every line.

    Example:
        >>> bug = "SELECT a,\\n  b\\nFROM t\\nWHERE x > 10\\nLIMT 5"
        >>> ref = "SELECT a,\\n  b\\nFROM t\\nWHERE x > 10\\nLIMIT 5"
        >>> preservation(bug, ref, "SELECT a,\\n  b\\nFROM t\\nWHERE x > 100\\nLIMIT 5")
        0.75
    """
    kept = Counter(line for line, changed in zip(split_lines(reference), line_roles(bug_sql, reference), strict=True)
                   if not changed)  # fmt: skip
    total = sum(kept.values())
    if not total:
        return None
    have = Counter(split_lines(prediction))
    return sum(min(n, have[line]) for line, n in kept.items()) / total


def over_edits(bug_sql: str, reference: str, prediction: str | None) -> int:
    """How many more lines the prediction changed than the reference did (``changed_lines`` of each
    against the bug; never below 0).

    Example:
        >>> bug = "SELECT a\\nFROM t\\nWHERE x > 10\\nLIMT 5"
        >>> over_edits(bug, "SELECT a\\nFROM t\\nWHERE x > 10\\nLIMIT 5", "SELECT a\\nFROM t\\nWHERE x > 100\\nLIMIT 5")
        1
        >>> over_edits(bug, "SELECT a\\nFROM t\\nWHERE x > 10\\nLIMIT 5", "SELECT a\\nFROM t\\nWHERE x > 10\\nLIMIT 50")
        0
    """
    return max(0, changed_lines(bug_sql, prediction) - changed_lines(bug_sql, reference))


def diff_bucket(changed: int | None) -> str:
    """The changed-line bucket of a reference fix.

    Example:
        >>> [diff_bucket(n) for n in (0, 1, 2, 3, 5, 6, 40)]
        ['0', '1', '2', '3-5', '3-5', '6+', '6+']
    """
    n = int(changed or 0)
    return "0" if n <= 0 else "1" if n == 1 else "2" if n == 2 else "3-5" if n <= 5 else "6+"


def edit_size(bug_sql: str, fixed_sql: str) -> str:
    """``single-token`` when the reference fix is one token edit, else ``multi-token``."""
    return "single-token" if token_edits(bug_sql, fixed_sql) <= 1 else "multi-token"


def score(bug_sql: str, reference: str, prediction: str | None, analysis_pass: bool | None = None,
          error_gone: bool | None = None) -> dict:  # fmt: skip
    """Every metric of one sample (the analyzer's two as given by the caller's dry run).

    Example:
        >>> s = score("SELECT a\\nFORM t", "SELECT a\\nFROM t", "select a\\nFROM t", True, True)
        >>> (s["exact"], s["ast"], s["preservation"], s["over_edits"], s["diff_bucket"])
        (False, True, 0.0, 1, '1')
    """
    return {
        "exact": exact_match(prediction, reference),
        "ast": ast_match(prediction, reference) and analysis_pass is not False,
        "analysis_pass": analysis_pass,
        "error_gone": error_gone,
        "preservation": preservation(bug_sql, reference, prediction),
        "over_edits": over_edits(bug_sql, reference, prediction),
        "changed_lines": changed_lines(bug_sql, reference),
        "diff_bucket": diff_bucket(changed_lines(bug_sql, reference)),
        "edit_size": edit_size(bug_sql, reference),
    }


def aggregate(rows: list[dict], by: str | None = None) -> dict:
    """Mean of each metric (booleans as rates; None values left out) overall, or per value of ``by``.

    Example:
        >>> rows = [{"ast": True, "exact": False, "preservation": 1.0, "over_edits": 0, "g": "x"},
        ...         {"ast": False, "exact": False, "preservation": None, "over_edits": 2, "g": "y"}]
        >>> aggregate(rows)["all"]["ast"], aggregate(rows, by="g")["y"]["over_edits"], aggregate(rows)["all"]["n"]
        (0.5, 2.0, 2)
    """
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups["all" if by is None else str(row.get(by))].append(row)
    out = {}
    for key, members in sorted(groups.items()):
        entry: dict = {"n": len(members)}
        for metric in METRICS:
            values = [float(r[metric]) for r in members if r.get(metric) is not None]
            entry[metric] = round(sum(values) / len(values), 4) if values else None
        out[key] = entry
    return out
