"""Evaluation metrics on hand-written cases, including ones where exact and AST match disagree."""

from __future__ import annotations

import pytest
from sqlfix.evaluation.metrics import aggregate, ast_match, diff_bucket, exact_match, over_edits, preservation, score

BUG = "-- daily gmv\nSELECT o.shop_id,\n  SUM(o.amount) AS gmv\nFROM shop.ordrs o\nWHERE o.amount > 10\nGROUP BY o.shop_id"
REF = "-- daily gmv\nSELECT o.shop_id,\n  SUM(o.amount) AS gmv\nFROM shop.orders o\nWHERE o.amount > 10\nGROUP BY o.shop_id"


@pytest.mark.parametrize(
    ("prediction", "exact", "ast"),
    [
        (REF, True, True),
        (REF.replace("\n", "\n    "), True, True),  # indentation only
        (REF.replace("SELECT", "select").replace("FROM", "from"), False, True),  # keyword case
        (REF.replace("-- daily gmv\n", ""), False, True),  # a dropped comment: AST-equal, not exact
        (REF.replace("> 10", "> 100"), False, False),  # the paper's hallucinated zero
        (REF.replace("o.shop_id", "`o`.`shop_id`"), False, True),  # quoting an unquoted name
        (REF.replace("AS gmv", "gmv"), False, True),  # optional AS
        (REF.replace("> 10", "> 10.0"), False, False),  # literals are kept as written
        (REF.replace("shop.orders", "SHOP.ORDERS"), False, True),  # unquoted identifiers are case-insensitive
    ],
)
def test_exact_and_ast_match(prediction, exact, ast):
    assert exact_match(prediction, REF) is exact
    assert ast_match(prediction, REF) is ast


def test_text_sqlglot_cannot_tokenize_never_matches():
    assert not ast_match("SELECT 'unterminated` FROM t", "SELECT 1") and not ast_match("\x00\x01 `x", "`x")


def test_string_literals_keep_their_case():
    assert ast_match("SELECT A FROM T WHERE s = 'x'", "select a from t where s = 'x'")
    assert not ast_match("SELECT a FROM t WHERE s = 'X'", "SELECT a FROM t WHERE s = 'x'")


def test_preservation_and_over_editing():
    assert preservation(BUG, REF, REF) == 1.0 and over_edits(BUG, REF, REF) == 0
    hallucinated = REF.replace("> 10", "> 100")
    assert preservation(BUG, REF, hallucinated) == 0.8  # 4 of the 5 unchanged lines kept
    assert over_edits(BUG, REF, hallucinated) == 1
    assert preservation(BUG, REF, BUG) == 1.0 and over_edits(BUG, REF, BUG) == 0  # no change: nothing over-edited
    assert preservation(BUG, REF, "") == 0.0
    assert preservation("SELECT 1", "SELECT 2", "SELECT 2") is None  # the reference keeps no line


def test_score_never_credits_an_ast_match_the_analyzer_rejects():
    s = score("SELECT a,, b FROM t", "SELECT a, b FROM t", "SELECT a,, b FROM t", analysis_pass=False, error_gone=False)
    assert (s["exact"], s["ast"]) == (False, False)
    assert ast_match("SELECT a,, b FROM t", "SELECT a, b FROM t")  # sqlglot alone would accept it


def test_buckets_and_aggregation():
    assert [diff_bucket(n) for n in (1, 2, 3, 5, 6)] == ["1", "2", "3-5", "3-5", "6+"]
    rows = [
        score(BUG, REF, REF, True, True) | {"category_l2": "resolution.relation"},
        score(BUG, REF, REF.replace("> 10", "> 100"), True, True) | {"category_l2": "resolution.relation"},
        score(BUG, REF, BUG, False, False) | {"category_l2": "syntax.keyword"},
    ]
    overall = aggregate(rows)["all"]
    assert overall == {"n": 3, "exact": 0.3333, "ast": 0.3333, "analysis_pass": 0.6667, "error_gone": 0.6667,
                       "preservation": 0.9333, "over_edits": 0.3333}  # fmt: skip
    by = aggregate(rows, by="category_l2")
    assert by["resolution.relation"]["ast"] == 0.5 and by["syntax.keyword"]["analysis_pass"] == 0.0
