"""The one line diff on the shared fixture file: Python, mining's Spark expression and the rendering agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlfix.sql.diff import changed_lines, line_roles, removed_lines, render_diff, split_lines, with_diff_stats

CASES = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "line_diff.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_python(case):
    bug, fix = case["bug"], case["fix"]
    assert line_roles(bug, fix) == case["roles"]
    assert removed_lines(bug, fix) == case["removed"]
    assert changed_lines(bug, fix) == case["changed"]
    assert (len(split_lines(fix)), len(split_lines(bug))) == (len(case["roles"]), len(case["removed"]))


def test_spark_counts_as_python(spark):
    rows = [(str(i), c["bug"], c["fix"]) for i, c in enumerate(CASES)]
    got = {
        r.id: (r.changed_lines, r.bug_lines, r.fixed_lines, r.changed_line_ratio)
        for r in with_diff_stats(spark.createDataFrame(rows, "id string, bug_sql string, fixed_sql string")).collect()
    }
    expected = {}
    for i, c in enumerate(CASES):
        longest = max(len(c["roles"]), len(c["removed"]))
        ratio = round(c["changed"] / longest, 4) if longest else None
        expected[str(i)] = (c["changed"], len(c["removed"]), len(c["roles"]), ratio)
    assert got == expected


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rendering_marks_the_same_lines(case):
    rows = render_diff(case["bug"], case["fix"], width=30).splitlines() if case["bug"] or case["fix"] else []
    left = sum(row[:1] in ("<", "|") for row in rows)
    right = sum(row[:1] in (">", "|") for row in rows)
    assert (left, right) == (sum(case["removed"]), sum(case["roles"]))
    assert max(left, right) <= case["changed"] <= left + right
