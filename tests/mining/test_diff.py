"""The one diff definition: Spark and Python agree on hand-written pairs."""

from __future__ import annotations

import pytest
from sqlfix.mining.diff import changed_lines, split_lines, with_diff_stats

CASES = [
    ("SELECT a\nFROM t", "SELECT a\nFROM t", 0),
    ("SELECT a\nFROM t", "SELECT a, b\nFROM t", 1),
    ("SELECT a\nFROM t", "SELECT a\nFROM t\nWHERE x = 1", 1),  # added
    ("SELECT a\n-- note\nFROM t", "SELECT a\nFROM t", 1),  # deleted
    ("SELECT a\r\nFROM t  ", "SELECT a\nFROM t", 0),  # CRLF and trailing spaces
    ("SELECT a,\nb\nFROM t", "SELECT b,\na\nFROM t", 2),
    ("x\n)\n)\ny", "x\n)\ny", 1),  # duplicate lines count as a multiset
    ("a\n\n\nb", "a\n\nb\n\n\n", 2),  # blank lines are lines too
    ("SELECT 'é'\nFROM t", "SELECT 'è'\nFROM t", 1),  # multi-byte characters
]


@pytest.mark.parametrize(("bug", "fix", "expected"), CASES)
def test_python_changed_lines(bug, fix, expected):
    assert changed_lines(bug, fix) == expected


def test_spark_matches_python(spark):
    rows = [(str(i), bug, fix) for i, (bug, fix, _) in enumerate(CASES)]
    df = with_diff_stats(spark.createDataFrame(rows, "pair_id string, bug_sql string, fixed_sql string"))
    got = {r.pair_id: (r.changed_lines, r.bug_lines, r.fixed_lines, r.changed_line_ratio) for r in df.collect()}
    for i, (bug, fix, expected) in enumerate(CASES):
        longest = max(len(split_lines(bug)), len(split_lines(fix)))
        assert got[str(i)][0] == expected == changed_lines(bug, fix)
        assert got[str(i)][3] == pytest.approx(round(expected / longest, 4))
