"""A read-only screen for untrusted SQL that is allowed to *run*: one query, over named views only.

``sqlfix sql`` (an analyst's query over the lake) and optimisation candidates (model-written rewrites run on
the generated databases) both pass it before anything executes: the filter's text screen, its statement
allowlist on the parsed plan (one query, no command), every relation one of the given views or of the
query's own CTEs (no file, catalog table or other source) and no table-valued function but ``range``. The caller runs what passes in a
session without the filter's denied functions (``sandbox.harden``).
"""

from __future__ import annotations

import re

from sqlfix.filtering.dryrun import call, failure
from sqlfix.filtering.policy import check_plan, check_text, nested_statement, statement_kind

_RELATION = re.compile(r"'UnresolvedRelation \[([^\]]*)\]")
_TVF = re.compile(r"'UnresolvedTableValuedFunction \[([^\]]*)\]")
_CTE = re.compile(r"^[\s:+|-]*CTE \[([^\]]*)\]", re.M)


def read_only_refusal(spark, query: str, views: set[str]) -> tuple[str, str] | None:
    """None when ``query`` may run; else (kind, detail): kind is ``failed`` (it does not parse), ``refused``
    (the filter's policy), ``not_a_query``, ``not_a_view`` or ``table_function``."""
    from py4j.protocol import Py4JJavaError

    refusal = check_text(query)
    if refusal is None:
        try:
            plan = call(call(call(spark._jsparkSession.sessionState).sqlParser).parsePlan, query)  # noqa: SLF001
        except Py4JJavaError as exc:
            return "failed", failure(exc, plan=False).message[:300]
        kind = str(call(call(plan.getClass).getName)).rsplit(".", 1)[-1].rstrip("$")
        command_class = spark._jvm.java.lang.Class.forName("org.apache.spark.sql.catalyst.plans.logical.Command")  # noqa: SLF001
        command = bool(call(command_class.isInstance, plan))
        tree = str(call(plan.treeString))
        kind = (nested_statement(tree) or kind) if not command else kind  # WITH ... DELETE, a multi-insert
        refusal = check_plan(kind, command=command)
        if refusal is None and statement_kind(kind, command) != "query":
            return "not_a_query", kind
        ctes = {n.strip().strip("`").lower() for names in _CTE.findall(tree) for n in names.split(",")}
        for names in _RELATION.findall(tree):
            name = names.replace(", ", ".").lower()
            if name not in views and name not in ctes:  # a WITH clause's own names are not relations
                return "not_a_view", name
        for function in _TVF.findall(tree):
            if function.lower() != "range":
                return "table_function", function
    if refusal is not None:
        return "refused", refusal.detail
    return None
