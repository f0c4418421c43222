"""The SQL in a model's answer: what survives code fences and chatter around the query."""

from __future__ import annotations

import re

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n(.*?)(?:```|\Z)", re.S)
_SQL_START = re.compile(
    r"^\s*(--|/\*|\(|WITH\b|SELECT\b|INSERT\b|CREATE\b|REPLACE\b|MERGE\b|UPDATE\b|DELETE\b|DROP\b|ALTER\b|SET\b|"
    r"USE\b|EXPLAIN\b|DESCRIBE\b|SHOW\b|VALUES\b|FROM\b|TRUNCATE\b|CACHE\b|OPTIMIZE\b)",
    re.I,
)
_PROSE_TAIL = re.compile(
    r"^\s*(Explanation|Note|Notes|Changes|This (query|fix|SQL|change)|The (fix|error|query|issue|change)|"
    r"I (have|changed|fixed|added|removed|replaced)|In (this|the) |Here,? |Fixed:|What changed)\b",
    re.I,
)
_PROSE_HEAD = re.compile(r"^\s*(Here is|Here's|The fixed|Fixed SQL|Answer|Sure|Corrected)\b.*:?\s*$", re.I)


def extract_sql(answer: str | None) -> str:
    """The SQL of an answer: the first fenced block that is SQL (or untagged), else the text from the
    first line that starts like SQL, cut where an explanation starts. Trailing blanks go; the query's
    own comments and formatting stay.

    Example:
        >>> extract_sql("Here is the fixed SQL:\\n```sql\\nSELECT a\\nFROM t\\n```\\nI renamed the column.")
        'SELECT a\\nFROM t'
        >>> extract_sql("-- daily\\nSELECT a FROM t\\n\\nExplanation: the column was misspelt.")
        '-- daily\\nSELECT a FROM t'
        >>> extract_sql("Sure! The corrected query is:\\nSELECT 1")
        'SELECT 1'
        >>> extract_sql("SELECT a FROM t")
        'SELECT a FROM t'
    """
    text = (answer or "").replace("\r\n", "\n")
    for match in _FENCE.finditer(text):
        tag, body = match.group(1).lower(), match.group(2)
        if tag in ("", "sql", "sparksql", "spark", "hive", "hql") and body.strip():
            return body.strip("\n").rstrip()
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _SQL_START.match(line)), None)
    if start is None:  # no line looks like SQL: drop an announcing first line, keep the rest
        if lines and _PROSE_HEAD.match(lines[0]):
            lines = lines[1:]
        return "\n".join(lines).strip()
    out = []
    for line in lines[start:]:
        if _PROSE_TAIL.match(line) and out:
            break
        out.append(line)
    return "\n".join(out).strip("\n").rstrip()
