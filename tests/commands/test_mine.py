"""`sqlfix simulate-logs` -> `ingest` -> `mine` against the simulator's ground truth."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, spark):
    from sqlfix.simulate.logs import simulate

    out = tmp_path_factory.mktemp("sim")
    counts = simulate(spark, out, events=1500, seed=11, malformed_rate=0.01)
    truth = [json.loads(line) for line in (out / "truth.jsonl").open()]
    return out, counts, truth


def _score(truth: list[dict], lake) -> dict[str, tuple[float, float]]:
    mined = {(r.bug_event_id, r.fix_event_id): r.signal for r in lake.read("bug_pairs").collect()}
    dropped = {(r.bug_event_id, r.fix_event_id): r.reason for r in lake.read("bug_pairs_dropped").collect()}
    expected = {(t["bug_event_id"], t["fix_event_id"]): t["signal"] for t in truth if t["outcome"] == "kept"}
    expected_dropped = {(t["bug_event_id"], t["fix_event_id"]): t["reason"] for t in truth if t["outcome"] == "dropped"}
    never = {(t["bug_event_id"], t["fix_event_id"]) for t in truth if t["outcome"] == "none"}
    assert not never & (set(mined) | set(dropped)), "pairs the truth says must not exist were mined"
    scores = {}
    by_signal = defaultdict(lambda: [set(), set()])
    for key, signal in expected.items():
        by_signal[signal][0].add(key)
    for key, signal in mined.items():
        by_signal[signal][1].add(key)
    for reason_key, reason in {**{k: f"dropped:{v}" for k, v in expected_dropped.items()}}.items():
        by_signal[reason][0].add(reason_key)
    for key, reason in dropped.items():
        by_signal[f"dropped:{reason}"][1].add(key)
    for name, (want, got) in sorted(by_signal.items()):
        hit = len(want & got)
        scores[name] = (hit / len(got) if got else 1.0, hit / len(want) if want else 1.0)
        print(
            f"{name:<28} precision {scores[name][0]:.3f} recall {scores[name][1]:.3f} (truth {len(want)}, mined {len(got)})"
        )
    return scores


def test_mined_pairs_match_the_ground_truth(simulated, run_cli, lake):
    out, counts, truth = simulated
    assert counts["events"] >= 1500 and counts["truth"]["kept"] > 200
    run_cli("ingest", "--source", str(out / "logs"), "--schemas", str(out / "schemas.jsonl"))
    assert counts["malformed"] > 0  # the simulator wrote broken lines, and each one was quarantined
    assert lake.read("query_logs_rejected").count() == counts["malformed"]
    printed = run_cli("mine")
    assert "pairs by signal" in printed and "paper" in printed
    scores = _score(truth, lake)
    for signal in ("run", "save", "rejected_fix"):
        precision, recall = scores[signal]
        assert precision >= 0.95 and recall >= 0.95, (signal, scores[signal])
    # Every kept pair carries its SQL, message, schema and diff statistics.
    rows = lake.read("bug_pairs").collect()
    assert all(r.bug_sql and r.fixed_sql and r.error_message and r.tables and r.schema_ddl for r in rows)
    assert all(0 < r.changed_lines <= 60 and r.changed_line_ratio <= 0.5 for r in rows)
    # Re-running adds nothing.
    versions = (lake.version("bug_pairs"), lake.version("bug_pairs_dropped"))
    assert run_cli("mine").splitlines() == [
        "mine: no new events in query_logs since the last run; nothing to mine (run sqlfix ingest first)"
    ]
    assert (lake.version("bug_pairs"), lake.version("bug_pairs_dropped")) == versions
    full = run_cli("mine", "--full")
    assert "(0 new, 0 updated)" in full


def test_incremental_batches_give_the_same_pairs(simulated, run_cli, lake, tmp_path):
    out, _, truth = simulated
    lines = [line for f in sorted((out / "logs").glob("*.jsonl")) for line in f.open("rb")]
    good = sorted((json.loads(line) for line in lines if _is_json(line)), key=lambda e: e["event_time"])
    split = good[int(len(good) * 0.6)]["event_time"]
    for name, part in (
        ("a", [e for e in good if e["event_time"] < split]),
        ("b", [e for e in good if e["event_time"] >= split]),
    ):
        folder = tmp_path / "batches"
        folder.mkdir(exist_ok=True)
        with (folder / f"{name}.jsonl").open("w") as fh:
            fh.writelines(json.dumps(e) + "\n" for e in part)
        run_cli("ingest", "--source", str(folder), "--schemas", str(out / "schemas.jsonl"))
        run_cli("mine")
    scores = _score(truth, lake)
    for signal in ("run", "save", "rejected_fix"):
        assert min(scores[signal]) >= 0.95, (signal, scores[signal])
    assert lake.read("mining_runs").count() == 2


def _is_json(line: bytes) -> bool:
    try:
        return (
            isinstance(json.loads(line), dict)
            and "user_id" in json.loads(line)
            and json.loads(line)["user_id"].startswith("u11_")
        )
    except ValueError:
        return False
