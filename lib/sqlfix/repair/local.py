"""Localised repair: the model rewrites only the lines around Spark's error position, spliced back into the
query, so that a fix of a long query is tens of generated tokens, not the whole query again.

A ``Region`` is the lines within ``radius`` of the line Spark's error names; the model sees those lines as the
bug SQL (the error's line number made relative to them) under the same fixer prompt, and its answer replaces
them. The spliced query is verified like any candidate; whole-query rewriting stays as the fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlfix.repair.rules import error_position

_LINE = re.compile(r"(line )(\d+)(,? pos \d+)")


@dataclass(frozen=True)
class Region:
    start: int  # the first line (0-based)
    end: int  # one past the last
    text: str
    message: str  # the error, its line number counted from the region's first line


def region(sql: str, message: str | None, radius: int) -> Region | None:
    """The lines within ``radius`` of the error's line (``None`` when the message names no position).

    Example:
        >>> r = region("SELECT\\n  a,\\n  CAST(b STRING)\\nFROM t\\nWHERE c", "... (line 3, pos 14)", 1)
        >>> r.start, r.end, r.text, r.message
        (1, 4, '  a,\\n  CAST(b STRING)\\nFROM t', '... (line 2, pos 14)')
    """
    pos = error_position(message)
    lines = sql.split("\n")
    if pos is None or not 1 <= pos[0] <= len(lines):
        return None
    line = pos[0] - 1
    start, end = max(0, line - radius), min(len(lines), line + radius + 1)
    relative = _LINE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) - start}{m.group(3)}", message or "", count=1)
    return Region(start, end, "\n".join(lines[start:end]), relative)


def splice(sql: str, where: Region, fixed: str) -> str:
    """``sql`` with the region's lines replaced by ``fixed`` (the model's answer for them).

    Example:
        >>> r = region("SELECT\\n  a,\\n  CAST(b STRING)\\nFROM t", "(line 3, pos 14)", 0)
        >>> splice("SELECT\\n  a,\\n  CAST(b STRING)\\nFROM t", r, "  CAST(b AS STRING)\\n")
        'SELECT\\n  a,\\n  CAST(b AS STRING)\\nFROM t'
    """
    lines = sql.split("\n")
    return "\n".join(lines[: where.start] + fixed.strip("\n").split("\n") + lines[where.end :])
