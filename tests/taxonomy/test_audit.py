"""The taxonomy against the installed Spark's error catalog."""

from __future__ import annotations

from sqlfix.taxonomy.audit import audit
from sqlfix.taxonomy.model import load_taxonomy

TAXONOMY = load_taxonomy()


def test_audit_against_the_installed_spark_catalog():
    report = audit(TAXONOMY)
    assert report.checked > 300
    assert report.misrouted == [] and report.double_claims == []
    assert set(report.unknown_claims) <= {"INSUFFICIENT_PERMISSIONS"}  # a Databricks condition, not in OSS Spark
    claimed = {c.split(".")[0] for c in TAXONOMY.claims()}
    for common in ("DATATYPE_MISMATCH", "UNRESOLVED_COLUMN", "PARSE_SYNTAX_ERROR", "CAST_INVALID_INPUT", "MISSING_AGGREGATION",
                   "AMBIGUOUS_REFERENCE", "WRONG_NUM_ARGS", "UNRESOLVED_ROUTINE", "TABLE_OR_VIEW_NOT_FOUND",
                   "INVALID_DATETIME_PATTERN", "ARITHMETIC_OVERFLOW", "DIVIDE_BY_ZERO"):  # fmt: skip
        assert common in claimed, common
    assert all(not c.startswith(tuple(claimed)) or "_" in c for c in report.uncovered_common)
