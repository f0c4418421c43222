"""The fixer prompt (the paper's layout): a requirements line, the tables' schema, the bug SQL, the error
message, the BUGFIX question and the reminder not to touch what is not broken. The target is the complete
fixed SQL; the model's own chat template wraps both at training time (``training.examples``).
"""

from __future__ import annotations

REQUIREMENTS = (
    "You are a Spark SQL expert. The SQL below fails with the error shown. Fix it so that it runs on Spark, "
    "changing only what the error requires."
)
QUESTION = "[BUGFIX]\nWhat is the complete fixed SQL? Answer with the SQL only."
REMINDER = "Remember not to change any existing comments and SQL code without errors."


def render_prompt(schema_ddl: str | None, bug_sql: str, error_message: str | None) -> str:
    """The user turn of one sample.

    Example:
        >>> print(render_prompt("CREATE TABLE t (a INT)", "SELECT b FROM t", "[UNRESOLVED_COLUMN] `b`"))
        You are a Spark SQL expert. The SQL below fails with the error shown. Fix it so that it runs on Spark, changing only what the error requires.
        [TABLES SCHEMA]
        CREATE TABLE t (a INT)
        [BUG SQL]
        SELECT b FROM t
        [ERROR MESSAGE]
        [UNRESOLVED_COLUMN] `b`
        [BUGFIX]
        What is the complete fixed SQL? Answer with the SQL only.
        Remember not to change any existing comments and SQL code without errors.
    """
    return "\n".join(
        [
            REQUIREMENTS,
            "[TABLES SCHEMA]",
            (schema_ddl or "-- no schema recorded").strip(),
            "[BUG SQL]",
            bug_sql.rstrip(),
            "[ERROR MESSAGE]",
            (error_message or "").strip(),
            QUESTION,
            REMINDER,
        ]
    )
