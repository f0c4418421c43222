"""Blind review: items hide the model, three reviewers each, majority accuracy and Fleiss' kappa."""

from __future__ import annotations

import pytest
from sqlfix.evaluation.review import blind_items, fleiss_kappa, score_reviews


def _predictions():
    out = []
    for model in ("base", "@challenger"):
        for i in range(4):
            out.append({"model_ref": model, "sample_id": f"s{i}", "bug_sql": f"SELEC {i}", "prediction": f"SELECT {i}"})
    out.append({"model_ref": "base", "sample_id": "s9", "bug_sql": "x", "prediction": "y"})  # only one model: left out
    return out


def test_items_are_blind_shuffled_and_reviewed_three_times():
    sheet, key = blind_items(_predictions(), ["ann", "bob", "cho", "dan"], per_item=3, seed=1)
    assert len(key) == 8 and {k["sample_id"] for k in key.values()} == {"s0", "s1", "s2", "s3"}
    assert len(sheet) == 24 and all("model" not in c for row in sheet for c in row)
    for item in key:
        reviewers = [r["reviewer"] for r in sheet if r["item_id"] == item]
        assert len(reviewers) == 3 and len(set(reviewers)) == 3
    order = [r["item_id"] for r in sheet[::3]]
    assert order != sorted(order, key=lambda i: (key[i]["model_ref"], key[i]["sample_id"]))  # shuffled
    assert blind_items(_predictions(), ["ann", "bob", "cho", "dan"], 3, seed=1) == (sheet, key)  # seeded


def test_scores_per_model_with_kappa():
    sheet, key = blind_items(_predictions(), ["ann", "bob", "cho"], per_item=3, seed=0)
    for row in sheet:  # the challenger is right on every sample, base on s0 only; one reviewer disagrees on s1
        truth = key[row["item_id"]]["model_ref"] == "@challenger" or key[row["item_id"]]["sample_id"] == "s0"
        dissent = key[row["item_id"]]["sample_id"] == "s1" and row["reviewer"] == "ann"
        row["verdict"] = "correct" if truth != dissent else "incorrect"
    result = score_reviews(sheet, key)
    assert result["models"] == {"@challenger": {"items": 4, "accuracy": 1.0}, "base": {"items": 4, "accuracy": 0.25}}
    assert result["items"] == 8 and result["incomplete_items"] == 0
    assert result["kappa"] == pytest.approx(fleiss_kappa([[3, 0]] * 4 + [[0, 3]] * 2 + [[2, 1], [1, 2]]))
    assert round(result["kappa"], 3) == 0.644  # P = 0.833, Pe = 0.625^2 + 0.375^2 = 0.531


def test_bad_verdicts_name_the_row():
    sheet, key = blind_items(_predictions(), ["a", "b", "c"], per_item=3)
    for row in sheet:
        row["verdict"] = "y"
    sheet[4]["verdict"] = "maybe"
    with pytest.raises(ValueError, match="row 5: verdict must be correct or incorrect"):
        score_reviews(sheet, key)
    with pytest.raises(ValueError, match="at least 3 reviewers"):
        blind_items(_predictions(), ["a", "b"], per_item=3)
