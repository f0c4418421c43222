"""Check one side of a pair (a task-level script) statement by statement, in the sandbox.

Every statement is screened on its text, parsed by Spark and let in by the statement allowlist
(``policy.check_plan``) before any of them is analysed; then each is analysed in
``CommandExecutionMode.SKIP`` (queries, DDL and DML are resolved as plans and never run) in a hardened
session, and its analysed plan must pass the plan allowlist (``policy.check_tree``) before anything of it
is applied. Only effects that stay inside the script's own session are applied, so that later statements
see them: ``CREATE TEMPORARY VIEW`` (registered), ``CREATE TABLE [AS SELECT]`` of a one-part name (an
empty temporary view of that schema), ``SET`` of an allowed key, and ``USE``.

With ``runtime=True`` a script whose statements all passed has its last query executed on the sandbox's
edge rows (``Sandbox.fill``), bounded by a job group and ``limit``: that is how cast, overflow and
divide-by-zero errors, which only appear when rows flow, are seen. Nothing is executed unless every
statement passed every check.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from py4j.protocol import Py4JError, Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from sqlfix.filtering.dryrun import DryRun, call, failure, skip_mode
from sqlfix.filtering.policy import (
    QUERY_ROOTS,
    check_plan,
    check_text,
    check_tree,
    nested_statement,
    refused_error,
    statement_kind,
)
from sqlfix.filtering.sandbox import Sandbox, _seq
from sqlfix.sql.statements import split_statements
from sqlfix.taxonomy.normalize import normalize

# Statements with effects a later statement of the same script may rely on (applied in the script's session).
STATEFUL = {"CreateViewCommand", "SetCommand", "SetCatalogAndNamespace", "CreateTable", "CreateTableAsSelect"}


def check_script(
    box: Sandbox,
    sql: str,
    *,
    max_chars: int = 200_000,
    max_depth: int = 200,
    runtime: bool = False,
    runtime_timeout_s: float = 20.0,
) -> DryRun:
    """Screen, parse, allow and analyse every statement of ``sql``; never execute DDL or DML, and run the
    last query (``runtime``) only when every statement passed."""
    statements = split_statements(sql or "")
    if not statements:
        return DryRun("error", "EMPTY_SCRIPT", message="no statement", stage="parse")
    parsed, kinds, parse_error = [], [], None
    for i, statement in enumerate(statements):
        refusal = check_text(statement, max_chars, max_depth)
        if refusal:
            return DryRun(refusal.reason if refusal.reason == "too_complex" else "refused",
                              refusal.reason, message=refusal.detail, statement=i, stage="screen")  # fmt: skip
        try:
            plan = call(box.parser.parsePlan, statement)
        except Py4JJavaError as exc:
            kinds.append(statement_kind(None, sql=statement))
            parse_error = parse_error or (exc, i)
            continue  # the rest are parsed for their kinds only
        kind, command = _plan_class(box, plan)
        kinds.append(statement_kind(kind, command))
        refusal = check_plan(kind, command=command, **_statement_facts(plan, kind))
        if refusal:
            return DryRun("refused", refusal.reason, message=refusal.detail, statement=i, stage="screen",
                              kinds=tuple(kinds))  # fmt: skip
        parsed.append((statement, plan, kind, command))
    kinds = tuple(kinds)
    if parse_error:
        return _failure(failure(parse_error[0], plan=False), parse_error[1], "parse", kinds)
    stateful = len(parsed) > 1 or any(kind in STATEFUL for _, _, kind, _ in parsed)
    session = box.session(fresh=stateful)
    state = box.state if session is box.shared else call(session._jsparkSession.sessionState)  # noqa: SLF001
    skip = skip_mode(session)
    relations = box.relations()
    last_query = None
    for i, (statement, plan, kind, command) in enumerate(parsed):
        try:
            analyzed = call(call(state.executePlan, plan, skip).analyzed)
        except Py4JJavaError as exc:
            error = failure(exc, plan=False)
            refusal = refused_error(error.condition, error.message)
            if refusal:
                return DryRun("refused", refusal.reason, message=refusal.detail, statement=i, stage="analyze",
                                  kinds=kinds)  # fmt: skip
            return _failure(error, i, "analyze", kinds)
        refusal = check_tree(_tree_string(analyzed), relations)
        if refusal:
            return DryRun("refused", refusal.reason, message=refusal.detail, statement=i, stage="plan",
                              kinds=kinds)  # fmt: skip
        try:
            _apply(session, statement, plan, kind)
        except Py4JJavaError as exc:
            return _failure(failure(exc, plan=False), i, "analyze", kinds)
        except CapturedException as exc:  # from _apply's PySpark calls
            return _failure(failure(exc, plan=False), i, "analyze", kinds)
        if statement_kind(kind, command) == "query":  # never DML: INSERT parses as a plan, not a command
            last_query = statement
    if runtime and last_query is not None:
        result = _execute(box, session, last_query, len(parsed) - 1, runtime_timeout_s)
        return replace(result, kinds=kinds)
    return DryRun("ok", kinds=kinds)


_TREE_ARGS: list[tuple] = [(False, False, 0, False, False), (False, False, 0, False), ()]


def _tree_string(plan) -> str:
    """The plan's tree, one line per operator, with no fields listed (``maxFields = 0``): the operators and
    relation names are all ``check_tree`` reads, and rendering every expression costs ~7x the time on a
    large query. Spark 4 takes five arguments, Spark 3.5 four; the first that works is remembered."""
    while True:
        args = _TREE_ARGS[0]
        try:
            return call(plan.treeString, *args)
        except Py4JError:
            if len(_TREE_ARGS) == 1:
                raise
            if args in _TREE_ARGS:  # another thread may have dropped it first
                _TREE_ARGS.remove(args)


def _statement_facts(plan, kind: str) -> dict:
    """What ``check_plan`` needs beyond the class: the key of a ``SET``; the provider, location and
    option keys of a ``CREATE``/``REPLACE TABLE``."""
    if kind == "SetCommand":
        return {"set_key": _set_key(plan)}
    if kind in ("CreateTable", "CreateTableAsSelect", "ReplaceTable", "ReplaceTableAsSelect"):
        spec = call(plan.tableSpec)
        provider, location = call(spec.provider), call(spec.location)
        try:  # Spark 4: UnresolvedTableSpec holds an OptionList of (key, value expression)
            keys = [call(pair._1) for pair in _seq(call(call(spec.optionExpression).options))]
        except Py4JError:  # Spark 3.5: TableSpec holds a map
            keys = _seq(call(call(call(spec.options).keys).toSeq))
        return {
            "provider": str(call(provider.get)) if call(provider.isDefined) else None,
            "location": str(call(location.get)) if call(location.isDefined) else None,
            "options": tuple(str(k) for k in keys),
        }
    return {}


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


def _plan_class(box: Sandbox, plan) -> tuple[str, bool]:
    """(simple class name, whether it is a ``Command``) of a parsed plan. A query-shaped root that holds a
    statement (a multi-insert's ``Union`` of inserts, ``WITH ... DELETE``) is that statement
    (``policy.nested_statement``), so that only plain queries are ever executed."""
    name = str(call(call(plan.getClass).getName)).rsplit(".", 1)[-1].rstrip("$")
    command = bool(call(box.command.isInstance, plan))
    if not command and name in QUERY_ROOTS:
        name = nested_statement(_tree_string(plan)) or name
    return name, command


def _execute(box: Sandbox, session: SparkSession, statement: str, index: int, timeout_s: float) -> DryRun:
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
            return DryRun("timeout", message=f"runtime check over {timeout_s:g}s", statement=index, stage="runtime")
        return _failure(failure(exc, plan=False), index, "runtime")
    except Py4JJavaError as exc:
        return _failure(failure(exc, plan=False), index, "runtime")
    finally:
        timer.cancel()
        context.setLocalProperty("spark.jobGroup.id", None)
    return DryRun("ok")


def _set_key(plan) -> str | None:
    pair = plan.kv()
    return str(pair.get()._1()) if pair.isDefined() else None


def _failure(error: DryRun, index: int, stage: str, kinds: tuple[str, ...] = ()) -> DryRun:
    """A side's error from what the JVM threw: a parser stack overflow is ``too_complex``, an exception
    that is not Spark's own is an ``INTERNAL_ERROR``."""
    if error.kind == "StackOverflowError":
        return DryRun("too_complex", "STACK_OVERFLOW", message="the statement overflowed the stack",
                          statement=index, stage=stage, kinds=kinds)  # fmt: skip
    if error.condition is None:
        return DryRun("error", "INTERNAL_ERROR", message=f"{error.kind}: {(error.message or '')[:300]}",
                          statement=index, stage=stage, kinds=kinds)  # fmt: skip
    status = "too_complex" if error.condition == "FAILED_TO_PARSE_TOO_COMPLEX" else "error"
    return replace(
        error, status=status, message=normalize(error.message or ""), statement=index, stage=stage, kinds=kinds
    )
