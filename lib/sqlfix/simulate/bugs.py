"""Bug mutators: the mistakes users make while editing a task, one named rule each.

A mutator takes the lines of a valid query and a ``random.Random`` and returns the lines with one bug
(and the index of the line it changed), or ``None`` where it does not apply. Whether the result
really fails, and with which message, is decided by Spark (``sqlfix.filtering.dryrun``), not here.
``companion_edit`` makes the other edits a user does in the same fix (the paper's multi-line diffs).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

Mutation = tuple[list[str], int]
Mutator = Callable[[list[str], random.Random], "Mutation | None"]

_QUALIFIED = re.compile(r"\b([a-z]{1,2}\d?)\.([a-z_]{3,})\b")
_FUNCS = {"SUM(": "SUMM(", "COUNT(": "CNT(", "to_date(": "todate(", "datediff(": "date_diff_days(", "ROUND(": "ROUNDUP(",
          "hour(": "hours(", "lower(": "lcase_str(", "explode(": "explode_array(", "AVG(": "AVERAGE("}  # fmt: skip


def _pick(rng: random.Random, lines: list[str], pred) -> int | None:
    idx = [i for i, line in enumerate(lines) if not line.lstrip().startswith("--") and pred(line)]
    return rng.choice(idx) if idx else None


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "swap", "plural", "double"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind == "plural":
        return word + "s"
    return word[:i] + word[i] + word[i:]


def _replace(lines: list[str], i: int, new: str) -> Mutation | None:
    if new == lines[i]:
        return None
    out = list(lines)
    out[i] = new
    return out, i


def column_typo(lines, rng):
    i = _pick(rng, lines, lambda s: _QUALIFIED.search(s) and " JOIN " not in s and "FROM " not in s)
    if i is None:
        return None
    matches = list(_QUALIFIED.finditer(lines[i]))
    m = rng.choice(matches)
    new = lines[i][: m.start(2)] + _typo(m.group(2), rng) + lines[i][m.end(2) :]
    return _replace(lines, i, new)


def table_typo(lines, rng):
    i = _pick(rng, lines, lambda s: re.search(r"\bFROM [a-z]+\.[a-z_]+", s))
    if i is None:
        return None
    m = re.search(r"\bFROM ([a-z]+)\.([a-z_]+)", lines[i])
    return _replace(lines, i, lines[i][: m.start(2)] + _typo(m.group(2), rng) + lines[i][m.end(2) :])


def missing_comma(lines, rng):
    i = _pick(rng, lines, lambda s: s.rstrip().endswith(",") and not s.lstrip().startswith(("),", "LEFT", "ON")))
    return None if i is None else _replace(lines, i, lines[i].rstrip()[:-1])


def extra_comma(lines, rng):
    i = _pick(
        rng, lines, lambda s: re.match(r"\s+\S", s) and not s.rstrip().endswith(",") and re.search(r"\w$", s.rstrip())
    )
    if i is None or i + 1 >= len(lines) or not re.match(r"\s*(FROM|GROUP|\)|ORDER|HAVING|WHERE)", lines[i + 1]):
        return None
    return _replace(lines, i, lines[i].rstrip() + ",")


def unbalanced_paren(lines, rng):
    i = _pick(rng, lines, lambda s: ")" in s and "(" in s)
    if i is None:
        return None
    line = lines[i]
    j = line.rfind(")")
    return _replace(lines, i, line[:j] + line[j + 1 :])


def keyword_typo(lines, rng):
    i = _pick(rng, lines, lambda s: re.search(r"\b(FROM|GROUP BY|WHERE|SELECT|ORDER BY)\b", s))
    if i is None:
        return None
    swaps = {"FROM": "FORM", "GROUP BY": "GROUP", "WHERE": "WHERE WHERE", "SELECT": "SELEC", "ORDER BY": "ORDER"}
    m = re.search(r"\b(FROM|GROUP BY|WHERE|SELECT|ORDER BY)\b", lines[i])
    return _replace(lines, i, lines[i][: m.start()] + swaps[m.group(1)] + lines[i][m.end() :])


def dialect_syntax(lines, rng):
    limit = _pick(rng, lines, lambda s: re.match(r"LIMIT \d+$", s.strip()))
    if limit is not None and rng.random() < 0.5:
        n = lines[limit].split()[1]
        return _replace(lines, limit, f"LIMIT 0, {n}")
    i = _pick(rng, lines, lambda s: s.strip() == "SELECT")
    if i is None:
        return None
    return _replace(lines, i, lines[i].replace("SELECT", f"SELECT TOP {rng.choice((10, 100))}"))


def unknown_function(lines, rng):
    i = _pick(rng, lines, lambda s: any(f in s for f in _FUNCS))
    if i is None:
        return None
    f = rng.choice([f for f in _FUNCS if f in lines[i]])
    return _replace(lines, i, lines[i].replace(f, _FUNCS[f], 1))


def wrong_arg_count(lines, rng):
    i = _pick(rng, lines, lambda s: re.search(r"datediff\(|ROUND\(|LAG\(|to_date\(", s))
    if i is None:
        return None
    line = lines[i]
    for pat, rep in (
        (r"datediff\(('[^']*'), ", r"datediff("),
        (r"(ROUND\(.*), \d+\)", r"\1)"),
        (r"to_date\(", "to_date(current_date(), 'x', "),
    ):
        if re.search(pat, line):
            new = re.sub(pat, rep, line, count=1)
            if pat.startswith("(ROUND"):
                new = line.replace("ROUND(", "ROUND(1, ", 1)
            return _replace(lines, i, new)
    return _replace(lines, i, re.sub(r"LAG\(([^)]*\)), 1\)", r"LAG(\1, 1, 0, 1, 2)", line, count=1))


def missing_group_by(lines, rng):
    try:
        start = next(i for i, s in enumerate(lines) if s.strip() == "GROUP BY")
    except StopIteration:
        return None
    items = [
        i for i in range(start + 1, len(lines)) if lines[i].startswith("  ") and not lines[i].strip().startswith(")")
    ]
    items = [i for i in items if i == start + 1 or lines[i - 1].rstrip().endswith(",")]
    if len(items) < 2:
        return None
    i = rng.choice(items[:-1])
    out = list(lines)
    out[i] = "  -- " + lines[i].strip() + " (temporarily removed)"
    return out, i


def ambiguous_column(lines, rng):
    if not any(" JOIN " in s or s.startswith("LEFT JOIN") for s in lines):
        return None
    i = _pick(rng, lines, lambda s: re.search(r"\bON b\.(\w+) = ", s))
    if i is None:
        return None
    return _replace(lines, i, re.sub(r"\bON b\.(\w+) = \w+\.(\w+)", r"ON \1 = \2", lines[i], count=1))


def aggregate_in_where(lines, rng):
    i = _pick(rng, lines, lambda s: s.startswith("HAVING "))
    return None if i is None else _replace(lines, i, lines[i].replace("HAVING ", "WHERE ", 1))


def window_without_order(lines, rng):
    i = _pick(rng, lines, lambda s: "row_number() OVER (PARTITION BY" in s and "ORDER BY" in s)
    return None if i is None else _replace(lines, i, re.sub(r" ORDER BY [^)]*\)", ")", lines[i], count=1))


def type_mismatch(lines, rng):
    i = _pick(rng, lines, lambda s: re.search(r"\b(SUM|AVG)\(b\.(\w+)\)", s))
    if i is None:
        return None
    return _replace(lines, i, re.sub(r"\b(SUM|AVG)\(b\.(\w+)\)", r"\1(b.event_date)", lines[i], count=1))


# Ordered registry: name -> mutator. Ids are stable (ground truth and tests name them).
MUTATORS: dict[str, Mutator] = {
    "column_typo": column_typo,
    "table_typo": table_typo,
    "missing_comma": missing_comma,
    "extra_comma": extra_comma,
    "unbalanced_paren": unbalanced_paren,
    "keyword_typo": keyword_typo,
    "dialect_syntax": dialect_syntax,
    "unknown_function": unknown_function,
    "wrong_arg_count": wrong_arg_count,
    "missing_group_by": missing_group_by,
    "ambiguous_column": ambiguous_column,
    "aggregate_in_where": aggregate_in_where,
    "window_without_order": window_without_order,
    "type_mismatch": type_mismatch,
}
# How often users make each mistake (relative weights).
WEIGHTS = {"column_typo": 8, "table_typo": 3, "missing_comma": 6, "extra_comma": 3, "unbalanced_paren": 3,
           "keyword_typo": 2, "dialect_syntax": 2, "unknown_function": 4, "wrong_arg_count": 2, "missing_group_by": 5,
           "ambiguous_column": 3, "aggregate_in_where": 2, "window_without_order": 1, "type_mismatch": 3}  # fmt: skip


def companion_edit(lines: list[str], rng: random.Random, avoid: set[int]) -> Mutation | None:
    """A valid edit of another line made in the same fix: a literal, a comment, a threshold, or layout."""
    literal = [
        i
        for i, s in enumerate(lines)
        if i not in avoid and (s.lstrip().startswith("--") or re.search(r"'\d{4}-\d{2}-\d{2}'|\b\d+\b", s))
    ]
    if literal and rng.random() < 0.7:
        i = rng.choice(literal)
        line = lines[i]
        if line.lstrip().startswith("--"):
            return _replace(lines, i, line + rng.choice((" (draft)", " TODO check", " v1")))
        if re.search(r"'\d{4}-\d{2}-\d{2}'", line):
            shift = lambda m: f"'{m.group(1)}-{max(1, int(m.group(2)) - 1):02d}'"  # noqa: E731
            return _replace(lines, i, re.sub(r"'(\d{4}-\d{2})-(\d{2})'", shift, line, count=1))
        return _replace(
            lines, i, re.sub(r"\b(\d+)\b", lambda m: str(int(m.group(1)) + rng.choice((1, 2, 5))), line, count=1)
        )
    # Layout: the user re-indented or re-cased a line while fixing.
    layout = [i for i, s in enumerate(lines) if i not in avoid and s.strip() and not s.lstrip().startswith("--")]
    if not layout:
        return None
    i = rng.choice(layout)
    line = lines[i]
    if re.search(r"\b(AS|AND|ON|BY)\b", line) and rng.random() < 0.5:
        return _replace(lines, i, re.sub(r"\b(AS|AND|ON|BY)\b", lambda m: m.group(1).lower(), line, count=1))
    return _replace(lines, i, ("  " + line) if rng.random() < 0.6 or not line.startswith("  ") else line[2:])


def meaning_change(lines: list[str], i: int) -> list[str] | None:
    """A 'fix' that deletes the broken line instead of correcting it (changes the query's meaning)."""
    if (
        i == 0
        or lines[i].strip() in ("SELECT", "FROM", "GROUP BY")
        or lines[i].lstrip().startswith(("FROM", "WITH", ")"))
    ):
        return None
    out = list(lines)
    del out[i]
    if out[i - 1].rstrip().endswith(",") and (i >= len(out) or re.match(r"\s*(FROM|GROUP|\)|ORDER|HAVING)", out[i])):
        out[i - 1] = out[i - 1].rstrip()[:-1]
    return out
