"""Blind human review of several models' predictions (the paper's final-accuracy protocol).

``blind_items`` turns predictions of several evaluation runs into review items: each (model, sample)
prediction gets an opaque item id, the items are shuffled, and each is assigned to ``reviewers`` reviewers
(round-robin over the pool, never twice to one reviewer). The key (item id -> model, sample) is written
apart from the sheet. ``score_reviews`` reads the verdicts back: per model the accuracy of the majority
verdict, and Fleiss' kappa for the agreement between reviewers.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict

VERDICTS = ("correct", "incorrect")


def blind_items(
    predictions: list[dict], reviewers: list[str], per_item: int = 3, seed: int = 0
) -> tuple[list[dict], dict]:
    """(sheet rows, key). Only samples every model predicted are reviewed, so models are compared on the
    same samples. Sheet rows: item_id, reviewer, bug_sql, error_message, fixed_sql (the candidate), verdict."""
    if len(reviewers) < per_item:
        raise ValueError(f"{per_item} reviews per item need at least {per_item} reviewers, got {len(reviewers)}")
    by_sample: dict[str, dict[str, dict]] = defaultdict(dict)
    for p in predictions:
        by_sample[p["sample_id"]][p["model_ref"]] = p
    models = {p["model_ref"] for p in predictions}
    items, key = [], {}
    for sample_id, per_model in sorted(by_sample.items()):
        if set(per_model) != models:
            continue
        for model, p in sorted(per_model.items()):
            item_id = hashlib.sha256(f"{seed}:{model}:{sample_id}".encode()).hexdigest()[:10]
            key[item_id] = {"model_ref": model, "sample_id": sample_id}
            items.append((item_id, p))
    random.Random(seed).shuffle(items)
    rows = []
    for n, (item_id, p) in enumerate(items):
        for k in range(per_item):
            rows.append({"item_id": item_id, "reviewer": reviewers[(n + k) % len(reviewers)], "bug_sql": p["bug_sql"],
                         "error_message": p.get("error_message") or "", "candidate_fix": p["prediction"], "verdict": ""})  # fmt: skip
    return rows, key


def fleiss_kappa(counts: list[list[int]]) -> float | None:
    """Fleiss' kappa of items x categories rating counts (every item rated by the same number of raters).

    Example:
        >>> fleiss_kappa([[3, 0], [0, 3], [3, 0], [0, 3]])
        1.0
        >>> round(fleiss_kappa([[2, 1], [1, 2], [3, 0], [0, 3]]), 3)
        0.333
    """
    counts = [c for c in counts if sum(c)]
    if not counts:
        return None
    n = sum(counts[0])
    if n < 2 or any(sum(c) != n for c in counts):
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of ratings per item")
    items = len(counts)
    p_j = [sum(c[j] for c in counts) / (items * n) for j in range(len(counts[0]))]
    p_i = [(sum(x * x for x in c) - n) / (n * (n - 1)) for c in counts]
    p_bar, p_e = sum(p_i) / items, sum(p * p for p in p_j)
    return 1.0 if p_e == 1 else (p_bar - p_e) / (1 - p_e)


def score_reviews(rows: list[dict], key: dict) -> dict:
    """Per model: items, accuracy of the majority verdict; overall Fleiss' kappa. Verdicts must be one of
    ``VERDICTS`` (or y/n, 1/0); an unknown item or verdict is an error naming the row."""
    votes: dict[str, list[str]] = defaultdict(list)
    for number, row in enumerate(rows, 1):
        verdict = str(row.get("verdict", "")).strip().lower()
        verdict = {"y": "correct", "yes": "correct", "1": "correct", "n": "incorrect", "no": "incorrect",
                   "0": "incorrect"}.get(verdict, verdict)  # fmt: skip
        if row.get("item_id") not in key:
            raise ValueError(f"row {number}: unknown item_id {row.get('item_id')!r}")
        if verdict not in VERDICTS:
            raise ValueError(f"row {number}: verdict must be correct or incorrect, got {row.get('verdict')!r}")
        votes[row["item_id"]].append(verdict)
    per_model: dict[str, list[bool]] = defaultdict(list)
    for item_id, vs in votes.items():
        c = Counter(vs)
        per_model[key[item_id]["model_ref"]].append(c["correct"] > c["incorrect"])
    sizes = Counter(len(vs) for vs in votes.values())
    raters = sizes.most_common(1)[0][0] if sizes else 0
    complete = [[vs.count(v) for v in VERDICTS] for vs in votes.values() if len(vs) == raters]
    return {
        "models": {m: {"items": len(v), "accuracy": round(sum(v) / len(v), 4)} for m, v in sorted(per_model.items())},
        "kappa": fleiss_kappa(complete) if raters >= 2 else None,
        "items": len(votes),
        "incomplete_items": sum(len(vs) != raters for vs in votes.values()),
    }
