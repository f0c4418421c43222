"""Statements of a SQL script."""

from __future__ import annotations

import sqlglot
from sqlglot.tokens import TokenType


def split_statements(text: str, dialect: str = "spark") -> list[str]:
    """Split a SQL script on top-level semicolons (not those in strings or comments; as ``dialect`` writes
    them).

    Example:
        >>> split_statements("CREATE TABLE a (x STRING COMMENT 'a;b'); -- c;\\nCREATE TABLE b (y INT);")
        ["CREATE TABLE a (x STRING COMMENT 'a;b')", '-- c;\\nCREATE TABLE b (y INT)']
    """
    if ";" not in text:  # nothing to split (most logged SQL): skip the tokenizer, same answer
        return [text.strip()] if text.strip() else []
    try:
        tokens = sqlglot.tokenize(text, read=dialect)
    except Exception:  # noqa: BLE001 - unbalanced quotes and the like: fall back to a plain split
        return [s.strip() for s in text.split(";") if s.strip()]
    out, start = [], 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            out.append(text[start : token.start].strip())
            start = token.end + 1
    out.append(text[start:].strip())
    return [s for s in out if s]
