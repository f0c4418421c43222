"""Dry run: parse and analyse one SQL statement with Spark, without executing it.

``analyze`` asks Spark's parser and analyzer about a statement in ``CommandExecutionMode.SKIP``: commands
(DDL, DML) are resolved as plans and never run. The result is a record, not a string: the error
condition, SQLSTATE and message Spark printed (``None`` when the statement is valid).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import SparkSession


@dataclass(frozen=True)
class DryRun:
    """Outcome of a dry run: ``ok``, or the error Spark raised."""

    ok: bool
    condition: str | None = None
    sqlstate: str | None = None
    message: str | None = None
    kind: str | None = None  # ParseException, AnalysisException, ...


def analyze(spark: SparkSession, sql: str) -> DryRun:
    """Parse and analyse ``sql`` against the session's catalog; never executes it.

    Example (not run: needs Spark):
        analyze(spark, "SELECT nosuch FROM range(3)").condition  # 'UNRESOLVED_COLUMN.WITH_SUGGESTION'
    """
    jsession = spark._jsparkSession  # noqa: SLF001 - Spark exposes no public analyse-only entry point
    state = jsession.sessionState()
    try:
        plan = state.sqlParser().parsePlan(sql)
        state.executePlan(plan, _skip_mode(spark)).assertAnalyzed()
    except CapturedException as exc:
        return DryRun(
            ok=False,
            condition=exc.getCondition(),
            sqlstate=exc.getSqlState(),
            message=str(exc).strip(),
            kind=type(exc).__name__,
        )
    return DryRun(ok=True)


def _skip_mode(spark: SparkSession):
    execution = spark._jvm.org.apache.spark.sql.execution  # type: ignore[union-attr]
    return getattr(getattr(execution, "CommandExecutionMode$"), "MODULE$").SKIP()
