"""Message normalisation, one rule list for both classifiers.

Strips ANSI escapes, then cuts the message where a stack trace (JVM or Python), a query-context block
(``== SQL ==``) or a logical plan dump begins, then collapses each run of whitespace into one space, and
bounds the length. Each rule is a (regex, replacement) pair in the syntax
Python's ``re`` and Java's ``Pattern`` share, so ``regexp_replace`` applies the same rules; each carries a
set of substrings one of which the text must contain for the rule to be able to match, so most messages
skip most rules.
"""

from __future__ import annotations

import re

MAX_CHARS = 4000  # enough for any message's head; plan dumps and traces are gone by then

# Where the message's own text ends: a newline (after which only indentation) that opens a stack trace,
# a query-context block, or a plan dump (the latter only right after the message's closing ';' or '.').
_TRACE = r"at [\w$.<>]+\(|Caused by: |JVM stacktrace:|Traceback \(most recent call last\)|Driver stacktrace:"
_CONTEXT = r"== (?:SQL|Parsed Logical Plan|Analyzed Logical Plan|Physical Plan)[^=]*=="
_PLAN = (
    r"'|\+- |:- |[A-Z][A-Za-z]+ \[|[A-Z][A-Za-z]+ [a-z_`]+\.|Relation |SubqueryAlias |Project |Aggregate "
    r"|Filter |Join |LocalRelation|OneRowRelation|Range \(|WithCTE|Union |Distinct|GlobalLimit |LocalLimit "
    r"|Intersect |Except |Generate "
)

# (name, regex, replacement, substrings of which the text must contain one for the rule to be able to
# match); applied in order. A run of whitespace changes only where it holds a character other than ' ' or
# two characters, so single spaces (most of a message) never reach the regex.
RULES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("ansi_escapes", r"\x1b\[[0-9;]*[A-Za-z]", "", ("\x1b",)),
    (
        "trace_context_plan",
        rf"(?s)(?:([;.])\r?\n\s*(?:{_PLAN})|\r?\n\s*(?:{_TRACE}|{_CONTEXT})).*",
        "$1",
        ("\n",),
    ),
    ("whitespace", r"\s+", " ", ("  ", "\t", "\n", "\r", "\f", "\x0b")),
)


def normalize(message: object) -> str:
    """The message as the classifiers see it ('' for None, bytes decoded leniently).

    Example:
        >>> normalize("\\x1b[31m[X] bad SQLSTATE: 42000; line 1 pos 7;\\n'Project ['x]\\n+- Range (0, 3)")
        '[X] bad SQLSTATE: 42000; line 1 pos 7;'
        >>> normalize("[X] a\\tb  c\\n  d\\n\\tat org.Foo.bar(Foo.scala:1)")
        '[X] a b c d'
        >>> normalize("[MISSING_AGGREGATION] ... SQLSTATE: 42803;\\nWithCTE\\n:- CTERelationDef 7, false")
        '[MISSING_AGGREGATION] ... SQLSTATE: 42803;'
    """
    if message is None:
        return ""
    if isinstance(message, (bytes, bytearray)):
        message = bytes(message).decode("utf-8", "replace")
    text = str(message)[: MAX_CHARS * 5]
    for _, regex, replacement, needs in RULES:
        if any(n in text for n in needs):
            text = re.sub(regex, replacement.replace("$1", r"\1"), text, flags=re.ASCII)
    return text.strip()[:MAX_CHARS]
