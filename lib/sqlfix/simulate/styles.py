"""Older engines' wording of the same error: Spark 2/3 legacy and Hive messages.

Spark 4 tells us the condition and its parameters; older engines on the platform print other words for
the same mistake. ``restyle`` rewrites a Spark 4 message in the style of ``spark-2.4`` or ``hive-3`` where
it knows that condition, and returns the style it used (the ground truth labels it).
"""

from __future__ import annotations

import re

from sqlfix.filtering.dryrun import DryRun


def _pos(message: str) -> tuple[int, int]:
    m = re.search(r"line (\d+)[, ]+pos (\d+)", message)
    return (int(m.group(1)), int(m.group(2))) if m else (1, 0)


def _name(message: str, after: str) -> str:
    m = re.search(after + r"\s*`?([^`\s]+(?:`\.`[^`\s]+)*)`?", message)
    return m.group(1).replace("`", "") if m else "?"


def _near(message: str) -> str:
    m = re.search(r"at or near (.+?)(?:\.|:)? SQLSTATE", message) or re.search(r"at or near '([^']*)'", message)
    return m.group(1).strip("'") if m else "<EOF>"


def restyle(result: DryRun, engine: str) -> tuple[str, str]:
    """(message, style) of ``result`` as ``engine`` prints it; style is spark4, spark_legacy or hive."""
    message, condition = result.message or "", (result.condition or "").split(".")[0]
    line, pos = _pos(message)
    if engine.startswith("spark-2") or engine.startswith("spark-3.0"):
        legacy = {
            "UNRESOLVED_COLUMN": lambda: (
                f"cannot resolve '`{_name(message, 'with name')}`' given input columns: "
                f"[{_inputs(message)}]; line {line} pos {pos};"
            ),
            "TABLE_OR_VIEW_NOT_FOUND": lambda: (
                f"Table or view not found: {_name(message, 'The table or view')}; line {line} pos {pos};"
            ),
            "UNRESOLVED_ROUTINE": lambda: (
                f"Undefined function: '{_name(message, 'routine')}'. This function is neither a "
                "registered temporary function nor a permanent function registered in the database 'default'.; "
                f"line {line} pos {pos}"
            ),
            "PARSE_SYNTAX_ERROR": lambda: (
                f"\nmismatched input '{_near(message)}' expecting {{<EOF>, ';'}}(line {line}, pos {pos})"
            ),
            "MISSING_AGGREGATION": lambda: (
                f"expression '{_name(message, 'expression')}' is neither present in the group by, "
                "nor is it an aggregate function. Add to group by or wrap in first() (or first_value) if you don't care "
                "which value you get.;"
            ),
            "AMBIGUOUS_REFERENCE": lambda: (
                f"Reference '{_name(message, 'Reference')}' is ambiguous, could be: "
                f"{_inputs(message)}.; line {line} pos {pos}"
            ),
        }
        if condition in legacy:
            return legacy[condition]().strip() if condition != "PARSE_SYNTAX_ERROR" else legacy[
                condition
            ](), "spark_legacy"
    if engine.startswith("hive"):
        hive = {
            "UNRESOLVED_COLUMN": lambda: (
                f"FAILED: SemanticException [Error 10004]: Line {line}:{pos} Invalid table alias "
                f"or column reference '{_name(message, 'with name').split('.')[-1]}': (possible column names are: {_inputs(message)})"
            ),
            "TABLE_OR_VIEW_NOT_FOUND": lambda: (
                f"FAILED: SemanticException [Error 10001]: Line {line}:{pos} Table not found "
                f"'{_name(message, 'The table or view').split('.')[-1]}'"
            ),
            "UNRESOLVED_ROUTINE": lambda: (
                f"FAILED: SemanticException [Error 10011]: Line {line}:{pos} Invalid function "
                f"'{_name(message, 'routine')}'"
            ),
            "PARSE_SYNTAX_ERROR": lambda: (
                f"FAILED: ParseException line {line}:{pos} cannot recognize input near "
                f"'{_near(message)}' '<EOF>' '<EOF>' in select clause"
            ),
            "MISSING_AGGREGATION": lambda: (
                f"FAILED: SemanticException [Error 10025]: Line {line}:{pos} Expression not in "
                f"GROUP BY key '{_name(message, 'expression')}'"
            ),
            "AMBIGUOUS_REFERENCE": lambda: (
                f"FAILED: SemanticException [Error 10007]: Line {line}:{pos} Ambiguous column "
                f"reference {_name(message, 'Reference').split('.')[-1]}"
            ),
        }
        if condition in hive:
            return hive[condition](), "hive"
    return message, "spark4"


def _inputs(message: str) -> str:
    m = re.search(r"one of the following\? \[([^\]]*)\]", message) or re.search(r"could be: \[([^\]]*)\]", message)
    return m.group(1).replace("`", "") if m else ""
