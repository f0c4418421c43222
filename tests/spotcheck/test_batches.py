"""Spot checks: stratified samples, recorded verdicts and the pass-rate gate, end to end on simulated logs."""

from __future__ import annotations

import json

import pytest
from sqlfix.spotcheck.batches import decide, stratified_sample, wilson


def test_stratified_sample_spreads_over_strata(spark):
    rows = (
        [(f"p{i:02d}", "a", "run") for i in range(10)]
        + [(f"q{i}", "b", "run") for i in range(5)]
        + [("r0", "a", "save")]
    )
    df = spark.createDataFrame(rows, "pair_id string, category_l3 string, signal string")
    picked = stratified_sample(df, 8, seed=3).collect()
    assert len(picked) == 8
    strata = {(r.category_l3, r.signal) for r in picked}
    assert strata == {("a", "run"), ("b", "run"), ("a", "save")}
    assert [r.pair_id for r in picked] == [r.pair_id for r in stratified_sample(df, 8, seed=3).collect()]
    assert {r.pair_id for r in picked} != {r.pair_id for r in stratified_sample(df, 8, seed=4).collect()}
    assert len(stratified_sample(df, 2, seed=3).collect()) == 2
    assert stratified_sample(df, 0).count() == 0


def test_wilson_and_decision():
    low, high = wilson(85, 100)
    assert low < 0.85 < high and (round(low, 3), round(high, 3)) == (0.767, 0.907)
    assert decide(17, 20, 20, 0.85) and not decide(16, 20, 20, 0.85) and not decide(19, 19, 20, 0.85)


def _oracle(lake, truth: list[dict], batch: str) -> list[dict]:
    """Reviewers who know the truth: a fix that changes the query's meaning fails the review."""
    meaning = {(t["bug_event_id"], t["fix_event_id"]): t["changes_meaning"] for t in truth if t["outcome"] == "kept"}
    pairs = {r.pair_id: (r.bug_event_id, r.fix_event_id) for r in lake.read("bug_pairs").collect()}
    return [
        {"batch_id": batch, "pair_id": r.pair_id, "reviewer": "oracle", "note": None,
         "verdict": "fail" if meaning.get(pairs[r.pair_id], True) else "pass"}
        for r in lake.read("spot_checks").filter(f"batch_id = '{batch}'").collect()
    ]  # fmt: skip


@pytest.mark.slow
def test_gate_passes_a_good_batch_and_rejects_a_bad_one(
    ctx, lake, run_cli, simulate_into_lake, tmp_path, monkeypatch, capsys
):
    from sqlfix.cli import main
    from sqlfix.simulate import sessions
    from sqlfix.spotcheck.batches import approved_pairs
    from sqlfix.spotcheck.run import latest_batch

    def batch_from(seed: int) -> tuple[str, list[dict]]:
        truth = simulate_into_lake(events=500, seed=seed)
        run_cli("filter")
        return latest_batch(lake), truth

    good, truth_good = batch_from(31)
    monkeypatch.setattr(sessions, "SCENARIOS", {"meaning_change": 10, "fix_run": 2})
    bad, truth_bad = batch_from(32)
    assert good != bad

    for batch, truth in ((good, truth_good), (bad, truth_bad)):
        printed = run_cli("spotcheck", "sample", "--batch", batch, "--n", "30", "--out", str(tmp_path / f"{batch}.csv"))
        assert "pairs sampled" in printed and (tmp_path / f"{batch}.csv").exists()
        sheet = tmp_path / f"{batch}.jsonl"
        sheet.write_text("".join(json.dumps(v) + "\n" for v in _oracle(lake, truth, batch)))
        assert "stored" in run_cli("spotcheck", "record", "--input", str(sheet))
    sampled = lake.read("spot_checks")
    assert sampled.filter(f"batch_id = '{good}'").count() >= 25
    assert sampled.filter("verdict IS NULL").count() == 0

    assert "APPROVED" in run_cli("spotcheck", "gate", "--batch", good)
    capsys.readouterr()
    assert main(["spotcheck", "gate", "--batch", bad], ctx=ctx) == 3
    assert "NOT APPROVED" in capsys.readouterr().out
    decisions = {r.batch_id: r for r in lake.read("batch_approvals").collect()}
    assert decisions[good].approved and decisions[good].pass_rate >= 0.85
    assert not decisions[bad].approved and decisions[bad].pass_rate < 0.85
    # only the approved batch's kept pairs reach the dataset builder
    approved = approved_pairs(lake.read("bug_pairs"), lake.read("pair_verdicts"), lake.read("batch_approvals"))
    batches = {r.batch_id for r in approved.select("batch_id").distinct().collect()}
    assert batches == {good}
    # re-sampling and re-gating add nothing
    before = lake.read("spot_checks").count()
    run_cli("spotcheck", "sample", "--batch", good, "--n", "30")
    assert lake.read("spot_checks").count() == before
