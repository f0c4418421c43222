"""Audit of the taxonomy against the installed pyspark's error catalog (``error/error-conditions.json``).

For every condition a leaf claims (and every sub-condition of a claimed parent) the catalog's message
template is rendered with sample parameters into the form Spark prints (``[COND.SUB] text SQLSTATE: x``)
and classified: it must land on a leaf that claims it. The report also lists claims this Spark does not
know and the common user-facing conditions no leaf claims.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlfix.taxonomy.classify import classify
from sqlfix.taxonomy.model import Taxonomy, load_taxonomy

# Catalog families that are not about a user's query (streaming state, connectors, pipelines, APIs).
_NOT_QUERY = re.compile(
    r"^(STREAM|STATE_STORE|STATEFUL|STDS_|PROTOBUF|AVRO|KAFKA|PIPELINE|AUTOCDC|ARROW|UDTF|UDF_|PYTHON|SPARK_CONNECT|"
    r"CANNOT_CONVERT_PROTOBUF|CONNECT|DATA_SOURCE_|JDBC|HLL_|KLL_|THETA_|TUPLE_|APPROX_TOP_K|BIN_BY|ST_|VARIANT|"
    r"ENCODER|BEAN|KRYO|AGNOSTIC|EXPRESSION_(EN|DE)CODING|INVALID_(EXTERNAL|EXPRESSION_ENCODER|AGNOSTIC)|COLLATION|"
    r"INDETERMINATE_COLLATION|CURSOR|LABEL|SQL_SCRIPT|EXEC_IMMEDIATE|IDENTITY|DEFAULT_|GENERATED|CONSTRAINT|SKETCH|"
    r"METRIC|RULE_|ZIP_|TRANSPOSE|GEO|WKB|VECTOR|CALL_ON|INSERT_REPLACE|SCALAR_FUNCTION|TABLE_VALUED_ARGUMENTS|"
    r"DUPLICATE_(FLOW|GRAPH|SQL_PATH|VARIABLE|CONDITION|ROUTINE_RETURNS)|END_LABEL|CLUSTERING|COUNTER_DIFF|ASOF)"
)


def catalog_path() -> Path:
    import pyspark

    jars = sorted((Path(pyspark.__file__).parent / "jars").glob("spark-common-utils_*.jar"))
    if not jars:
        raise FileNotFoundError("no spark-common-utils jar in the installed pyspark: cannot read its error catalog")
    return jars[0]


def load_catalog() -> dict:
    with zipfile.ZipFile(catalog_path()) as jar:
        return json.loads(jar.read("error/error-conditions.json"))


def render(catalog: dict, condition: str) -> str:
    """The message Spark prints for a condition, with every ``<param>`` filled by a sample value."""
    name, _, sub = condition.partition(".")
    entry = catalog[name]
    text = "\n".join(entry["message"])
    if sub:
        text += " " + "\n".join(entry["subClass"][sub]["message"])
    text = re.sub(r"<(\w+)>", lambda m: f"`sample_{m.group(1)}`", text)
    state = entry.get("sqlState")
    return f"[{condition}] {text}" + (f" SQLSTATE: {state}" if state else "")


@dataclass
class AuditReport:
    checked: int = 0
    misrouted: list[tuple[str, str]] = field(default_factory=list)  # (condition, leaf it landed on)
    unknown_claims: list[str] = field(default_factory=list)
    uncovered_common: list[str] = field(default_factory=list)
    double_claims: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.misrouted and not self.double_claims

    def text(self, taxonomy: Taxonomy) -> str:
        lines = [f"taxonomy audit against {catalog_path().name}: {self.checked} rendered conditions checked"]
        for leaf in taxonomy.leaves:
            lines.append(f"  {leaf.id:<55} {', '.join(leaf.conditions) or '(message patterns only)'}")
        lines.append(f"misrouted (rendered message lands on a leaf that does not claim it): {len(self.misrouted)}")
        lines += [f"  {c} -> {leaf}" for c, leaf in self.misrouted]
        lines.append(
            f"claimed but not in this Spark's catalog (other engines/Databricks): {', '.join(self.unknown_claims) or 'none'}"
        )
        lines.append(f"claimed unguarded by several leaves: {self.double_claims or 'none'}")
        lines.append(f"common query conditions no leaf claims: {len(self.uncovered_common)}")
        lines += [f"  {c}" for c in self.uncovered_common]
        return "\n".join(lines)


def audit(taxonomy: Taxonomy | None = None, catalog: dict | None = None) -> AuditReport:
    taxonomy = taxonomy or load_taxonomy()
    catalog = catalog or load_catalog()
    report = AuditReport()
    claims = taxonomy.claims()
    for condition, leaves in sorted(claims.items()):
        name, _, sub = condition.partition(".")
        if name not in catalog or (sub and sub not in catalog[name].get("subClass", {})):
            report.unknown_claims.append(condition)
            continue
        unguarded = [leaf.id for leaf in leaves if not leaf.guarded or condition in leaf.exact_conditions]
        if len(unguarded) > 1:
            report.double_claims.append((condition, unguarded))
        subs = (
            [condition]
            if sub or "subClass" not in catalog[name]
            else [f"{name}.{s}" for s in catalog[name]["subClass"]]
        )
        for rendered_condition in subs:
            got = classify(render(catalog, rendered_condition), None, taxonomy)
            report.checked += 1
            owner = taxonomy.leaf(got.category_l3) if got.category_l3 != "unclassified" else None
            owned = (*owner.conditions, *owner.exact_conditions) if owner else ()
            if owner is None or not any(
                rendered_condition == c or rendered_condition.startswith(c + ".") for c in owned
            ):
                report.misrouted.append((rendered_condition, got.category_l3))
    claimed_names = {c.split(".")[0] for c in claims}
    for name, entry in sorted(catalog.items()):
        state = str(entry.get("sqlState", ""))
        if state[:2] in ("42", "22", "21", "23") and name not in claimed_names and not _NOT_QUERY.match(name):
            report.uncovered_common.append(f"{name} ({state})")
    return report
