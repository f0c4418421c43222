"""Each deterministic repair on its fixture cases (tests/fixtures/repairs.yaml): the exact fix, verified."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlfix.repair.rules import RULES

FIXTURE = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "repairs.yaml").read_text())
CASES = FIXTURE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['rule']}" for i, c in enumerate(CASES)])
def test_repair(fixer, case):
    from sqlfix.filtering.script import check_script

    result = fixer.fix(case["sql"], FIXTURE["schema"])
    assert not result.error.ok  # the input really fails
    assert (result.verified, result.source, result.fixed_sql) == (True, case["rule"], case["fixed"])
    assert check_script(fixer.judge.box, result.fixed_sql).ok
    assert result.exit_code == 0 and result.diff.startswith("--- query.sql\n+++ fixed.sql\n")


def test_every_rule_has_a_case():
    assert {name for name, _ in RULES} == {c["rule"] for c in CASES}
