"""Dry run: parse and analyse one SQL statement with Spark, without executing it.

``analyze`` asks Spark's parser and analyzer about a statement in ``CommandExecutionMode.SKIP``: commands
(DDL, DML) are resolved as plans and never run. The result is a record, not a string: the error
condition, SQLSTATE and message Spark printed (``None`` when the statement is valid).

The JVM is called through ``call``, not through PySpark's patched Py4J: PySpark turns every Java
exception into a Python one with about thirty more round trips to the JVM (class checks, query contexts,
the formatted message, a log record nobody reads). An analysis error is the filter's common case, so
``failure`` asks only for the class, condition, SQLSTATE and message: five calls, seven without the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from py4j import protocol
from py4j.protocol import Py4JError, Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import SparkSession


@dataclass(frozen=True)
class DryRun:
    """The one record of a dry run's outcome, for a statement (``analyze``) or a whole script
    (``script.check_script``): ``status`` is ok, error, refused, too_complex or timeout; for an error, the
    condition, SQLSTATE and message Spark raised and the JVM exception's class; for a script, which
    statement it is about, at which stage, and what each statement does.

    Example:
        >>> DryRun("error", "UNRESOLVED_COLUMN", stage="analyze").ok, DryRun("ok").ok
        (False, True)
    """

    status: str
    condition: str | None = None
    sqlstate: str | None = None
    message: str | None = None
    statement: int | None = None  # 0-based index of the statement it is about
    stage: str | None = None  # screen, parse, analyze, plan, runtime
    kinds: tuple[str, ...] = ()  # what each statement does (policy.statement_kind), in order
    kind: str | None = None  # the JVM exception: ParseException, AnalysisException, StackOverflowError, ...

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def call(member, *args):
    """``member(*args)`` on the JVM (a Py4J ``JavaMember``), raising a plain ``Py4JJavaError`` on failure.

    The same protocol steps as ``JavaMember.__call__`` with Py4J's own ``get_return_value``, which PySpark
    leaves unpatched (it patches only the copy ``py4j.java_gateway`` uses)."""
    args_command, temp_args = member._build_args(*args)  # noqa: SLF001 - Py4J's own call path
    command = protocol.CALL_COMMAND_NAME + member.command_header + args_command + protocol.END_COMMAND_PART
    answer = member.gateway_client.send_command(command)
    value = protocol.get_return_value(answer, member.gateway_client, member.target_id, member.name)
    for arg in temp_args:
        if hasattr(arg, "_detach"):
            arg._detach()  # noqa: SLF001
    return value


def failure(exc: Py4JJavaError | CapturedException, plan: bool = True) -> DryRun:
    """What the JVM threw: class, error condition, SQLSTATE and message (``SparkThrowable`` or not).

    ``plan=False`` leaves out the logical plan an analysis error appends to its message (``;`` then the
    plan): Spark renders it as a tree string, ~20 ms for a large query, and ``normalize`` cuts it anyway,
    so the normalised message is the same either way."""
    java = exc.java_exception if isinstance(exc, Py4JJavaError) else exc._origin  # noqa: SLF001
    if java is None:  # a PySpark exception with no Java origin
        return DryRun("error", exc.getCondition(), exc.getSqlState(), str(exc).strip(), kind=type(exc).__name__)
    name = str(call(call(java.getClass).getName))
    kind = name.rsplit(".", 1)[-1]
    if not plan and kind.endswith("AnalysisException") and kind != "ParseException":
        with_plan = kind == "ExtendedAnalysisException" and call(call(java.plan).isDefined)
        message = call(java.getSimpleMessage) + (";" if with_plan else "")
    else:
        message = call(java.getMessage)
    condition, sqlstate = _condition(java)
    if condition is None and (root := _root_cause(java)) is not None:
        # a task failed for a reason that is not Spark's own ("Job aborted ...: java.util.regex.
        # PatternSyntaxException: ..."): the root cause is what the user has to fix, so it is the message
        name = str(call(call(root.getClass).getName))
        kind, message = name.rsplit(".", 1)[-1], call(root.getMessage)
        condition, sqlstate = _condition(root)
    return DryRun("error", condition=condition, sqlstate=sqlstate, message=(message or name).strip(), kind=kind)


def _condition(java) -> tuple[str | None, str | None]:
    """(error condition, SQLSTATE) of a Java exception; (None, None) for one that is not a SparkThrowable."""
    try:
        return call(java.getCondition), call(java.getSqlState)
    except Py4JError:  # not a SparkThrowable (a StackOverflowError, say)
        return None, None


def _root_cause(java, depth: int = 16):
    """The last exception of ``java``'s cause chain (at most ``depth`` links), or None when it has no cause."""
    root = None
    for _ in range(depth):
        cause = call(java.getCause)
        if cause is None:  # Java's getCause: null where the cause is absent or the exception itself
            break
        root = java = cause
    return root


def analyze(spark: SparkSession, sql: str) -> DryRun:
    """Parse and analyse ``sql`` against the session's catalog; never executes it.

    Example (not run: needs Spark):
        analyze(spark, "SELECT nosuch FROM range(3)").condition  # 'UNRESOLVED_COLUMN.WITH_SUGGESTION'
    """
    jsession = spark._jsparkSession  # noqa: SLF001 - Spark exposes no public analyse-only entry point
    try:
        state = call(jsession.sessionState)
        plan = call(call(state.sqlParser).parsePlan, sql)
        call(call(state.executePlan, plan, skip_mode(spark)).assertAnalyzed)
    except Py4JJavaError as exc:
        return failure(exc)
    return DryRun("ok")


_SKIP: dict[int, tuple] = {}


def skip_mode(spark: SparkSession):
    """``CommandExecutionMode.SKIP`` of this JVM (looked up once per gateway: the lookup is ~6 round trips)."""
    gateway = spark.sparkContext._gateway  # noqa: SLF001
    cached = _SKIP.get(id(gateway))
    if cached is None or cached[0] is not gateway:
        execution = spark._jvm.org.apache.spark.sql.execution  # type: ignore[union-attr]
        cached = (gateway, getattr(getattr(execution, "CommandExecutionMode$"), "MODULE$").SKIP())
        _SKIP[id(gateway)] = cached
    return cached[1]
