"""When two SQL texts are "the same SQL": the one normalisation that deduplication and leakage use."""

from __future__ import annotations

import re

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def normalized(sql: str | None) -> str:
    """The SQL as leakage and dedupe compare it: no comments, one space, lower case.

    Example:
        >>> normalized("SELECT a -- x\\n  FROM   T")
        'select a from t'
    """
    return " ".join(_COMMENT.sub(" ", sql or "").split()).lower()
