"""Line roles of a fix, and which line each target token belongs to.

A line of the fixed SQL is *consistent* when it is unchanged from the bug SQL (an ``equal`` block of a line
diff) and *diff* when it was added or modified. Lines are compared without their line ending and trailing
spaces (CRLF and LF files diff alike); a moved line is a diff line where it lands.
"""

from __future__ import annotations

import bisect
import difflib


def split_lines(text: str) -> list[str]:
    """Lines without their endings (``\\r\\n``, ``\\n`` or ``\\r``).

    Example:
        >>> split_lines("a\\r\\nb\\n\\nc")
        ['a', 'b', '', 'c']
    """
    return text.splitlines()


def line_roles(bug_sql: str, fixed_sql: str) -> list[bool]:
    """For each line of ``fixed_sql``: True when it is a diff line (added or modified).

    Example:
        >>> line_roles("SELECT a\\nFROM t\\nWHER x > 1", "SELECT a\\nFROM t\\nWHERE x > 1\\nLIMIT 5")
        [False, False, True, True]
        >>> line_roles("SELECT a  \\r\\nFROM t", "SELECT a\\nFROM t")
        [False, False]
    """
    bug = [line.rstrip() for line in split_lines(bug_sql)]
    fix = [line.rstrip() for line in split_lines(fixed_sql)]
    roles = [True] * len(fix)
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, bug, fix, autojunk=False).get_opcodes():
        if tag == "equal":
            for j in range(j1, j2):
                roles[j] = False
    return roles


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
