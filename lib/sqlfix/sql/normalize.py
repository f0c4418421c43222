"""When two SQL texts are "the same SQL": the one normalisation that deduplication and leakage use."""

from __future__ import annotations

import re

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
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
    identifiers are unquoted where they can be and lower-cased, quoted or not (Spark resolves names
    case-insensitively by default, and backquotes only escape); literals and the order of everything are
    kept. Two queries with one canonical form are the same
    query to an AST match.

    Example:
        >>> canonical("select A.x  -- note\\nFROM   T a WHERE a.x > 1")
        'SELECT a.x FROM t AS a WHERE a.x > 1'
        >>> canonical("SELECT 'A' AS s") == canonical("select 'a' as s")
        False
        >>> canonical("SELECT `A`.`x` FROM t a") == canonical("select a.X from T a")
        True
        >>> canonical("SELEC 1 FROM") is None
        True
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    try:
        tree = sqlglot.parse_one(sql or "", read="spark")
    except SqlglotError:  # a parse or a tokenizer error
        return None
    if tree is None:
        return None
    for identifier in tree.find_all(exp.Identifier):  # quoted only where the name needs it
        identifier.set("quoted", not _PLAIN_NAME.fullmatch(identifier.name))
    return normalize_identifiers(tree, dialect="spark").sql(dialect="spark", comments=False)
