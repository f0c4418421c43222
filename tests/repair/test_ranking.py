"""Plausibility ranking on its fixture cases (tests/fixtures/ranking.yaml): among candidates that all pass
Spark's analyzer, the fix a person would make, with the confidence it is shown with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlfix.repair.ranking import assess, evidence, rank_key

FIXTURE = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "ranking.yaml").read_text())
CASES = FIXTURE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_fix_a_person_would_make_wins_over_the_tempting_one(fixer, case):
    schema = FIXTURE["schemas"][case["schema"]]
    result = fixer.fix(case["sql"], schema)
    assert not result.error.ok  # the input really fails
    assert (result.verified, result.fixed_sql, result.confidence) == (True, case["fixed"], case["confidence"])
    assert fixer.judge.side(case["tempting"]).ok  # the wrong candidate compiles too: the analyzer cannot tell
    assert rank_key(case["sql"], case["fixed"], 0) < rank_key(case["sql"], case["tempting"], 0)
    assert result.reason.startswith(evidence(case["sql"], case["fixed"]).change + ":")


def test_confidence_levels():
    one = evidence("SELECT ship_statex FROM t", "SELECT ship_state FROM t")
    far = evidence("SELECT ship_statex FROM t", "SELECT ship_date FROM t")
    assert (one.token_edits, one.char_edits, far.char_edits) == (1, 1, 3)
    assert assess(one, far, by_model=False).confidence == "high"
    assert assess(one, far, by_model=True).confidence == "medium"  # a model's answer is never high
    assert assess(one, one, by_model=False).confidence == "low"  # as close on every count
    rewrite = evidence("SELECT a FROM t WHERE sum(a) > 1 GROUP BY a", "SELECT a FROM t GROUP BY a HAVING sum(a) > 1")
    assert (rewrite.token_edits, assess(rewrite, None, by_model=True).confidence) == (7, "low")


def test_a_model_fix_that_adds_what_the_error_does_not_name_is_a_guess():
    bug = "SELECT ROW_NUMBER() OVER (PARTITION BY server_id) AS rn FROM s"
    ordered = evidence(bug, bug.replace("server_id)", "server_id ORDER BY created_at DESC)"))
    assert ordered.added == ("created_at",)  # keywords are not content
    error = "[WINDOW_FUNCTION_FRAME_NOT_ORDERED] Window function row_number requires the window to be ordered."
    guess = assess(ordered, None, by_model=True, error=error)
    assert guess.confidence == "low" and guess.reason.endswith("which chose `created_at`: the error does not name it")
    assert assess(ordered, None, by_model=False, error=error).confidence == "medium"  # a rule's own choice
    named = "[MISSING_AGGREGATION] The non-aggregating expression \"created_at\" is based on columns ..."
    assert assess(ordered, None, by_model=True, error=named).confidence == "medium"
    value = evidence("SELECT DATE_ADD(d) FROM t", "SELECT DATE_ADD(d, 1) FROM t")
    counted = "[WRONG_NUM_ARGS] The `date_add` requires 2 parameters but the actual number is 1."
    assert value.added == ("1",) and assess(value, None, by_model=True, error=counted).confidence == "low"
    moved = evidence("SELECT a FROM t GROUP BY a WHERE b > 1", "SELECT a FROM t WHERE b > 1 GROUP BY a")
    assert moved.added == () and assess(moved, None, by_model=True, error="").confidence == "medium"


def test_the_cli_shows_confidence_and_keeps_a_low_one_as_a_suggestion(ctx, capsys, tmp_path):
    from sqlfix.cli import main

    case = next(c for c in CASES if c["confidence"] == "low")
    (tmp_path / "q.sql").write_text(case["sql"])
    (tmp_path / "t.sql").write_text(FIXTURE["schemas"][case["schema"]])
    argv = ["fix", str(tmp_path / "q.sql"), "--ddl", str(tmp_path / "t.sql"), "--no-model"]
    capsys.readouterr()
    assert main(argv, ctx=ctx) == 3
    out = capsys.readouterr().out
    assert "fix: suggestion only (below --min-confidence medium) from suggestion, low confidence: `statu` -> `state`" in out
    assert not out.rstrip().endswith(case["fixed"])  # the candidate is shown as a diff, not printed as the fix
    assert main([*argv, "--min-confidence", "low", "--json"], ctx=ctx) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["fixed_sql"], answer["confidence"], answer["applied"]) == (case["fixed"], "low", True)
    assert answer["reason"] == "`statu` -> `state`: 1 token, 1 character edit; another verified candidate is as close (`statu` -> `stats`)"
