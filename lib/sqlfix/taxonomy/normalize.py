"""Message normalisation, one rule list for both classifiers.

Strips ANSI escapes, stack traces (JVM and Python), query-context blocks (``== SQL ==``) and logical
plan dumps, then collapses whitespace and bounds the length. Each rule is a (regex, replacement) pair in
the syntax Python's ``re`` and Java's ``Pattern`` share, so ``regexp_replace`` applies the same rules.
"""

from __future__ import annotations

import re

MAX_CHARS = 4000  # enough for any message's head; plan dumps and traces are gone by then

# (name, regex, replacement, only when the text contains); applied in order. The last field skips a rule
# cheaply when it cannot match (traces, contexts and plans all start on a new line).
RULES: tuple[tuple[str, str, str, str | None], ...] = (
    ("ansi_escapes", r"\x1b\[[0-9;]*[A-Za-z]", "", "\x1b"),
    (
        "stack_trace",
        r"(?s)(\r?\n)\s*(at [\w$.<>]+\(|Caused by: |JVM stacktrace:|Traceback \(most recent call last\)|Driver stacktrace:).*",
        "",
        "\n",
    ),
    (
        "query_context",
        r"(?s)(\r?\n)\s*== (SQL|Parsed Logical Plan|Analyzed Logical Plan|Physical Plan)[^=]*==.*",
        "",
        "\n",
    ),
    (
        "plan_dump",
        r"(?s)(;|\.)(\r?\n)\s*('|\+- |:- |[A-Z][A-Za-z]+ \[|[A-Z][A-Za-z]+ [a-z_`]+\.|Relation |SubqueryAlias |Project |Aggregate |Filter |Join |LocalRelation|OneRowRelation|Range \().*",
        "$1",
        "\n",
    ),
    ("whitespace", r"\s+", " ", None),
)


def normalize(message: object) -> str:
    """The message as the classifiers see it ('' for None, bytes decoded leniently).

    Example:
        >>> normalize("\\x1b[31m[X] bad SQLSTATE: 42000; line 1 pos 7;\\n'Project ['x]\\n+- Range (0, 3)")
        '[X] bad SQLSTATE: 42000; line 1 pos 7;'
    """
    if message is None:
        return ""
    if isinstance(message, (bytes, bytearray)):
        message = bytes(message).decode("utf-8", "replace")
    text = str(message)[: MAX_CHARS * 5]
    for _, regex, replacement, needs in RULES:
        if needs is None or needs in text:
            text = re.sub(regex, replacement.replace("$1", r"\1"), text, flags=re.ASCII)
    return text.strip()[:MAX_CHARS]
