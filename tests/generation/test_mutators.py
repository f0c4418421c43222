"""Every mutator against its fixture cases (tests/fixtures/mutators.yaml), and each bug judged by Spark."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from sqlfix.generation.mutators import MUTATORS
from sqlfix.sql.diff import line_roles
from sqlfix.sql.source import Source, parse_schema

FIXTURE = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "mutators.yaml").read_text())


def test_the_registry_covers_sixty_four_leaves_and_every_mutator_has_cases():
    assert set(FIXTURE["cases"]) == set(MUTATORS)
    assert len(MUTATORS) == 70
    assert len({m.leaf for m in MUTATORS.values()}) == 64


def _touched_lines(sql: str, edits) -> set[int]:
    out = set()
    for e in edits:
        first = sql.count("\n", 0, e.start)
        last = sql.count("\n", 0, max(e.start, e.end - 1))
        out.update(range(first, last + 1))
    return out


def test_each_mutator_gives_its_expected_bug_and_changes_only_the_lines_it_edits():
    schema = parse_schema(FIXTURE["schema"])
    for name, cases in FIXTURE["cases"].items():
        for case in cases:
            source = Source(case["input"], schema)
            assert MUTATORS[name].apply(source, random.Random(0)) == case["expected"], name
            if case["expected"] is not None:
                edits = MUTATORS[name].rule(Source(case["input"], schema), random.Random(0))
                changed = {i for i, c in enumerate(line_roles(case["expected"], case["input"])) if c}
                assert changed and changed <= _touched_lines(case["input"], edits), name


@pytest.mark.slow
def test_each_bug_fails_in_spark_in_its_leaf_and_each_input_passes(spark):
    from sqlfix.filtering.judge import Judge
    from sqlfix.filtering.sandbox import Sandbox

    box = Sandbox(spark)
    assert box.load(FIXTURE["schema"]) == []
    judge = Judge(box, threads=2, timeout_s=60)
    try:
        wrong = {}
        for name, cases in FIXTURE["cases"].items():
            leaf = MUTATORS[name].leaf
            for case in cases:
                if case["expected"] is None:
                    continue
                verdict = judge.pair(case["expected"], case["input"], leaf.split(".")[0], leaf)
                if (verdict.verdict, verdict.dryrun_category_l3) != ("kept", leaf):
                    wrong[name] = (verdict.reason, verdict.dryrun_category_l3, verdict.bug.message)
        assert wrong == {}
    finally:
        judge.close()
