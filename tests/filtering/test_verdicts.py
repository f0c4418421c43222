"""Verdicts on pairs with known injected bugs (tests/filtering/cases.yaml), one or more per detectable leaf."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['leaf']}" for i, c in enumerate(CASES)])
def test_verdict(judge, case):
    verdict = judge.pair(case["bug"], case["fix"], "runtime" if case.get("runtime") else None)
    assert (verdict.verdict, verdict.reason) == (case.get("verdict", "kept"), case.get("reason", "kept")), verdict
    assert verdict.dryrun_category_l3 == case["leaf"], verdict.bug
    if verdict.bug.message:
        assert "+- " not in verdict.bug.message and "== SQL" not in verdict.bug.message  # no plan dump stored


def test_cases_cover_the_detectable_leaves():
    """Every level-2 family of the taxonomy whose errors the analyzer raises has a case."""
    families = {c["leaf"].rsplit(".", 1)[0] for c in CASES if c["leaf"]}
    for family in ("syntax.dialect", "syntax.punctuation", "syntax.keyword", "syntax.statement", "resolution.column",
                   "resolution.relation", "resolution.function", "resolution.ambiguity", "types.mismatch",
                   "types.set_operation", "types.write", "types.expression", "aggregation.group_by", "aggregation.misuse",
                   "aggregation.window", "query_shape.subquery", "query_shape.generator", "query_shape.write",
                   "runtime.cast", "runtime.arithmetic", "runtime.collection"):  # fmt: skip
        assert family in families, family
    assert len({c["leaf"] for c in CASES if c["leaf"]}) >= 40


def test_many_matches_one_by_one_and_skips_repeats(judge):
    pairs = [
        {"bug_sql": c["bug"], "fixed_sql": c["fix"], "category_l1": "runtime" if c.get("runtime") else None}
        for c in CASES
    ]
    doubled = pairs + pairs[:10]
    verdicts = judge.many(doubled)
    assert [v.reason for v in verdicts] == [c.get("reason", "kept") for c in CASES] + [
        c.get("reason", "kept") for c in CASES[:10]
    ]
    assert verdicts[len(pairs)] is verdicts[0]  # the repeated pair was judged once
