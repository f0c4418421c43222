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


def canonical(sql: str | None) -> str | None:
    """The SQL's canonical AST form, or None when sqlglot cannot parse it (Spark dialect): parsed and
    printed again by sqlglot, so comments, whitespace, line breaks and keyword case never matter;
    unquoted identifiers are lower-cased (Spark resolves them case-insensitively); literals, quoted
    identifiers and the order of everything are kept. Two queries with one canonical form are the same
    query to an AST match.

    Example:
        >>> canonical("select A.x  -- note\\nFROM   T a WHERE a.x > 1")
        'SELECT a.x FROM t AS a WHERE a.x > 1'
        >>> canonical("SELECT 'A' AS s") == canonical("select 'a' as s")
        False
        >>> canonical("SELEC 1 FROM") is None
        True
    """
    import sqlglot
    from sqlglot.errors import ParseError
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    try:
        tree = sqlglot.parse_one(sql or "", read="spark")
    except ParseError:
        return None
    if tree is None:
        return None
    return normalize_identifiers(tree, dialect="spark").sql(dialect="spark", comments=False)
