"""Which line of the fix each target token belongs to. Which lines are *diff* lines (changed) and which
*consistent* (unchanged) is the one line diff's answer (``sqlfix.sql.diff.line_roles``); lines break at
``\r\n``, ``\n`` or ``\r`` here as there.
"""

from __future__ import annotations

import bisect


def line_starts(text: str) -> list[int]:
    """Character offset where each line starts (a line owns its terminating newline).

    Example:
        >>> line_starts("ab\\r\\ncd\\ne")
        [0, 4, 7]
    """
    starts, i = [0], 0
    while i < len(text):
        if text[i] == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            i += 1
        if text[i] in "\r\n" and i + 1 < len(text):
            starts.append(i + 1)
        i += 1
    return starts


def token_lines(offsets: list[tuple[int, int]], text: str) -> list[int]:
    """The line of each token from its character span: the line of its last character, so a token that
    spans two lines belongs to the later one. Tokens with an empty span (special tokens) get -1.

    Example:
        >>> token_lines([(0, 6), (6, 8), (8, 9), (9, 13), (13, 13)], "SELECT a\\nFROM")
        [0, 0, 0, 1, -1]
        >>> token_lines([(0, 3)], "a\\nb")  # one token over the newline: the later line
        [1]
    """
    starts = line_starts(text)
    return [bisect.bisect_right(starts, end - 1) - 1 if end > start else -1 for start, end in offsets]
