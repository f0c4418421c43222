"""Check one side of a pair (a task-level script) statement by statement, in the sandbox.

Each statement is screened (``policy``), parsed by Spark, screened again by its plan, then analysed in
``CommandExecutionMode.SKIP``: queries, DDL and DML are resolved as plans and never run. Only effects
that stay inside the script's own session are applied, so that later statements see them:
``CREATE TEMPORARY VIEW`` (registered), ``CREATE TABLE [AS SELECT]`` of a one-part name (an empty
temporary view of that schema), ``SET`` of an allowed key, and ``USE``.

With ``runtime=True`` a script whose statements all analyse cleanly has its last query executed on the
sandbox's edge rows (``Sandbox.fill``), bounded by a job group and ``limit``: that is how cast, overflow and
divide-by-zero errors, which only appear when rows flow, are seen.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from sqlfix.filtering.dryrun import DryRun, call, failure, skip_mode
from sqlfix.filtering.policy import check_plan, check_text
from sqlfix.filtering.sandbox import Sandbox, _seq
from sqlfix.ingest.schemas import split_statements
from sqlfix.taxonomy.normalize import normalize

# Statements with effects a later statement of the same script may rely on (applied in the script's session).
STATEFUL = {"CreateViewCommand", "SetCommand", "SetCatalogAndNamespace", "CreateTable", "CreateTableAsSelect"}
QUERY_ROOTS = {"CreateViewCommand", "ExplainCommand", "SetCommand", "ResetCommand"}  # not queries to execute


@dataclass(frozen=True)
class SideResult:
    """How one script fared: ``status`` is ok, error, refused, too_complex or timeout."""

    status: str
    condition: str | None = None
    sqlstate: str | None = None
    message: str | None = None  # normalised: no plan dump, no stack trace
    statement: int | None = None  # 0-based index of the statement it is about
    stage: str | None = None  # screen, parse, analyze, runtime

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check_script(
    box: Sandbox,
    sql: str,
    *,
    max_chars: int = 200_000,
    max_depth: int = 200,
    runtime: bool = False,
    runtime_timeout_s: float = 20.0,
) -> SideResult:
    """Screen, parse and analyse every statement of ``sql``; never execute DDL or DML."""
    statements = split_statements(sql or "")
    if not statements:
        return SideResult("error", "EMPTY_SCRIPT", message="no statement", stage="parse")
    parsed = []
    for i, statement in enumerate(statements):
        refusal = check_text(statement, max_chars, max_depth)
        if refusal:
            return SideResult(refusal.reason if refusal.reason == "too_complex" else "refused",
                              refusal.reason, message=refusal.detail, statement=i, stage="screen")  # fmt: skip
        try:
            plan = call(box.parser.parsePlan, statement)
        except Py4JJavaError as exc:
            return _failure(failure(exc, plan=False), i, "parse")
        kind, command = _plan_class(plan)
        refusal = check_plan(kind, _set_key(plan) if kind == "SetCommand" else None)
        if refusal:
            return SideResult("refused", refusal.reason, message=refusal.detail, statement=i, stage="screen")
        parsed.append((statement, plan, kind, command))
    stateful = len(parsed) > 1 or any(kind in STATEFUL for _, _, kind, _ in parsed)
    session = box.session(fresh=stateful)
    state = box.state if session is box.shared else call(session._jsparkSession.sessionState)  # noqa: SLF001
    skip = skip_mode(session)
    last_query = None
    for i, (statement, plan, kind, command) in enumerate(parsed):
        try:
            call(call(state.executePlan, plan, skip).assertAnalyzed)
            _apply(session, statement, plan, kind)
        except Py4JJavaError as exc:
            return _failure(failure(exc, plan=False), i, "analyze")
        except CapturedException as exc:  # from _apply's PySpark calls
            return _failure(failure(exc, plan=False), i, "analyze")
        if not command and kind not in STATEFUL:
            last_query = statement
    if runtime and last_query is not None:
        return _execute(box, session, last_query, len(parsed) - 1, runtime_timeout_s)
    return SideResult("ok")


def _apply(session: SparkSession, statement: str, plan, kind: str) -> None:
    """Effects that stay in ``session``: temp views, SET, USE, and one-part CREATE TABLE as empty views."""
    if kind == "CreateViewCommand":
        if plan.viewType().toString() == "LocalTempView":
            session.sql(statement)  # registers the view in this session only; runs no job
    elif kind == "SetCommand":
        pair = plan.kv()
        if pair.isDefined() and pair.get()._2().isDefined():
            session.conf.set(str(pair.get()._1()), str(pair.get()._2().get()))
    elif kind == "SetCatalogAndNamespace":
        session.sql(statement)  # the session's current database; changes nothing else
    elif kind in ("CreateTable", "CreateTableAsSelect"):
        parts = [str(p) for p in _seq(plan.name().nameParts())]
        if len(parts) != 1:
            return  # a new catalog table is never created; a later read of it fails as it would have
        if kind == "CreateTable":
            schema = T._parse_datatype_json_string(plan.tableSchema().json())  # noqa: SLF001
        else:
            state = session._jsparkSession.sessionState()  # noqa: SLF001
            analyzed = call(call(state.executePlan, plan.query(), skip_mode(session)).analyzed)
            schema = T._parse_datatype_json_string(analyzed.schema().json())  # noqa: SLF001
        session.createDataFrame([], schema).createOrReplaceTempView(parts[0])


def _plan_class(plan) -> tuple[str, bool]:
    """(simple class name, whether it is a command) of a parsed plan, in two round trips."""
    name = str(call(call(plan.getClass).getName))
    return name.rsplit(".", 1)[-1].rstrip("$"), ".command." in name or name.endswith("Command")


def _execute(box: Sandbox, session: SparkSession, statement: str, index: int, timeout_s: float) -> SideResult:
    """Run the query on the sandbox's edge rows (``Sandbox.fill`` first), under a job group cancelled
    after ``timeout_s``."""
    group = f"sqlfix-runtime-{threading.get_ident()}"
    context = session.sparkContext
    context.setJobGroup(group, "sqlfix filter runtime check", interruptOnCancel=True)
    timer = threading.Timer(timeout_s, context.cancelJobGroup, args=(group,))
    timer.start()
    try:
        session.sql(statement).limit(1000).collect()
    except CapturedException as exc:
        if timer.finished.is_set() and "cancel" in str(exc).lower():
            return SideResult("timeout", message=f"runtime check over {timeout_s:g}s", statement=index, stage="runtime")
        return _failure(failure(exc, plan=False), index, "runtime")
    except Py4JJavaError as exc:
        return _failure(failure(exc, plan=False), index, "runtime")
    finally:
        timer.cancel()
        context.setLocalProperty("spark.jobGroup.id", None)
    return SideResult("ok")


def _set_key(plan) -> str | None:
    pair = plan.kv()
    return str(pair.get()._1()) if pair.isDefined() else None


def _failure(error: DryRun, index: int, stage: str) -> SideResult:
    """A side's error from what the JVM threw: a parser stack overflow is ``too_complex``, an exception
    that is not Spark's own is an ``INTERNAL_ERROR``."""
    if error.kind == "StackOverflowError":
        return SideResult(
            "too_complex", "STACK_OVERFLOW", message="the statement overflowed the stack", statement=index, stage=stage
        )
    if error.condition is None:
        return SideResult("error", "INTERNAL_ERROR", message=f"{error.kind}: {(error.message or '')[:300]}",
                          statement=index, stage=stage)  # fmt: skip
    status = "too_complex" if error.condition == "FAILED_TO_PARSE_TOO_COMPLEX" else "error"
    return SideResult(status, error.condition, error.sqlstate, normalize(error.message or ""), index, stage)
