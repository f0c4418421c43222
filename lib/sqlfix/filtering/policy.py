"""What logged SQL may do in the sandbox: refusals and complexity bounds, decided before Spark runs it.

Logged SQL is untrusted. The filter never executes DDL or DML (it analyses their plans), and some
statements are refused outright, with a reason, before they reach Spark's analyzer:

- ``ADD JAR|FILE|ARCHIVE``, ``CREATE [TEMPORARY] FUNCTION`` (they load code),
- reflection functions (``reflect``, ``java_method``, ``try_reflect``),
- anything naming a file path: ``LOCATION``, ``INSERT OVERWRITE DIRECTORY``, ``LOAD DATA INPATH``,
  direct file queries (``parquet.`/path` ``), ``read_files(...)``,
- ``SET`` of a key that reaches outside the session (only ``spark.sql.*`` session settings and Hive's
  ``hive.*``/``mapred*``/``tez.*`` keys, minus a deny list, are allowed).

Complexity is bounded cheaply on the text: a statement over ``max_chars`` or nested deeper than
``max_depth`` parentheses is ``too_complex`` (deep nesting overflows the JVM parser's stack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot.tokens import TokenType

REFUSED_PLANS = {
    "AddJarsCommand": "add_jar",
    "AddFilesCommand": "add_file",
    "AddArchivesCommand": "add_file",
    "CreateFunction": "create_function",
    "CreateFunctionCommand": "create_function",
    "InsertIntoDir": "file_path",
    "LoadData": "file_path",
}
REFLECTION = {"reflect", "java_method", "try_reflect"}
FILE_FUNCTIONS = {"read_files", "input_file_name"}  # input_file_name only reveals paths; refused alike
FILE_FORMATS = {"parquet", "orc", "json", "csv", "text", "avro", "delta", "binaryfile", "xml"}
PATH_KEYWORDS = {"LOCATION", "DIRECTORY", "INPATH"}
SET_ALLOWED = re.compile(r"^(spark\.sql\.|hive\.|mapred\.|mapreduce\.|tez\.)", re.IGNORECASE)
SET_DENIED = re.compile(
    r"^spark\.sql\.(warehouse\.dir|catalog\.|catalogImplementation|extensions|hive\.metastore|"
    r"streaming\.checkpointLocation|sources\.|session\.localRelationCacheThreshold|artifact\.|"
    r"legacy\.allowUntypedScalaUDF|execution\.pyspark\.|execution\.python\.)",
    re.IGNORECASE,
)


_STRINGS = (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING)
# Every refusal names one of these words; text with none of them (and too few parentheses to nest past
# the bound) needs no tokenising, which is most SQL.
_SUSPECT = re.compile(
    r"\b(?:"
    + "|".join(sorted(REFLECTION | FILE_FUNCTIONS | FILE_FORMATS | {k.lower() for k in PATH_KEYWORDS}))
    + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Refusal:
    """Why a statement is not let into the sandbox."""

    reason: str  # add_jar, add_file, create_function, reflection, file_path, set_outside_session, too_complex
    detail: str


def check_text(sql: str, max_chars: int = 200_000, max_depth: int = 200) -> Refusal | None:
    """Refusals visible in the statement's tokens, and the complexity bounds.

    Example:
        >>> check_text("SELECT reflect('java.lang.System', 'exit', 1)").reason
        'reflection'
        >>> check_text("SELECT * FROM parquet.`/data/x`").reason
        'file_path'
        >>> check_text("SELECT " + "(" * 300 + "1" + ")" * 300).reason
        'too_complex'
        >>> check_text("SELECT 'LOCATION' AS location FROM t") is None
        True
        >>> check_text("SELECT JAVA_METHOD('java.lang.Runtime', 'getRuntime')").reason
        'reflection'
        >>> check_text("select * from JSON.`s3://bucket/x`").reason
        'file_path'
        >>> check_text("INSERT OVERWRITE DIRECTORY '/tmp/x' SELECT 1").reason
        'file_path'
        >>> check_text("SELECT a FROM t WHERE " + " AND ".join(["(a > 1)"] * 300)) is None
        True
    """
    if len(sql) > max_chars:
        return Refusal("too_complex", f"statement of {len(sql)} characters (limit {max_chars})")
    if sql.count("(") <= max_depth and not _SUSPECT.search(sql):
        return None
    try:
        tokens = sqlglot.tokenize(sql, read="spark")
    except Exception:  # noqa: BLE001 - untokenisable text: Spark's parser will say why
        return _depth_only(sql, max_depth)
    depth = deepest = 0
    for i, token in enumerate(tokens):
        kind, text = token.token_type, token.text
        if kind == TokenType.L_PAREN:
            depth += 1
            deepest = max(deepest, depth)
        elif kind == TokenType.R_PAREN:
            depth -= 1
        if kind in _STRINGS:
            continue
        word = text.upper()
        following = tokens[i + 1].token_type if i + 1 < len(tokens) else None
        if following == TokenType.L_PAREN and text.lower() in REFLECTION:
            return Refusal("reflection", f"reflection function {text}()")
        if following == TokenType.L_PAREN and text.lower() in FILE_FUNCTIONS:
            return Refusal("file_path", f"file function {text}()")
        if word in PATH_KEYWORDS and following in _STRINGS:
            return Refusal("file_path", f"{word} names a file path")
        if text.lower() in FILE_FORMATS and following == TokenType.DOT and i + 2 < len(tokens):
            target = tokens[i + 2]
            if target.token_type == TokenType.IDENTIFIER and ("/" in target.text or ":" in target.text):
                return Refusal("file_path", f"direct file query {text}.`{target.text}`")
    if deepest > max_depth:
        return Refusal("too_complex", f"parentheses nested {deepest} deep (limit {max_depth})")
    return None


def _depth_only(sql: str, max_depth: int) -> Refusal | None:
    depth = deepest = 0
    for char in sql:
        depth += char == "("
        depth -= char == ")"
        deepest = max(deepest, depth)
    return (
        Refusal("too_complex", f"parentheses nested {deepest} deep (limit {max_depth})")
        if deepest > max_depth
        else None
    )


def check_plan(plan_class: str, set_key: str | None = None) -> Refusal | None:
    """Refusals decided by the parsed plan's class (and, for ``SET``, its key).

    Example:
        >>> check_plan("AddJarsCommand").reason
        'add_jar'
        >>> check_plan("SetCommand", "spark.sql.warehouse.dir").reason
        'set_outside_session'
        >>> check_plan("SetCommand", "spark.sql.ansi.enabled") is None
        True
    """
    if plan_class in REFUSED_PLANS:
        return Refusal(REFUSED_PLANS[plan_class], f"{plan_class} is not allowed in the sandbox")
    if plan_class == "SetCommand" and set_key is not None:
        if not SET_ALLOWED.match(set_key) or SET_DENIED.match(set_key):
            return Refusal("set_outside_session", f"SET {set_key} reaches outside the session")
    return None
