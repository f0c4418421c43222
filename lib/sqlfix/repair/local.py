"""Localised repair: the model rewrites only the part of a long query that holds Spark's error, spliced back,
so that a fix is the length of that part, not of the whole query again.

The part must be a query the model can read as one (it is trained on whole queries: given a window of lines
it writes a whole query back, measured in ``benchmarks/fix_latency.py``). So a ``Region`` is either the body
of the CTE whose lines hold the error (``name AS (`` on its own line, the closing parenthesis on its own),
or the statement without the comment lines above and below it (a scheduled query's header). When neither
is at most ``share`` of the query, there is no region and the whole query is rewritten, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlfix.repair.rules import error_position

_LINE = re.compile(r"(line )(\d+)(,? pos \d+)")
_CTE_OPEN = re.compile(r"^\s*(?:WITH\s+)?[`\w]+\s+AS\s*\(\s*$", re.I)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|`[^`]*`|--.*$")


@dataclass(frozen=True)
class Region:
    start: int  # the first line (0-based)
    end: int  # one past the last
    text: str
    message: str  # the error, its line number counted from the region's first line


def region(sql: str, message: str | None, share: float = 0.7) -> Region | None:
    """The CTE body or the bare statement that holds the error's line, if it is at most ``share`` of the lines.

    Example:
        >>> q = "WITH a AS (\\n  SELECT x FROM t\\n),\\nb AS (\\n  SELECT CAST(x STRING) AS y\\n  FROM a\\n)\\nSELECT * FROM b"
        >>> r = region(q, "[PARSE_SYNTAX_ERROR] ... (line 5, pos 16)")
        >>> r.start, r.end, r.text, r.message
        (4, 6, '  SELECT CAST(x STRING) AS y\\n  FROM a', '[PARSE_SYNTAX_ERROR] ... (line 1, pos 16)')
    """
    pos = error_position(message)
    lines = sql.split("\n")
    if pos is None or not 1 <= pos[0] <= len(lines):
        return None
    line = pos[0] - 1
    span = _cte_body(lines, line) or _statement(lines)
    if span is None or not span[0] <= line < span[1] or span[1] - span[0] > share * len(lines):
        return None
    start, end = span
    relative = _LINE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) - start}{m.group(3)}", message or "", count=1)
    return Region(start, end, "\n".join(lines[start:end]), relative)


def _cte_body(lines: list[str], line: int) -> tuple[int, int] | None:
    """(first, one past the last) body line of the CTE that holds ``line``, when it is laid out one per line."""
    for opener in range(line - 1, -1, -1):
        if not _CTE_OPEN.match(lines[opener]):
            continue
        depth = 1
        for close in range(opener + 1, len(lines)):
            code = _QUOTED.sub("", lines[close])
            depth += code.count("(") - code.count(")")
            if depth <= 0:
                if code.strip().startswith(")") and opener + 1 <= line < close:
                    return opener + 1, close
                return None
        return None
    return None


def _statement(lines: list[str]) -> tuple[int, int] | None:
    """The lines of the statement without the comment and blank lines above and below it."""
    code = [i for i, text in enumerate(lines) if text.strip() and not text.strip().startswith("--")]
    return (code[0], code[-1] + 1) if code else None


def splice(sql: str, where: Region, fixed: str) -> str:
    """``sql`` with the region's lines replaced by ``fixed`` (the model's answer for them).

    Example:
        >>> q = "-- header\\nSELECT CAST(x STRING) AS y\\nFROM t"
        >>> splice(q, region(q, "(line 2, pos 14)"), "SELECT CAST(x AS STRING) AS y\\nFROM t\\n")
        '-- header\\nSELECT CAST(x AS STRING) AS y\\nFROM t'
    """
    lines = sql.split("\n")
    return "\n".join(lines[: where.start] + fixed.strip("\n").split("\n") + lines[where.end :])
